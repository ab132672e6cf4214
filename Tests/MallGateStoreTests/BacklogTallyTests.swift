import GRDB
import MallGateStore
import Testing
import MallGateTestSupport

/// The backlog is kept as a running tally (no `count(*)` per call); these tests hold it against a
/// count straight from the tables after every step of a random history.
@Suite("Backlog: the running tally equals a count from the tables")
struct BacklogTallyTests {
    /// SplitMix64: a reproducible history per seed.
    struct Random {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    }

    /// The backlog counted from the file with plain SQL, independently of the store's code.
    func counted(_ path: String, now: Int64) throws -> Backlog {
        try inspect(path) { (db: Database) throws in
            var b = Backlog()
            let row = try #require(
                try Row.fetchOne(
                    db,
                    sql: """
                        SELECT count(*) AS n, coalesce(sum(row_count), 0) AS r, coalesce(sum(length(payload)), 0) AS p,
                               min(created_at_ns) AS o FROM outbox WHERE state = 'pending'
                        """))
            b.pendingBatches = row["n"]
            b.pendingRows = row["r"]
            b.pendingPayloadBytes = row["p"]
            b.oldestPendingCreatedAtNanoseconds = row["o"]
            if let oldest = b.oldestPendingCreatedAtNanoseconds { b.ageNanoseconds = now - oldest }
            b.parkedBatches = try Int.fetchOne(db, sql: "SELECT count(*) FROM outbox WHERE state = 'parked'") ?? -1
            for (table, name) in [(StoreTable.positions, "positions"), (.visits, "visits"), (.storeCounts, "store_counts"), (.events, "events")] {
                b.unbatchedRows[table] =
                    try Int.fetchOne(
                        db, sql: "SELECT count(*) FROM \(name) WHERE id > (SELECT enqueued_through_id FROM sync_progress WHERE table_name = ?)",
                        arguments: [name]) ?? -1
            }
            return b
        }
    }

    func batch(_ random: inout Random, serial: inout Int) -> StoreBatch {
        var batch = StoreBatch()
        let n = random.below(300)
        batch.positions = positions(n, start: serial)
        serial += n
        for _ in 0..<random.below(4) {
            batch.visits.append(
                VisitRow(device: random.next(), storeIndex: random.below(5), storeName: "s", enterNanoseconds: 0, exitNanoseconds: 60, passerBy: false))
        }
        // Few stores and intervals, so recomputed intervals replace rows, batched or not.
        for _ in 0..<random.below(4) {
            batch.storeCounts.append(
                StoreCountRow(
                    storeIndex: random.below(3), storeName: "s", intervalStartNanoseconds: Int64(random.below(4)) * 900_000_000_000,
                    intervalNanoseconds: 900_000_000_000, footfall: random.below(9), passersBy: 0, uniqueDevices: 0, dwell: DwellHistogram()))
        }
        if random.below(3) == 0 { batch.events.append(EventRow(timeNanoseconds: 1, level: .info, kind: "k", message: "m")) }
        return batch
    }

    @Test("Writes, replaced intervals, enqueues, sent, parked, failed attempts and reopening", arguments: [1, 2, 3] as [UInt64])
    func randomHistory(seed: UInt64) async throws {
        let dir = makeTemporaryDirectory("backlog-\(seed)")
        defer { removeTree(dir) }
        let path = dir + "/b.db"
        let clock = ManualClock()
        var configuration = StoreConfiguration(location: .file(path))
        configuration.clock = { clock.now }
        var store = try BufferDatabase(configuration)
        var random = Random(state: seed)
        var serial = 0
        var pending: [Int64] = []
        for step in 0..<120 {
            clock.advance(seconds: Int64(1 + random.below(30)))
            switch random.below(10) {
            case 0..<5:
                try await store.write(batch(&random, serial: &serial))
            case 5, 6:
                let rows = try await store.unbatchedRows(limit: 1 + random.below(400))
                let payload = [UInt8](repeating: 1, count: random.below(100))
                pending.append(
                    try await store.enqueueBatch(kind: "mixed", payload: payload, rowCount: rows.rowCount, contentHash: [], covering: rows.coverage))
            case 7 where !pending.isEmpty:
                try await store.markSent(sequence: pending.remove(at: random.below(pending.count)))
            case 8 where !pending.isEmpty:
                let sequence = pending[random.below(pending.count)]
                if random.below(2) == 0 {
                    try await store.park(sequence: sequence, reason: "400")
                    pending.removeAll { $0 == sequence }
                } else {
                    try await store.recordFailedAttempt(sequence: sequence)
                }
            case 9 where step % 3 == 0:
                try await store.close()
                store = try BufferDatabase(configuration)
            default:
                try await store.write(StoreBatch())
            }
            let expected = try counted(path, now: clock.now)
            #expect(try await store.backlog() == expected, "seed \(seed), step \(step)")
        }
        try await store.close()
    }

    @Test("Pruning unsynced rows past the size cap takes them out of the backlog")
    func pruning() async throws {
        let dir = makeTemporaryDirectory("backlog-prune")
        defer { removeTree(dir) }
        let path = dir + "/b.db"
        let clock = ManualClock()
        var configuration = StoreConfiguration(location: .file(path))
        configuration.clock = { clock.now }
        configuration.maxBytes = 400_000
        let store = try BufferDatabase(configuration)
        try await store.write(StoreBatch(positions: positions(500, start: 0)))
        let rows = try await store.unbatchedRows(limit: 300)
        _ = try await store.enqueueBatch(kind: "positions", payload: [UInt8](repeating: 2, count: 1000), rowCount: 300, contentHash: [], covering: rows.coverage)
        var written = 500
        while try await store.stats().prunedUnsynced.total == 0 {
            try await store.write(StoreBatch(positions: positions(1000, start: written)))
            written += 1000
            #expect(written < 300_000)
        }
        let expected = try counted(path, now: clock.now)
        #expect(expected.unbatchedRows.positions < written - 300)
        #expect(try await store.backlog() == expected)
        try await store.close()
    }
}
