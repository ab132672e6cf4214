internal import GRDB
internal import FoundationEssentials

/// Where an upload batch stands: pending until the collector answers 2xx (sent) or rejects it (parked).
public enum OutboxState: String, Sendable, CaseIterable {
    case pending, sent, parked
}

/// One upload batch as the outbox keeps it.
public struct OutboxBatch: Sendable, Equatable {
    /// Strictly increasing, never reused, not necessarily contiguous (a new database starts at its
    /// creation time in microseconds).
    public var sequence: Int64
    public var createdAtNanoseconds: Int64
    /// What the payload holds, in the sync protocol's words (`positions`, `visits`, `mixed`, ...).
    public var kind: String
    /// The encoded (compressed) wire payload, exactly as it will be sent.
    public var payload: [UInt8]
    public var rowCount: Int
    /// The sync stage's hash of the payload, sent along so the collector can check it.
    public var contentHash: [UInt8]
    public var state: OutboxState
    public var parkReason: String?
    /// Failed upload attempts so far.
    public var attempts: Int
}

/// The last row id per table that a batch carries; rows after the previous batch's ids up to
/// these are "in" the batch. Tables left nil are not in it.
public struct Coverage: Sendable, Equatable {
    public var through: [StoreTable: Int64]
    public init(through: [StoreTable: Int64] = [:]) { self.through = through }
}

/// A row with its id in the store (the id is what ``Coverage`` refers to).
public struct StoredRow<Row: Sendable & Equatable>: Sendable, Equatable {
    public var id: Int64
    public var row: Row
}

/// Rows not yet put into any outbox batch, oldest first, and the coverage to enqueue them with.
public struct UnbatchedRows: Sendable, Equatable {
    public var positions: [StoredRow<PositionRow>] = []
    public var visits: [StoredRow<VisitRow>] = []
    public var storeCounts: [StoredRow<StoreCountRow>] = []
    public var events: [StoredRow<EventRow>] = []
    public var coverage = Coverage()
    public var rowCount: Int { positions.count + visits.count + storeCounts.count + events.count }
}

/// What waits to be uploaded: the daemon's `mallgate_outbox_backlog_*` metrics.
public struct Backlog: Sendable, Equatable {
    public var pendingBatches = 0
    public var pendingRows = 0
    public var pendingPayloadBytes = 0
    public var parkedBatches = 0
    public var oldestPendingCreatedAtNanoseconds: Int64?
    /// Now minus the oldest pending batch's creation (0 with nothing pending).
    public var ageNanoseconds: Int64 = 0
    /// Rows written but not yet in any batch.
    public var unbatchedRows = TableCounts()

    /// An empty backlog (nothing pending, parked or unbatched).
    public init() {}
}

/// ``Backlog`` kept up to date commit by commit (see ``BufferDatabase/backlogTally``).
///
/// Exact as long as this actor is the database's only writer, which the daemon guarantees (one
/// process per state directory); `BacklogTallyTests` holds it to a count from the tables.
struct BacklogTally: Sendable {
    var pendingBatches = 0
    var pendingRows = 0
    var pendingPayloadBytes = 0
    var parkedBatches = 0
    var unbatchedRows = TableCounts()
    /// (created_at_ns, sequence) of every pending batch, ascending: the first is the oldest.
    /// One entry per batch (a day of outage at one batch a minute is 1,440), not per row.
    private(set) var pendingAges: [(createdAt: Int64, sequence: Int64)] = []

    var oldestPendingCreatedAtNanoseconds: Int64? { pendingAges.first?.createdAt }

    /// Where (createdAt, sequence) is or would go in `pendingAges`.
    private func slot(_ createdAt: Int64, _ sequence: Int64) -> Int {
        var low = 0
        var high = pendingAges.count
        while low < high {
            let mid = (low + high) / 2
            let e = pendingAges[mid]
            if e.createdAt < createdAt || (e.createdAt == createdAt && e.sequence < sequence) { low = mid + 1 } else { high = mid }
        }
        return low
    }

    mutating func addPending(sequence: Int64, createdAt: Int64, rows: Int, payloadBytes: Int) {
        pendingBatches += 1
        pendingRows += rows
        pendingPayloadBytes += payloadBytes
        pendingAges.insert((createdAt, sequence), at: slot(createdAt, sequence))
    }

    mutating func removePending(sequence: Int64, createdAt: Int64, rows: Int, payloadBytes: Int) {
        pendingBatches -= 1
        pendingRows -= rows
        pendingPayloadBytes -= payloadBytes
        let i = slot(createdAt, sequence)
        if i < pendingAges.count && pendingAges[i] == (createdAt, sequence) { pendingAges.remove(at: i) }
    }
}

/// What a pending-or-not batch held, read inside the transaction that changes its state.
private struct BatchFacts {
    var state: OutboxState
    var createdAt: Int64
    var rows: Int
    var payloadBytes: Int

    static func fetch(_ sequence: Int64, _ db: Database) throws -> BatchFacts? {
        try Row.fetchOne(
            db, sql: "SELECT state, created_at_ns, row_count, length(payload) AS bytes FROM outbox WHERE sequence = ?",
            arguments: [sequence]
        ).map { row in
            BatchFacts(state: OutboxState(rawValue: row["state"]) ?? .pending, createdAt: row["created_at_ns"], rows: row["row_count"], payloadBytes: row["bytes"])
        }
    }
}

extension BufferDatabase {
    /// Adds an upload batch and advances the enqueued cursor of the tables it covers, in one FULL
    /// (fsynced) transaction: once this returns, the batch survives a power cut.
    ///
    /// - Parameters:
    ///   - covering: the rows the payload carries (from ``unbatchedRows(limit:)``); must not go back.
    /// - Returns: the batch's sequence number, larger than every earlier one.
    /// - Throws: ``StoreError`` (``StoreError/isOutOfSpace`` when the disk is full: retry later).
    public func enqueueBatch(
        kind: String, payload: [UInt8], rowCount: Int, contentHash: [UInt8], covering: Coverage = Coverage()
    ) throws -> Int64 {
        var sequence: Int64 = 0
        var batched = TableCounts()
        let now = configuration.clock()
        try transaction("enqueue an outbox batch", .full) { db in
            for (table, through) in covering.through {
                let enqueued = try Int64.fetchOne(
                    db, sql: "SELECT enqueued_through_id FROM sync_progress WHERE table_name = ?", arguments: [table.rawValue]) ?? 0
                guard through >= enqueued else {
                    throw StoreError(kind: .invalidCoverage(table: table.rawValue, through: through, enqueued: enqueued), path: path)
                }
                // A rowid range: costs the rows this batch takes out of the backlog, not the backlog.
                batched[table] =
                    try Int.fetchOne(
                        db, sql: "SELECT count(*) FROM \(table.rawValue) WHERE id > ? AND id <= ?", arguments: [enqueued, through]) ?? 0
            }
            try db.execute(
                sql: """
                    INSERT INTO outbox (created_at_ns, kind, payload, row_count, content_hash)
                    VALUES (?, ?, ?, ?, ?)
                    """,
                arguments: [now, kind, Data(payload), rowCount, Data(contentHash)])
            sequence = db.lastInsertedRowID
            for (table, through) in covering.through {
                try db.execute(
                    sql: "INSERT INTO outbox_coverage (sequence, table_name, through_id) VALUES (?, ?, ?)",
                    arguments: [sequence, table.rawValue, through])
                try db.execute(
                    sql: "UPDATE sync_progress SET enqueued_through_id = ? WHERE table_name = ?",
                    arguments: [through, table.rawValue])
            }
        }
        if backlogTally != nil {
            backlogTally!.addPending(sequence: sequence, createdAt: now, rows: rowCount, payloadBytes: payload.count)
            for table in StoreTable.allCases { backlogTally!.unbatchedRows[table] -= batched[table] }
        }
        return sequence
    }

    /// The oldest pending batches, in sequence order (the sync stage uploads them in this order).
    public func nextPendingBatches(limit: Int) throws -> [OutboxBatch] {
        try read("read pending outbox batches") { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT sequence, created_at_ns, kind, payload, row_count, content_hash, state, park_reason, attempts
                    FROM outbox WHERE state = 'pending' ORDER BY sequence LIMIT ?
                    """,
                arguments: [limit]
            ).map(Self.outboxBatch)
        }
    }

    /// One batch in any state, or nil.
    public func outboxBatch(sequence: Int64) throws -> OutboxBatch? {
        try read("read outbox batch \(sequence)") { db in
            try Row.fetchOne(
                db,
                sql: """
                    SELECT sequence, created_at_ns, kind, payload, row_count, content_hash, state, park_reason, attempts
                    FROM outbox WHERE sequence = ?
                    """,
                arguments: [sequence]
            ).map(Self.outboxBatch)
        }
    }

    /// The collector acknowledged the batch (2xx): it is delivered, and the rows it covers count as
    /// synced, so retention may prune them first. Idempotent. FULL durability.
    /// - Throws: ``StoreError`` when no batch has this sequence.
    public func markSent(sequence: Int64) throws {
        let now = configuration.clock()
        var facts: BatchFacts?
        try transaction("mark outbox batch \(sequence) sent", .full) { db in
            try requireBatch(sequence, db)
            facts = try BatchFacts.fetch(sequence, db)
            try db.execute(
                sql: "UPDATE outbox SET state = 'sent', sent_at_ns = ? WHERE sequence = ? AND state = 'pending'",
                arguments: [now, sequence])
            try db.execute(
                sql: """
                    UPDATE sync_progress SET synced_through_id = max(synced_through_id, coverage.through_id)
                    FROM (SELECT table_name, through_id FROM outbox_coverage WHERE sequence = ?) AS coverage
                    WHERE sync_progress.table_name = coverage.table_name
                    """,
                arguments: [sequence])
        }
        if let facts, facts.state == .pending {
            backlogTally?.removePending(sequence: sequence, createdAt: facts.createdAt, rows: facts.rows, payloadBytes: facts.payloadBytes)
        }
    }

    /// An upload attempt failed in a retryable way (timeout, 5xx, 429): counts it; the batch stays pending.
    public func recordFailedAttempt(sequence: Int64) throws {
        let now = configuration.clock()
        try transaction("count a failed attempt of outbox batch \(sequence)", .normal) { db in
            try requireBatch(sequence, db)
            try db.execute(
                sql: "UPDATE outbox SET attempts = attempts + 1, last_attempt_ns = ? WHERE sequence = ?",
                arguments: [now, sequence])
        }
    }

    /// The collector rejected the batch (4xx other than 408/429): parked with its reason, visible,
    /// never retried. Its rows count as handled (synced) for retention. FULL durability.
    public func park(sequence: Int64, reason: String) throws {
        let now = configuration.clock()
        var facts: BatchFacts?
        try transaction("park outbox batch \(sequence)", .full) { db in
            try requireBatch(sequence, db)
            facts = try BatchFacts.fetch(sequence, db)
            try db.execute(
                sql: """
                    UPDATE outbox SET state = 'parked', park_reason = ?, attempts = attempts + 1, last_attempt_ns = ?
                    WHERE sequence = ? AND state = 'pending'
                    """,
                arguments: [reason, now, sequence])
            try db.execute(
                sql: """
                    UPDATE sync_progress SET synced_through_id = max(synced_through_id, coverage.through_id)
                    FROM (SELECT table_name, through_id FROM outbox_coverage WHERE sequence = ?) AS coverage
                    WHERE sync_progress.table_name = coverage.table_name
                    """,
                arguments: [sequence])
        }
        if let facts, facts.state == .pending {
            backlogTally?.removePending(sequence: sequence, createdAt: facts.createdAt, rows: facts.rows, payloadBytes: facts.payloadBytes)
            backlogTally?.parkedBatches += 1
        }
    }

    /// Pending and parked batches, the oldest pending one's age, and rows not yet batched.
    ///
    /// From the running tally (no query); the tables are counted only the first time after open
    /// and after unsynced rows were pruned.
    public func backlog() throws -> Backlog {
        let now = configuration.clock()
        if backlogTally == nil { backlogTally = try countBacklog() }
        let tally = backlogTally!
        var backlog = Backlog()
        backlog.pendingBatches = tally.pendingBatches
        backlog.pendingRows = tally.pendingRows
        backlog.pendingPayloadBytes = tally.pendingPayloadBytes
        backlog.parkedBatches = tally.parkedBatches
        backlog.oldestPendingCreatedAtNanoseconds = tally.oldestPendingCreatedAtNanoseconds
        if let oldest = tally.oldestPendingCreatedAtNanoseconds { backlog.ageNanoseconds = max(0, now - oldest) }
        backlog.unbatchedRows = tally.unbatchedRows
        return backlog
    }

    /// The backlog counted from the tables: O(backlog), so only to start the tally.
    func countBacklog() throws -> BacklogTally {
        try read("measure the outbox backlog") { db in
            var backlog = BacklogTally()
            if let row = try Row.fetchOne(
                db,
                sql: """
                    SELECT coalesce(sum(row_count), 0) AS rows, coalesce(sum(length(payload)), 0) AS bytes
                    FROM outbox WHERE state = 'pending'
                    """)
            {
                backlog.pendingRows = row["rows"]
                backlog.pendingPayloadBytes = row["bytes"]
            }
            for row in try Row.fetchAll(db, sql: "SELECT created_at_ns, sequence FROM outbox WHERE state = 'pending'") {
                backlog.addPending(sequence: row["sequence"], createdAt: row["created_at_ns"], rows: 0, payloadBytes: 0)
            }
            backlog.parkedBatches = try Int.fetchOne(db, sql: "SELECT count(*) FROM outbox WHERE state = 'parked'") ?? 0
            for table in StoreTable.allCases {
                backlog.unbatchedRows[table] =
                    try Int.fetchOne(
                        db,
                        sql: """
                            SELECT count(*) FROM \(table.rawValue)
                            WHERE id > (SELECT enqueued_through_id FROM sync_progress WHERE table_name = ?)
                            """,
                        arguments: [table.rawValue]) ?? 0
            }
            return backlog
        }
    }

    /// Up to `limit` rows per table that no batch covers yet, oldest first, with the ``Coverage``
    /// to pass to ``enqueueBatch(kind:payload:rowCount:contentHash:covering:)`` once encoded.
    public func unbatchedRows(limit: Int) throws -> UnbatchedRows {
        try read("read unbatched rows") { db in
            var result = UnbatchedRows()
            func after(_ table: StoreTable) throws -> Int64 {
                try Int64.fetchOne(
                    db, sql: "SELECT enqueued_through_id FROM sync_progress WHERE table_name = ?", arguments: [table.rawValue]) ?? 0
            }
            result.positions = try Row.fetchAll(
                db,
                sql: """
                    SELECT id, device_id, window_end_ns, floor, zone_index, zone_name, placement, confidence, clock_synchronized
                    FROM positions WHERE id > ? ORDER BY id LIMIT ?
                    """,
                arguments: [try after(.positions), limit]
            ).map { row in
                StoredRow(
                    id: row["id"],
                    row: PositionRow(
                        device: UInt64(bitPattern: row["device_id"]), windowEndNanoseconds: row["window_end_ns"],
                        floor: row["floor"], zoneIndex: row["zone_index"], zoneName: row["zone_name"],
                        placement: Placement(rawValue: row["placement"]) ?? .elsewhere, confidence: row["confidence"],
                        clockSynchronized: row["clock_synchronized"]))
            }
            result.visits = try Row.fetchAll(
                db,
                sql: """
                    SELECT id, device_id, store_index, store_name, enter_ns, exit_ns, passer_by
                    FROM visits WHERE id > ? ORDER BY id LIMIT ?
                    """,
                arguments: [try after(.visits), limit]
            ).map { row in
                StoredRow(
                    id: row["id"],
                    row: VisitRow(
                        device: UInt64(bitPattern: row["device_id"]), storeIndex: row["store_index"],
                        storeName: row["store_name"], enterNanoseconds: row["enter_ns"], exitNanoseconds: row["exit_ns"],
                        passerBy: row["passer_by"]))
            }
            result.storeCounts = try Row.fetchAll(
                db, sql: "SELECT * FROM store_counts WHERE id > ? ORDER BY id LIMIT ?", arguments: [try after(.storeCounts), limit]
            ).map { row in
                var dwell = DwellHistogram()
                dwell.under1Minute = row["dwell_under_1m"]
                dwell.from1To5Minutes = row["dwell_1m_5m"]
                dwell.from5To15Minutes = row["dwell_5m_15m"]
                dwell.from15To30Minutes = row["dwell_15m_30m"]
                dwell.from30To60Minutes = row["dwell_30m_60m"]
                dwell.from60Minutes = row["dwell_60m_plus"]
                dwell.secondsSum = row["dwell_seconds_sum"]
                return StoredRow(
                    id: row["id"],
                    row: StoreCountRow(
                        storeIndex: row["store_index"], storeName: row["store_name"],
                        intervalStartNanoseconds: row["interval_start_ns"], intervalNanoseconds: row["interval_ns"],
                        footfall: row["footfall"], passersBy: row["passers_by"], uniqueDevices: row["unique_devices"],
                        dwell: dwell))
            }
            result.events = try Row.fetchAll(
                db, sql: "SELECT id, time_ns, level, kind, message FROM events WHERE id > ? ORDER BY id LIMIT ?",
                arguments: [try after(.events), limit]
            ).map { row in
                StoredRow(
                    id: row["id"],
                    row: EventRow(
                        timeNanoseconds: row["time_ns"], level: EventLevel(rawValue: row["level"]) ?? .info,
                        kind: row["kind"], message: row["message"]))
            }
            if let last = result.positions.last { result.coverage.through[.positions] = last.id }
            if let last = result.visits.last { result.coverage.through[.visits] = last.id }
            if let last = result.storeCounts.last { result.coverage.through[.storeCounts] = last.id }
            if let last = result.events.last { result.coverage.through[.events] = last.id }
            return result
        }
    }

    func requireBatch(_ sequence: Int64, _ db: Database) throws {
        guard try Int.fetchOne(db, sql: "SELECT 1 FROM outbox WHERE sequence = ?", arguments: [sequence]) != nil else {
            throw StoreError(kind: .noSuchBatch(sequence: sequence), path: path)
        }
    }

    static func outboxBatch(_ row: Row) -> OutboxBatch {
        let payload: Data = row["payload"] ?? Data()
        let hash: Data = row["content_hash"] ?? Data()
        return OutboxBatch(
            sequence: row["sequence"], createdAtNanoseconds: row["created_at_ns"], kind: row["kind"],
            payload: [UInt8](payload), rowCount: row["row_count"], contentHash: [UInt8](hash),
            state: OutboxState(rawValue: row["state"]) ?? .pending, parkReason: row["park_reason"], attempts: row["attempts"])
    }
}
