import GRDB
import Glibc
import MallGateStore
import Testing
import MallGateTestSupport

@Suite("BufferDatabase: schema, batched writes, outbox")
struct BufferDatabaseTests {
    enum Where: String, CaseIterable, Sendable { case memory, disk }

    func makeStore(_ place: Where, clock: ManualClock, name: String) throws -> (BufferDatabase, String?) {
        switch place {
        case .memory:
            var configuration = StoreConfiguration(location: .inMemory)
            configuration.clock = { clock.now }
            return (try BufferDatabase(configuration), nil)
        case .disk:
            let dir = makeTemporaryDirectory(name)
            var configuration = StoreConfiguration(location: .file(dir + "/buffer.db"))
            configuration.clock = { clock.now }
            return (try BufferDatabase(configuration), dir)
        }
    }

    @Test("A batch is written in one transaction and reads back field for field", arguments: Where.allCases)
    func roundTrip(place: Where) async throws {
        let clock = ManualClock()
        let (store, dir) = try makeStore(place, clock: clock, name: "roundtrip")
        defer { dir.map(removeTree) }
        var dwell = DwellHistogram()
        dwell.add(dwellSeconds: 30)
        dwell.add(dwellSeconds: 4000)
        let batch = StoreBatch(
            positions: positions(3000, start: 0) + [
                PositionRow(
                    device: .max, windowEndNanoseconds: -1, floor: 3, zoneIndex: 7, zoneName: "Café ☕",
                    placement: .outside, confidence: 0.25, clockSynchronized: false)
            ],
            visits: [
                VisitRow(device: 1 << 63, storeIndex: 4, storeName: "shoes", enterNanoseconds: 10, exitNanoseconds: 70, passerBy: false)
            ],
            storeCounts: [
                StoreCountRow(
                    storeIndex: 4, storeName: "shoes", intervalStartNanoseconds: 0, intervalNanoseconds: 900_000_000_000,
                    footfall: 2, passersBy: 5, uniqueDevices: 7, dwell: dwell)
            ],
            events: [EventRow(timeNanoseconds: 5, level: .warning, kind: "sensor-silent", message: "s1 silent for 60 s")],
            sensors: [SensorHealth(sensor: "s1", lastHeardNanoseconds: nil, frames: 10, drops: 1, kernelDrops: 2, status: "silent")])
        #expect(try await store.write(batch) == .written)

        let rows = try await store.unbatchedRows(limit: 10_000)
        #expect(rows.positions.map(\.row) == batch.positions)
        #expect(rows.visits.map(\.row) == batch.visits)
        #expect(rows.storeCounts.map(\.row) == batch.storeCounts)
        #expect(rows.events.map(\.row) == batch.events)
        #expect(rows.coverage.through[.positions] == rows.positions.last?.id)
        let stats = try await store.stats()
        #expect(stats.rowsWritten == TableCounts(positions: 3001, visits: 1, storeCounts: 1, events: 1))
        if let dir {
            try await store.close()
            try inspect(dir + "/buffer.db") { (db: Database) throws in
                #expect(try Int.fetchOne(db, sql: "SELECT dwell_ns FROM visits") == 60)
                #expect(try Int64.fetchOne(db, sql: "SELECT device_id FROM positions WHERE zone_name = 'Café ☕'") == -1)
                #expect(try String.fetchOne(db, sql: "SELECT status FROM sensors WHERE sensor_id = 's1'") == "silent")
                #expect(try String.fetchOne(db, sql: "PRAGMA journal_mode") == "wal")
                // 2 = INCREMENTAL (https://www.sqlite.org/pragma.html#pragma_auto_vacuum).
                #expect(try Int.fetchOne(db, sql: "PRAGMA auto_vacuum") == 2)
                #expect(try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations") == ["v1-core", "v2-dwell-sum"])
            }
        }
    }

    @Test("No column anywhere can hold a MAC: devices are 64-bit integers")
    func noMacColumns() async throws {
        let dir = makeTemporaryDirectory("schema")
        defer { removeTree(dir) }
        try await BufferDatabase(StoreConfiguration(location: .file(dir + "/b.db"))).close()
        try inspect(dir + "/b.db") { (db: Database) throws in
            let tables = try String.fetchAll(db, sql: "SELECT name FROM sqlite_schema WHERE type = 'table'")
            #expect(tables.count >= 10)
            for table in tables {
                for column in try db.columns(in: table) {
                    #expect(!column.name.lowercased().contains("mac"), "\(table).\(column.name)")
                    if column.name == "device_id" { #expect(column.type == "INTEGER") }
                }
            }
        }
    }

    @Test("Outbox: sequences strictly increase; pending in order; sent and parked leave the queue", arguments: Where.allCases)
    func outbox(place: Where) async throws {
        let clock = ManualClock()
        let (store, dir) = try makeStore(place, clock: clock, name: "outbox")
        defer { dir.map(removeTree) }
        try await store.write(StoreBatch(positions: positions(100, start: 0)))
        let first = try await store.unbatchedRows(limit: 60)
        #expect(first.positions.count == 60)
        let s1 = try await store.enqueueBatch(kind: "positions", payload: [1, 2, 3], rowCount: 60, contentHash: [9], covering: first.coverage)
        clock.advance(seconds: 10)
        let second = try await store.unbatchedRows(limit: 1000)
        #expect(second.positions.count == 40)
        #expect(second.positions.first?.id == first.positions.last.map { $0.id + 1 })
        let s2 = try await store.enqueueBatch(kind: "positions", payload: [4], rowCount: 40, contentHash: [8], covering: second.coverage)
        let s3 = try await store.enqueueBatch(kind: "events", payload: [], rowCount: 0, contentHash: [])
        #expect(s1 < s2 && s2 < s3)
        #expect(try await store.unbatchedRows(limit: 10).rowCount == 0)

        clock.advance(seconds: 50)
        var backlog = try await store.backlog()
        #expect(backlog.pendingBatches == 3)
        #expect(backlog.pendingRows == 100)
        #expect(backlog.pendingPayloadBytes == 4)
        #expect(backlog.ageNanoseconds == 60_000_000_000)

        let pending = try await store.nextPendingBatches(limit: 2)
        #expect(pending.map(\.sequence) == [s1, s2])
        #expect(pending[0].payload == [1, 2, 3] && pending[0].contentHash == [9] && pending[0].state == .pending)

        try await store.recordFailedAttempt(sequence: s1)
        try await store.markSent(sequence: s1)
        try await store.markSent(sequence: s1)  // idempotent
        try await store.park(sequence: s2, reason: "400: venue mismatch")
        #expect(try await store.nextPendingBatches(limit: 10).map(\.sequence) == [s3])
        let parked = try #require(try await store.outboxBatch(sequence: s2))
        #expect(parked.state == .parked && parked.parkReason == "400: venue mismatch" && parked.attempts == 1)
        #expect(try await store.outboxBatch(sequence: s1)?.attempts == 1)
        backlog = try await store.backlog()
        #expect(backlog.pendingBatches == 1 && backlog.parkedBatches == 1)
        #expect(backlog.ageNanoseconds == 50_000_000_000)  // s3, enqueued 10 s after the start, now 60 s

        await #expect(throws: StoreError.self) { try await store.markSent(sequence: s3 + 1000) }
        // Going back over rows already batched is refused.
        await #expect(throws: StoreError.self) {
            try await store.enqueueBatch(kind: "positions", payload: [], rowCount: 0, contentHash: [], covering: first.coverage)
        }
    }

    @Test("A new database's sequences start past any earlier database's (the collector dedups by sequence)")
    func sequenceOrigin() async throws {
        let dir = makeTemporaryDirectory("origin")
        defer { removeTree(dir) }
        let clock = ManualClock(1_000_000_000_000_000_000)
        var configuration = StoreConfiguration(location: .file(dir + "/b.db"))
        configuration.clock = { clock.now }
        var store = try BufferDatabase(configuration)
        let a = try await store.enqueueBatch(kind: "k", payload: [], rowCount: 0, contentHash: [])
        #expect(a > clock.now / 1000)
        try await store.close()
        unlink(dir + "/b.db")
        clock.advance(seconds: 1)
        store = try BufferDatabase(configuration)
        let b = try await store.enqueueBatch(kind: "k", payload: [], rowCount: 0, contentHash: [])
        #expect(b > a)
        try await store.close()
    }
}
