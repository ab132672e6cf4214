import MallGateDaemon
import MallGateStore
import MallGateSync
import MallGateWire
import Testing
import MallGateTestSupport

/// The gateway's buffer as the uploader's outbox: rows sealed into bounded batches oldest first,
/// each row in exactly one batch, sequences that only grow — across reopening and a wall clock
/// set back a day (a gateway without an RTC before NTP). Expected rows are built by the test
/// from what it wrote, not read back through the adapter.
@Suite("BufferOutbox: buffer rows → outbox batches")
struct BufferOutboxTests {
    static let zones = ["L0-c1", "L0-s01", "L0-s02", "L0-s03"]

    /// `count` positions 5 s apart, cycling through the zones, confidence k/100.
    static func positions(_ count: Int, device: UInt64, startNs: Int64) -> [MallGateStore.PositionRow] {
        (0..<count).map { k in
            MallGateStore.PositionRow(
                device: device, windowEndNanoseconds: startNs + Int64(k) * 5_000_000_000, floor: 0, zoneIndex: k % zones.count,
                zoneName: zones[k % zones.count], placement: .elsewhere, confidence: Double(k % 100) / 100, clockSynchronized: true)
        }
    }

    /// (device, ms, zone id, confidence 0…255) of a wire batch's positions.
    static func keys(_ rows: BatchRows) -> [String] {
        rows.positions.map { "\($0.device)|\($0.timeMs)|\(rows.zoneIDs[$0.zone])|\($0.confidence)" }
    }

    @Test("rows are sealed oldest first into batches of at most batch_rows, each row once, and survive as pending until delivered")
    func sealing() async throws {
        let database = try BufferDatabase(StoreConfiguration(location: .inMemory))
        let start: Int64 = 1_764_000_000_000_000_000
        let written = Self.positions(1050, device: 42, startNs: start)
        try await database.write(StoreBatch(
            positions: written,
            visits: [
                VisitRow(device: 42, storeIndex: 1, storeName: "L0-s01", enterNanoseconds: start, exitNanoseconds: start + 90_000_000_000, passerBy: false),
                VisitRow(device: 43, storeIndex: 2, storeName: "L0-s02", enterNanoseconds: start, exitNanoseconds: start + 5_000_000_000, passerBy: true),
            ],
            events: [EventRow(timeNanoseconds: start, level: .warning, kind: "sensor-silent", message: "sensor s2: not heard for 300 s")]))
        let outbox = BufferOutbox(database: database, venueID: "demo-mall", zoneIDs: Self.zones, maxRowsPerBatch: 400)

        let sealed = try await outbox.sealAll()
        // 1050 positions + 2 visits + 1 event = 1053 rows; 400 per batch → 3 batches.
        #expect(sealed.batches == 3)
        #expect(sealed.rows == 1053)
        #expect(try await outbox.sealNext() == nil, "nothing is sealed twice")

        let pending = try await outbox.pending(limit: 10)
        #expect(pending.map(\.sequence) == pending.map(\.sequence).sorted())
        #expect(Set(pending.map(\.sequence)).count == 3)
        #expect(pending.allSatisfy { $0.venueID == "demo-mall" && $0.rowCount <= 400 && ContentHash.sha256($0.payload) == $0.contentSHA256 })
        let decoded = try pending.map { try BatchRows(payload: $0.payload) }
        // Expected from what was written: ns → ms, confidence × 255 rounded, zone by id.
        let expected = written.map { "\($0.device)|\($0.windowEndNanoseconds / 1_000_000)|\($0.zoneName)|\(Int(($0.confidence * 255).rounded()))" }
        #expect(decoded.flatMap(Self.keys) == expected, "oldest first, in order, each once")
        #expect(decoded.flatMap(\.visits) == [MallGateWire.VisitRow(device: 42, store: 1, enterMs: start / 1_000_000, exitMs: start / 1_000_000 + 90_000)])
        #expect(decoded.flatMap(\.healthEvents).map { "\($0.sensor) \($0.kind)" } == ["s2 sensor_silent"])

        try await outbox.markDelivered(pending[0].sequence)
        try await outbox.park(pending[1].sequence, reason: "HTTP 403: test")
        try await outbox.markDelivered(pending[0].sequence)  // idempotent
        try await outbox.markDelivered(999)  // unknown: not an error
        #expect(try await outbox.pending(limit: 10).map(\.sequence) == [pending[2].sequence])
        let backlog = try await database.backlog()
        #expect(backlog.parkedBatches == 1 && backlog.pendingBatches == 1)
    }

    @Test("sequences keep growing after a reopen with the wall clock a day behind")
    func sequencesIgnoreTheClock() async throws {
        let path = makeTemporaryDirectory("outbox-clock") + "/buffer.sqlite"
        let now: Int64 = 1_764_000_000_000_000_000
        var configuration = StoreConfiguration(location: .file(path))
        configuration.clock = { now }
        var database = try BufferDatabase(configuration)
        var outbox = BufferOutbox(database: database, venueID: "demo-mall", zoneIDs: Self.zones, maxRowsPerBatch: 100)
        try await database.write(StoreBatch(positions: Self.positions(250, device: 7, startNs: now)))
        #expect(try await outbox.sealAll().batches == 3)
        let before = try await outbox.pending(limit: 10).map(\.sequence)
        try await database.close()

        configuration.clock = { now - 86_400_000_000_000 }
        database = try BufferDatabase(configuration)
        outbox = BufferOutbox(database: database, venueID: "demo-mall", zoneIDs: Self.zones, maxRowsPerBatch: 100)
        try await database.write(StoreBatch(positions: Self.positions(150, device: 8, startNs: now)))
        #expect(try await outbox.sealAll().batches == 2)
        let after = try await outbox.pending(limit: 10).map(\.sequence)
        #expect(after.count == 5)
        #expect(Array(after.prefix(3)) == before)
        #expect(after == after.sorted() && Set(after).count == 5, "\(after)")
        let newest = try await outbox.pending(limit: 10).last
        #expect((newest?.createdUnixMs ?? 0) < now / 1_000_000, "the later batch is stamped with the earlier clock")
        try await database.close()
    }
}
