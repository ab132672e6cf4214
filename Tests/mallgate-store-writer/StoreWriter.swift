import ArgumentParser
import Glibc
import MallGateStore

/// Test and benchmark helper for MallGateStore (not shipped):
/// `crash-writer` writes batches until killed, printing each acknowledged outbox sequence;
/// `bench` times bulk position writes for scripts/bench/store.sh.
@main
struct StoreWriter: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mallgate-store-writer",
        abstract: "Writes MallGateStore batches: for the crash-safety test and the store benchmark.",
        subcommands: [CrashWriter.self, Bench.self])
}

/// Positions that look like the localizer's: 30 zones on 2 floors, spread device ids.
func syntheticPositions(count: Int, start: Int, windowEnd: Int64) -> [PositionRow] {
    (0..<count).map { i in
        let n = UInt64(start + i)
        // SplitMix64 finaliser: device ids spread over all 64 bits like the keyed hashes.
        var z = n &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        let device = z ^ (z >> 31)
        let zone = Int(n % 30)
        return PositionRow(
            device: device, windowEndNanoseconds: windowEnd, floor: zone / 15, zoneIndex: zone,
            zoneName: "store-\(zone < 10 ? "0" : "")\(zone)", placement: Placement(rawValue: Int(n % 3))!,
            confidence: Double(n % 1000) / 1000, clockSynchronized: true)
    }
}

func say(_ line: String) {
    var text = line + "\n"
    text.withUTF8 { bytes in _ = Glibc.write(1, bytes.baseAddress, bytes.count) }
}

struct CrashWriter: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crash-writer",
        abstract: "Writes batches forever; after each acknowledged outbox batch prints 'SEQUENCE TOKEN' (unbuffered).",
        discussion: """
            Each round writes --positions positions with window_end_ns = TOKEN (bulk durability), then
            enqueues an outbox batch whose payload is TOKEN as 8 little-endian bytes, covering them
            (FULL durability), then prints the line. A checker verifies both after a SIGKILL.
            """)

    @Option(help: "Database file.") var db: String
    @Option(help: "Positions per round.") var positions = 200

    func run() async throws {
        let store = try BufferDatabase(StoreConfiguration(location: .file(db)))
        var token = StoreConfiguration.wallClockNanoseconds()
        while true {
            token += 1
            try await store.write(StoreBatch(positions: syntheticPositions(count: positions, start: 0, windowEnd: token)))
            let unbatched = try await store.unbatchedRows(limit: positions * 4)
            let payload = (0..<8).map { UInt8(truncatingIfNeeded: token >> ($0 * 8)) }
            let sequence = try await store.enqueueBatch(
                kind: "positions", payload: payload, rowCount: positions, contentHash: payload, covering: unbatched.coverage)
            say("\(sequence) \(token)")
        }
    }
}

struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Writes --rows positions in batches of --batch into a new database; prints one result line.")

    @Option(help: "Database file (must not exist).") var db: String
    @Option(help: "Positions in all.") var rows = 1_000_000
    @Option(help: "Positions per write (one transaction).") var batch = 10_000
    @Option(help: "Bulk durability: normal or full.") var synchronous = "normal"

    func run() async throws {
        guard let mode = StoreConfiguration.Synchronous(rawValue: synchronous.uppercased()) else {
            throw ValidationError("--synchronous must be normal or full, not \(synchronous)")
        }
        var configuration = StoreConfiguration(location: .file(db))
        configuration.bulkSynchronous = mode
        let store = try BufferDatabase(configuration)
        // Batches are built before the clock starts: the benchmark times the store, not the generator.
        var batches: [StoreBatch] = []
        var made = 0
        while made < rows {
            let n = min(batch, rows - made)
            batches.append(StoreBatch(positions: syntheticPositions(count: n, start: made, windowEnd: Int64(made))))
            made += n
        }
        var start = timespec()
        clock_gettime(CLOCK_MONOTONIC, &start)
        for b in batches { try await store.write(b) }
        var end = timespec()
        clock_gettime(CLOCK_MONOTONIC, &end)
        try await store.close()
        let seconds = Double(end.tv_sec - start.tv_sec) + Double(end.tv_nsec - start.tv_nsec) / 1e9
        var info = stat()
        stat(db, &info)
        let bytes = Int64(info.st_size)
        say(
            "rows=\(rows) batch=\(batch) synchronous=\(mode.rawValue) seconds=\(seconds) rows_per_s=\(Int(Double(rows) / seconds)) file_bytes=\(bytes) bytes_per_row=\(Double(bytes) / Double(rows))"
        )
    }
}
