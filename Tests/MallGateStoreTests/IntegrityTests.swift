import GRDB
import Glibc
import MallGateStore
import MallGateTestSupport
import Testing

@Suite("Integrity at open: a bad file is moved aside, the store starts anyway")
struct IntegrityTests {
    @Test("A database with damaged pages is moved aside, a new one is created, an event recorded")
    func corruptedPages() async throws {
        let dir = makeTemporaryDirectory("corrupt")
        defer { removeTree(dir) }
        let path = dir + "/b.db"
        var store = try BufferDatabase(StoreConfiguration(location: .file(path)))
        for i in 0..<10 { try await store.write(StoreBatch(positions: positions(2000, start: i * 2000))) }
        let old = try await store.enqueueBatch(kind: "k", payload: [1], rowCount: 1, contentHash: [])
        try await store.close()
        let size = fileSize(path)
        #expect(size > 200_000)

        // Overwrite the middle third of the file (table b-tree pages) with a byte pattern.
        let file = try #require(fopen(path, "r+b"))
        fseek(file, Int(size / 3), SEEK_SET)
        let junk = [UInt8](repeating: 0xA5, count: Int(size / 3))
        fwrite(junk, 1, junk.count, file)
        fclose(file)
        #expect(try integrityCheck(path) != ["ok"])

        store = try BufferDatabase(StoreConfiguration(location: .file(path)))
        let stats = try await store.stats()
        let moved = try #require(stats.movedAsideCorruptDatabase)
        #expect(moved.hasPrefix(path + ".corrupt-"))
        #expect(fileSize(moved) == size)
        let fresh = try await store.enqueueBatch(kind: "k", payload: [2], rowCount: 1, contentHash: [])
        #expect(fresh > old)
        try await store.write(StoreBatch(positions: positions(10, start: 0)))
        try await store.close()
        try inspect(path) { (db: Database) throws in
            #expect(try String.fetchAll(db, sql: "PRAGMA integrity_check") == ["ok"])
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM positions") == 10)
            let event = try Row.fetchOne(db, sql: "SELECT level, message FROM events WHERE kind = 'integrity'")
            #expect(event?["level"] == "critical")
            #expect((event?["message"] as String?)?.contains(moved) == true)
        }
    }

    @Test("A file that is not a database at all is moved aside untouched")
    func notADatabase() async throws {
        let dir = makeTemporaryDirectory("notadb")
        defer { removeTree(dir) }
        let path = dir + "/b.db"
        let text = String(repeating: "this is a config file, not SQLite\n", count: 200)
        let file = try #require(fopen(path, "wb"))
        fputs(text, file)
        fclose(file)

        let store = try BufferDatabase(StoreConfiguration(location: .file(path)))
        let moved = try #require(try await store.stats().movedAsideCorruptDatabase)
        #expect(readText(moved) == text)
        #expect(try await store.write(StoreBatch(positions: positions(5, start: 0))) == .written)
        try await store.close()
        #expect(try integrityCheck(path) == ["ok"])
        #expect(directoryEntries(dir).filter { $0.contains(".corrupt-") }.count == 1)
    }
}
