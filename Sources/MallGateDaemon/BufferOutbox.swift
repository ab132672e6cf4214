// The gateway's SQLite outbox seen by the uploader: rows from the buffer are sealed into wire
// batches here, and each batch's fate (delivered, parked) is written back here.
public import MallGateStore
public import MallGateSync
internal import MallGateWire

/// The buffer database's outbox as the uploader's ``OutboxQueue``, and the sealer that turns
/// unbatched rows into wire batches.
///
/// Why here and not in the store or the sync module: the store knows rows, the sync module knows
/// batches; only the daemon knows both (and the venue's zone table the wire format indexes into).
///
/// Sealing takes up to ``maxRowsPerBatch`` of the oldest unbatched rows, encodes them with
/// `BatchRows.encodedPayload()` and hands payload, hash and row coverage to
/// `BufferDatabase.enqueueBatch`, which inserts the batch and advances the "enqueued through"
/// cursors in one FULL transaction: after a crash either both happened or neither, so a row is
/// never lost between buffer and outbox nor sealed twice. Only one sealer may run per database
/// (``SyncService`` runs one; `mallgate sync --once` refuses while the daemon runs).
///
/// Sequences are the outbox's own (SQLite AUTOINCREMENT, seeded at the database's creation time
/// in microseconds): they survive restarts and ignore the wall clock afterwards, see
/// docs/sync-protocol.md "Sequence numbers".
public struct BufferOutbox: OutboxQueue {
    public let database: BufferDatabase
    /// The venue batches are sealed for (venue file `id`); stored with each batch.
    public let venueID: String
    /// The venue's zone ids in venue-file order: the wire format's zone table.
    public let zoneIDs: [String]
    /// The most rows (of all kinds together) in one batch.
    public let maxRowsPerBatch: Int

    /// The `kind` column of batches this adapter seals: the payload format, then the venue.
    static let kindPrefix = "wire-v1:"

    public init(database: BufferDatabase, venueID: String, zoneIDs: [String], maxRowsPerBatch: Int = 5000) {
        self.database = database
        self.venueID = venueID
        self.zoneIDs = zoneIDs
        self.maxRowsPerBatch = max(1, maxRowsPerBatch)
    }

    // MARK: OutboxQueue

    public func pending(limit: Int) async throws -> [MallGateSync.OutboxBatch] {
        try await database.nextPendingBatches(limit: limit).map(wireBatch)
    }

    public func markDelivered(_ sequence: UInt64) async throws {
        // The contract lets a pruned batch be marked; the store would say "no such batch".
        guard try await database.outboxBatch(sequence: Int64(sequence)) != nil else { return }
        try await database.markSent(sequence: Int64(sequence))
    }

    public func park(_ sequence: UInt64, reason: String) async throws {
        guard try await database.outboxBatch(sequence: Int64(sequence)) != nil else { return }
        try await database.park(sequence: Int64(sequence), reason: reason)
    }

    /// A stored batch as the uploader sends it; its venue is the one it was sealed for.
    func wireBatch(_ batch: MallGateStore.OutboxBatch) -> MallGateSync.OutboxBatch {
        let venue = batch.kind.hasPrefix(Self.kindPrefix) ? String(batch.kind.dropFirst(Self.kindPrefix.count)) : venueID
        var wire = MallGateSync.OutboxBatch(
            sequence: UInt64(max(0, batch.sequence)), venueID: venue, payload: batch.payload, contentSHA256: batch.contentHash,
            createdUnixMs: batch.createdAtNanoseconds / 1_000_000)
        wire.rowCount = batch.rowCount
        return wire
    }

    // MARK: Sealing

    /// What one call to ``sealNext()`` put into the outbox.
    public struct Sealed: Sendable, Equatable {
        public var sequence: UInt64
        /// Buffer rows the batch covers (passers-by included, though they travel only as counts).
        public var rows: Int
        public var payloadBytes: Int
    }

    /// Seals the oldest unbatched rows (at most ``maxRowsPerBatch``) into one outbox batch.
    /// - Returns: the batch, or nil when no row waits.
    /// - Throws: `StoreError` (``StoreError/isOutOfSpace`` when the disk is full: try again later).
    public func sealNext() async throws -> Sealed? {
        let unbatched = try await database.unbatchedRows(limit: maxRowsPerBatch)
        guard unbatched.rowCount > 0 else { return nil }
        let (rows, coverage, count) = Self.pack(unbatched, zoneIDs: zoneIDs, maxRows: maxRowsPerBatch)
        let payload = rows.encodedPayload()
        let sequence = try await database.enqueueBatch(
            kind: Self.kindPrefix + venueID, payload: payload, rowCount: count, contentHash: ContentHash.sha256(payload),
            covering: coverage)
        return Sealed(sequence: UInt64(sequence), rows: count, payloadBytes: payload.count)
    }

    /// Seals batches until no row waits or `maxBatches` are sealed.
    /// - Returns: batches and rows sealed.
    public func sealAll(maxBatches: Int = .max) async throws -> (batches: Int, rows: Int) {
        var batches = 0
        var rows = 0
        while batches < maxBatches, let sealed = try await sealNext() {
            batches += 1
            rows += sealed.rows
        }
        return (batches, rows)
    }

    /// Turns buffer rows into wire rows, trimmed to `maxRows` (positions go first, being the
    /// bulk; the coverage follows the trim so the rest waits for the next batch).
    /// - Returns: the wire rows, the coverage to enqueue with, and the buffer rows covered.
    static func pack(_ unbatched: UnbatchedRows, zoneIDs: [String], maxRows: Int) -> (BatchRows, Coverage, Int) {
        var budget = maxRows
        func take<Row>(_ rows: [StoredRow<Row>]) -> ArraySlice<StoredRow<Row>> {
            let taken = rows.prefix(max(0, budget))
            budget -= taken.count
            return taken
        }
        // Aggregates and events are few and worth most: they are taken before positions.
        let counts = take(unbatched.storeCounts)
        let visits = take(unbatched.visits)
        let events = take(unbatched.events)
        let positions = take(unbatched.positions)

        var coverage = Coverage()
        if let last = positions.last { coverage.through[.positions] = last.id }
        if let last = visits.last { coverage.through[.visits] = last.id }
        if let last = counts.last { coverage.through[.storeCounts] = last.id }
        if let last = events.last { coverage.through[.events] = last.id }

        var table = ZoneTable(zoneIDs)
        var rows = BatchRows(zoneIDs: [])
        rows.positions.reserveCapacity(positions.count)
        for stored in positions {
            let p = stored.row
            rows.positions.append(MallGateWire.PositionRow(
                device: p.device, timeMs: floorDivide(p.windowEndNanoseconds, 1_000_000), zone: table.index(p.zoneName),
                confidence: UInt8(clamping: Int((min(max(p.confidence, 0), 1) * 255).rounded()))))
        }
        for stored in visits where !stored.row.passerBy {
            // Passers-by have no wire row of their own: the store counts carry them.
            let v = stored.row
            rows.visits.append(MallGateWire.VisitRow(
                device: v.device, store: table.index(v.storeName), enterMs: floorDivide(v.enterNanoseconds, 1_000_000),
                exitMs: max(floorDivide(v.exitNanoseconds, 1_000_000), floorDivide(v.enterNanoseconds, 1_000_000))))
        }
        for stored in counts {
            let c = stored.row
            let d = c.dwell
            rows.storeCounts.append(MallGateWire.StoreCountRow(
                store: table.index(c.storeName), intervalStartMs: floorDivide(c.intervalStartNanoseconds, 1_000_000),
                intervalSeconds: UInt32(clamping: c.intervalNanoseconds / 1_000_000_000), footfall: UInt32(clamping: c.footfall),
                passersBy: UInt32(clamping: c.passersBy), dwellSecondsSum: UInt64(clamping: d.secondsSum),
                dwellHistogram: [d.under1Minute, d.from1To5Minutes, d.from5To15Minutes, d.from15To30Minutes, d.from30To60Minutes, d.from60Minutes]
                    .map { UInt32(clamping: $0) }))
        }
        for stored in events {
            let e = stored.row
            rows.healthEvents.append(HealthEventRow(
                timeMs: floorDivide(e.timeNanoseconds, 1_000_000), sensor: sensorOf(e.message),
                kind: e.kind.replacing("-", with: "_"), message: e.message))
        }
        rows.zoneIDs = table.ids
        return (rows, coverage, positions.count + visits.count + counts.count + events.count)
    }

    /// `sensor s2: …` or `sensor s2 went silent` → `s2`; "" for gateway-wide events.
    static func sensorOf(_ message: String) -> String {
        guard message.hasPrefix("sensor ") else { return "" }
        let name = message.dropFirst(7).prefix { $0 != " " && $0 != ":" }
        return String(name)
    }
}

/// The venue's zone table plus any zone a row names that the venue no longer has (a row written
/// before a venue reload): every row keeps its zone id.
struct ZoneTable {
    private(set) var ids: [String]
    private var indices: [String: Int]

    init(_ ids: [String]) {
        self.ids = ids
        indices = Dictionary(ids.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
    }

    mutating func index(_ id: String) -> Int {
        if let index = indices[id] { return index }
        ids.append(id)
        indices[id] = ids.count - 1
        return ids.count - 1
    }
}

/// Division rounding toward minus infinity (times before 1970 stay ordered).
func floorDivide(_ a: Int64, _ b: Int64) -> Int64 {
    let q = a / b
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
}
