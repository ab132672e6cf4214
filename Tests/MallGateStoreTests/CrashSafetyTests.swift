import FoundationEssentials  // Data, for reading BLOBs through GRDB in the check
import GRDB
import Glibc
import MallGateStore
import MallGateTestSupport
import Testing

/// `mallgate-store-writer`, built by `swift test` next to the test bundle (Tests/mallgate-store-writer).
let storeWriterBinary: String = String(mallgateBinary.dropLast("mallgate".count)) + "mallgate-store-writer"

@Suite("Crash safety: SIGKILL at random moments loses nothing acknowledged")
struct CrashSafetyTests {
    @Test("60 kills of a writer; after each: the file opens, integrity_check passes, every printed batch is there")
    func killWriterRepeatedly() throws {
        try #require(access(storeWriterBinary, X_OK) == 0, "\(storeWriterBinary) missing: run through `swift test` (it builds the writer)")
        let dir = makeTemporaryDirectory("crash")
        defer { removeTree(dir) }
        let path = dir + "/b.db"
        var generator = SystemRandomNumberGenerator()
        var acknowledged: [(sequence: Int64, token: Int64)] = []
        var killedWhileWriting = 0

        for round in 0..<60 {
            // Every 6th round dies during start-up (opening, integrity check, migrations); the others
            // 0–100 ms after the first acknowledged batch, in the middle of writing.
            let duringStartup = round % 6 == 0
            let delay = UInt32.random(in: duringStartup ? 0...30_000 : 0...100_000, using: &generator)
            let lines = try runAndKill(
                arguments: ["crash-writer", "--db", path, "--positions", "200"], waitForFirstLine: !duringStartup, after: delay)
            if !lines.isEmpty { killedWhileWriting += 1 }
            for line in lines {
                let parts = line.split(separator: " ")
                let pair = (Int64(parts[0]) ?? -1, Int64(parts[1]) ?? -1)
                if let last = acknowledged.last { #expect(pair.0 > last.sequence, "round \(round): sequence \(pair.0) after \(last.sequence)") }
                acknowledged.append(pair)
            }
            guard fileSize(path) > 0 else { continue }
            try inspect(path) { (db: Database) throws in
                #expect(try String.fetchAll(db, sql: "PRAGMA integrity_check") == ["ok"], "round \(round)")
                // Killed on the very first start before the migrations committed: an empty schema,
                // which is only right while nothing was acknowledged (the next start migrates).
                guard try db.tableExists("outbox") else {
                    #expect(acknowledged.isEmpty, "round \(round): no outbox table after \(acknowledged.count) acknowledged batches")
                    return
                }
                var payloads: [Int64: [UInt8]] = [:]
                for row in try Row.fetchAll(db, sql: "SELECT sequence, payload FROM outbox") {
                    let payload: Data = row["payload"]
                    payloads[row["sequence"]] = [UInt8](payload)
                }
                var perToken: [Int64: Int] = [:]
                for row in try Row.fetchAll(db, sql: "SELECT window_end_ns, count(*) AS n FROM positions GROUP BY window_end_ns") {
                    perToken[row["window_end_ns"]] = row["n"]
                }
                for (sequence, token) in acknowledged {
                    let expected = (0..<8).map { UInt8(truncatingIfNeeded: token >> ($0 * 8)) }
                    #expect(payloads[sequence] == expected, "round \(round): batch \(sequence) missing or changed")
                    #expect(perToken[token] == 200, "round \(round): positions of batch \(sequence)")
                }
            }
        }
        #expect(directoryEntries(dir).allSatisfy { !$0.contains(".corrupt-") })
        #expect(killedWhileWriting >= 50, "kills after the first batch: \(killedWhileWriting) of 60")
        #expect(acknowledged.count >= 50)
    }

    /// Starts the writer with stdout on a pipe, SIGKILLs it `microseconds` after the start (or after
    /// its first line, up to 30 s), returns its complete lines.
    func runAndKill(arguments: [String], waitForFirstLine: Bool, after microseconds: UInt32) throws -> [String] {
        var fds: [Int32] = [0, 0]
        try #require(pipe(&fds) == 0)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
        posix_spawn_file_actions_addclose(&actions, fds[0])
        let argv = ([storeWriterBinary] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, storeWriterBinary, &actions, nil, argv, environ)
        close(fds[1])
        try #require(spawned == 0, "posix_spawn \(storeWriterBinary): \(spawned)")
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        if waitForFirstLine {
            var descriptor = pollfd(fd: fds[0], events: Int16(POLLIN), revents: 0)
            while !bytes.contains(UInt8(ascii: "\n")), poll(&descriptor, 1, 30_000) > 0 {
                let n = read(fds[0], &buffer, buffer.count)
                if n <= 0 { break }
                bytes += buffer[0..<n]
            }
        }
        usleep(microseconds)
        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        while true {
            let n = read(fds[0], &buffer, buffer.count)
            if n <= 0 { break }
            bytes += buffer[0..<n]
        }
        close(fds[0])
        // A line cut by the kill (no newline yet) was not acknowledged.
        var text = String(decoding: bytes, as: UTF8.self)
        if let lastNewline = text.lastIndex(of: "\n") { text = String(text[...lastNewline]) } else { text = "" }
        return text.split(separator: "\n").map(String.init)
    }
}
