import GRDB
import MallGateStore
import Testing
import MallGateTestSupport

@Suite("Retention: size cap, synced rows first")
struct RetentionTests {
    @Test("Past the cap, synced rows go first (oldest first); unsynced rows only when that is not enough; the file shrinks")
    func syncedFirstThenUnsynced() async throws {
        let dir = makeTemporaryDirectory("retention")
        defer { removeTree(dir) }
        let path = dir + "/b.db"
        let cap: Int64 = 1_000_000
        var configuration = StoreConfiguration(location: .file(path))
        configuration.maxBytes = cap
        let store = try BufferDatabase(configuration)

        // 12,000 rows, delivered upstream.
        for i in 0..<6 { try await store.write(StoreBatch(positions: positions(2000, start: i * 2000))) }
        let synced = try await store.unbatchedRows(limit: 100_000)
        let syncedThrough = try #require(synced.coverage.through[.positions])
        let sequence = try await store.enqueueBatch(kind: "positions", payload: [UInt8](repeating: 7, count: 50_000), rowCount: 12_000, contentHash: [], covering: synced.coverage)
        try await store.markSent(sequence: sequence)

        // Unsynced rows until pruning starts: it must take synced rows only.
        var unsyncedWritten = 0
        while try await store.stats().prunedSynced.positions == 0 {
            try await store.write(StoreBatch(positions: positions(1000, start: 100_000 + unsyncedWritten)))
            unsyncedWritten += 1000
            #expect(unsyncedWritten < 200_000)
        }
        var stats = try await store.stats()
        #expect(stats.prunedUnsynced == TableCounts())
        #expect(stats.prunedSynced.outbox == 1)  // the delivered batch's payload went first
        #expect(stats.usedBytes <= cap)
        try inspect(path) { (db: Database) throws in
            // Every unsynced row is still there; the synced rows left are the newest ones.
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM positions WHERE id > ?", arguments: [syncedThrough]) == unsyncedWritten)
            let left = try Int.fetchOne(db, sql: "SELECT count(*) FROM positions WHERE id <= ?", arguments: [syncedThrough]) ?? -1
            #expect(left == 12_000 - stats.prunedSynced.positions)
            if left > 0 {
                #expect(try Int64.fetchOne(db, sql: "SELECT min(id) FROM positions") == syncedThrough - Int64(left) + 1)
            }
        }

        // Keep writing: once the synced rows are gone, the oldest unsynced rows go, counted.
        while try await store.stats().prunedUnsynced.positions == 0 {
            try await store.write(StoreBatch(positions: positions(1000, start: 100_000 + unsyncedWritten)))
            unsyncedWritten += 1000
            #expect(unsyncedWritten < 400_000)
        }
        stats = try await store.stats()
        #expect(stats.prunedSynced.positions == 12_000)
        #expect(stats.usedBytes <= cap)
        try await store.close()
        // After close (TRUNCATE checkpoint) the file holds no more than the cap: pages were given back.
        #expect(fileSize(path) <= cap)
        #expect(fileSize(path) > 0)
        try inspect(path) { (db: Database) throws in
            let count = try Int.fetchOne(db, sql: "SELECT count(*) FROM positions") ?? -1
            #expect(count == unsyncedWritten - stats.prunedUnsynced.positions)
            let minId = try Int64.fetchOne(db, sql: "SELECT min(id) FROM positions") ?? -1
            let maxId = try Int64.fetchOne(db, sql: "SELECT max(id) FROM positions") ?? -1
            #expect(maxId - minId + 1 == Int64(count))  // oldest first: what is left is one contiguous, newest range
            #expect(maxId == syncedThrough + Int64(unsyncedWritten))
            let levels = try String.fetchAll(db, sql: "SELECT level FROM events WHERE kind = 'retention' ORDER BY id")
            #expect(levels.first == "info")
            #expect(levels.contains("warning"))
            #expect(try String.fetchAll(db, sql: "PRAGMA integrity_check") == ["ok"])
        }
    }
}
