internal import GRDB
internal import GRDBSQLite
internal import Logging
internal import Glibc

/// The gateway's SQLite buffer: positions, visits, counts, events and the upload outbox, in one
/// WAL-mode database that survives crashes, power cuts, a full SD card and a corrupt file.
///
/// An actor so the in-memory bookkeeping (batches held while the disk is full, counters) changes
/// in step with the database. Calls run one SQLite transaction synchronously on the actor (a few
/// ms for thousands of rows); the daemon's store service calls it once per batch, not per row.
///
/// Durability (https://www.sqlite.org/wal.html, https://www.sqlite.org/pragma.html#pragma_synchronous):
/// - Bulk rows (``write(_:)``) commit with ``StoreConfiguration/bulkSynchronous``, `NORMAL` by
///   default: atomic and crash-safe (a killed process loses nothing committed), but a power cut
///   may lose the commits since the last fsync. Nobody has been told these rows exist yet.
/// - Outbox changes (``enqueueBatch(kind:payload:rowCount:contentHash:covering:)``,
///   ``markSent(sequence:)``, ``park(sequence:reason:)``) always commit with `FULL`: the sync stage
///   and the collector act on them. The WAL is append-only, so that fsync also makes every earlier
///   bulk commit durable: after a power cut the database is a prefix of what was committed, and
///   every acknowledged batch is in it.
///
/// Checkpoints: SQLite's automatic PASSIVE checkpoint every ``StoreConfiguration/walAutocheckpointPages``
/// (the moment NORMAL commits reach the card), a TRUNCATE checkpoint after pruning (so the file
/// shrinks) and at ``close()``; `journal_size_limit` bounds the WAL left on disk in between.
public actor BufferDatabase {
    let configuration: StoreConfiguration
    let writer: any DatabaseWriter
    /// The file path, or `:memory:`; errors and events name it.
    public nonisolated let path: String
    let logger: Logger
    let pageSize: Int64

    var currentSynchronous: StoreConfiguration.Synchronous?
    /// Batches that could not be written (disk full / I/O error), oldest first.
    var held: [StoreBatch] = []
    /// Events the store raised itself while it could not write; they go out with the next write.
    var ownEvents: [EventRow] = []
    var statistics = StoreStats()
    var closed = false
    /// Whether `PATH-reserve` is in place (see ``StoreConfiguration/reserveBytes``).
    var reserveHeld = false
    /// The upload backlog as a running tally, changed by every commit that changes it, so
    /// ``backlog()`` (read at every status write) costs no `count(*)` over the tables. Nil until
    /// first counted, and after pruning unsynced rows (rare; recounted on the next read).
    var backlogTally: BacklogTally?

    /// Opens (or creates) the buffer: checks the file's integrity, moves a corrupt one aside and
    /// starts afresh (loudly: a `critical` log and an `integrity` event), applies migrations.
    ///
    /// - Throws: ``StoreError`` when even a new database cannot be created (no permission, no space
    ///   for the first pages); a corrupt or foreign file is not an error.
    public init(_ configuration: StoreConfiguration) throws {
        self.configuration = configuration
        self.logger = configuration.logger
        let opened = try Self.open(configuration)
        self.writer = opened.writer
        self.path = opened.path
        self.pageSize = opened.pageSize
        statistics.maxBytes = configuration.maxBytes
        statistics.movedAsideCorruptDatabase = opened.movedAside
        reserveHeld =
            configuration.reserveBytes > 0 && opened.path != ":memory:"
            && FileSystem.allocate(opened.path + "-reserve", bytes: configuration.reserveBytes)
    }

    /// Writes one batch in one transaction (bulk durability), after any batches held back while
    /// the disk was full; then enforces the size cap.
    ///
    /// SQLITE_FULL and I/O errors do not throw: the batch is held in memory (bounded by
    /// ``StoreConfiguration/heldRowLimit``, oldest dropped and counted beyond it), synced rows are
    /// pruned to make room, the condition shows in ``stats()`` and as a `disk-full` event once
    /// something can be written again. The next call retries, so writing resumes by itself.
    /// - Returns: `.written`, or `.held(rows:)` with the rows now waiting in memory.
    /// - Throws: ``StoreError`` for anything else (a constraint violated, the database gone corrupt).
    @discardableResult
    public func write(_ batch: StoreBatch) throws -> WriteOutcome {
        if !batch.isEmpty {
            held.append(batch)
            statistics.heldRows += batch.rowCount
        }
        let outcome = try flushHeld()
        if outcome == .written, configuration.maxBytes != nil, try enforceSizeCap() != nil {
            // The retention event goes out now, not with some later batch; the caller's batch is in.
            _ = try flushHeld()
        }
        statistics.heldBatches = held.count
        return outcome
    }

    /// Records one event (through ``write(_:)``, so it is held like any row while the disk is full).
    @discardableResult
    public func record(_ level: EventLevel, _ kind: String, _ message: String) throws -> WriteOutcome {
        try write(StoreBatch(events: [EventRow(timeNanoseconds: configuration.clock(), level: level, kind: kind, message: message)]))
    }

    /// Sets a `meta` value (gateway id, venue id, ...), durably.
    public func setMeta(_ key: String, _ value: String) throws {
        try transaction("set meta \(key)", .full) { db in
            try db.execute(sql: "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", arguments: [key, value])
        }
    }

    public func meta(_ key: String) throws -> String? {
        try read("read meta \(key)") { db in
            try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = ?", arguments: [key])
        }
    }

    /// Counters and sizes now (sizes read from SQLite and the file system at the call).
    public func stats() throws -> StoreStats {
        var stats = statistics
        stats.usedBytes = try usedBytes()
        stats.fileBytes = fileBytes()
        return stats
    }

    /// Checkpoints the WAL into the database (TRUNCATE) and closes it; later calls fail.
    public func close() throws {
        guard !closed else { return }
        closed = true
        if !held.isEmpty {
            logger.error(
                "Closing the store with batches it could not write (disk full)",
                metadata: ["rows": "\(statistics.heldRows)", "path": "\(path)"])
        }
        _ = try? writer.writeWithoutTransaction { db in try db.checkpoint(.truncate) }
        do {
            if let pool = writer as? DatabasePool { try pool.close() } else if let queue = writer as? DatabaseQueue { try queue.close() }
        } catch {
            throw StoreError.wrap(error, "close", path: path)
        }
    }

    // MARK: - Writing

    func flushHeld() throws -> WriteOutcome {
        var prunedForSpace = false
        while !held.isEmpty {
            var batch = held[0]
            let own = ownEvents
            batch.events = own + batch.events
            do {
                var added = TableCounts()
                try transaction("write batch", configuration.bulkSynchronous) { db in added = try self.insert(batch, db) }
                // Counted only once committed: a failed transaction added nothing.
                backlogTally?.unbatchedRows += added
            } catch let error as StoreError where error.isOutOfSpace {
                noteSpaceError(error)
                // Room first from rows already delivered (and, past the cap, the oldest unsynced);
                // one try per call, so a disk that stays full costs one failed transaction per batch.
                if !prunedForSpace {
                    prunedForSpace = true
                    if (try? pruneForSpace()) ?? 0 > 0 { continue }
                }
                enforceHeldLimit()
                return .held(rows: statistics.heldRows)
            }
            held.removeFirst()
            if !reserveHeld { reserveHeld = restoreReserve() }
            statistics.heldRows -= batch.rowCount - own.count
            ownEvents.removeFirst(own.count)
            statistics.rowsWritten += batch.counts
            if statistics.diskFull {
                statistics.diskFull = false
                let message = "Writing resumed after the disk was full; \(statistics.droppedWhileFull.summary) rows dropped so far while full"
                logger.notice("Store writes resumed", metadata: ["path": "\(path)"])
                ownEvents.append(EventRow(timeNanoseconds: configuration.clock(), level: .notice, kind: "disk-full", message: message))
            }
        }
        if !ownEvents.isEmpty {
            // Our own notes (resumed, retention) go out now rather than with some later batch; if
            // that fails they wait in `ownEvents`, but every batch handed to us is written.
            held.append(StoreBatch())
            _ = try flushHeld()
        }
        return .written
    }

    func noteSpaceError(_ error: StoreError) {
        statistics.spaceErrors += 1
        statistics.lastWriteError = error.description
        if !statistics.diskFull {
            statistics.diskFull = true
            logger.error("Store cannot write: disk full or failing; holding batches in memory", metadata: ["error": "\(error)"])
            ownEvents.append(
                EventRow(
                    timeNanoseconds: configuration.clock(), level: .error, kind: "disk-full",
                    message: "Cannot write the buffer database (\(error.description)); holding up to \(configuration.heldRowLimit) rows in memory"))
        }
    }

    /// Drops the oldest held batches beyond the limit, counting their rows.
    func enforceHeldLimit() {
        while statistics.heldRows > configuration.heldRowLimit, held.count > 1 {
            let dropped = held.removeFirst()
            statistics.heldRows -= dropped.rowCount
            statistics.droppedWhileFull += dropped.counts
        }
        statistics.heldBatches = held.count
    }

    /// Inserts a batch's rows; returns how many rows it added to each table's unbatched backlog.
    func insert(_ batch: StoreBatch, _ db: Database) throws -> TableCounts {
        var added = TableCounts(positions: batch.positions.count, visits: batch.visits.count, events: batch.events.count)
        if !batch.positions.isEmpty { try insertPositions(batch.positions, db) }
        if !batch.visits.isEmpty {
            let statement = try db.cachedStatement(
                sql: "INSERT INTO visits (device_id, store_index, store_name, enter_ns, exit_ns, passer_by) VALUES (?, ?, ?, ?, ?, ?)")
            for visit in batch.visits {
                try statement.execute(arguments: [
                    Int64(bitPattern: visit.device), visit.storeIndex, visit.storeName, visit.enterNanoseconds,
                    visit.exitNanoseconds, visit.passerBy,
                ])
            }
        }
        if !batch.storeCounts.isEmpty {
            let statement = try db.cachedStatement(
                sql: """
                    INSERT OR REPLACE INTO store_counts (store_index, store_name, interval_start_ns, interval_ns, footfall,
                        passers_by, unique_devices, dwell_under_1m, dwell_1m_5m, dwell_5m_15m, dwell_15m_30m,
                        dwell_30m_60m, dwell_60m_plus, dwell_seconds_sum)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """)
            // A recomputed interval replaces its row: the backlog grows by one only when the row it
            // replaces was already in a batch (or there was none).
            let existing = try db.cachedStatement(sql: "SELECT id FROM store_counts WHERE store_index = ? AND interval_start_ns = ?")
            let enqueued =
                try Int64.fetchOne(db, sql: "SELECT enqueued_through_id FROM sync_progress WHERE table_name = 'store_counts'") ?? 0
            for count in batch.storeCounts {
                let replaced = try Int64.fetchOne(existing, arguments: [count.storeIndex, count.intervalStartNanoseconds])
                if replaced.map({ $0 <= enqueued }) ?? true { added.storeCounts += 1 }
                let dwell = count.dwell
                try statement.execute(arguments: [
                    count.storeIndex, count.storeName, count.intervalStartNanoseconds, count.intervalNanoseconds,
                    count.footfall, count.passersBy, count.uniqueDevices, dwell.under1Minute, dwell.from1To5Minutes,
                    dwell.from5To15Minutes, dwell.from15To30Minutes, dwell.from30To60Minutes, dwell.from60Minutes,
                    dwell.secondsSum,
                ])
            }
        }
        if !batch.events.isEmpty {
            let statement = try db.cachedStatement(sql: "INSERT INTO events (time_ns, level, kind, message) VALUES (?, ?, ?, ?)")
            for event in batch.events {
                try statement.execute(arguments: [event.timeNanoseconds, event.level.rawValue, event.kind, event.message])
            }
        }
        if !batch.sensors.isEmpty {
            let statement = try db.cachedStatement(
                sql: """
                    INSERT OR REPLACE INTO sensors (sensor_id, last_heard_ns, frames, drops, kernel_drops, status, updated_at_ns)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """)
            let now = configuration.clock()
            for sensor in batch.sensors {
                try statement.execute(arguments: [
                    sensor.sensor, sensor.lastHeardNanoseconds, sensor.frames, sensor.drops, sensor.kernelDrops,
                    sensor.status, now,
                ])
            }
        }
        return added
    }

    /// Rows per INSERT statement on the bulk path: one statement per row would pay the statement's
    /// fixed cost (AUTOINCREMENT reads and writes sqlite_sequence once per statement) every row.
    static let positionsPerStatement = 64

    static func insertPositionSQL(rows: Int) -> String {
        let values = [String](repeating: "(?, ?, ?, ?, ?, ?, ?, ?)", count: rows).joined(separator: ", ")
        return """
            INSERT INTO positions (device_id, window_end_ns, floor, zone_index, zone_name, placement, confidence, clock_synchronized)
            VALUES \(values)
            """
    }
    static let insertPositionsChunkSQL = insertPositionSQL(rows: positionsPerStatement)
    static let insertPositionSQL = insertPositionSQL(rows: 1)

    /// The hot path: thousands of rows per call, 64 per statement, bound through the C API (GRDB's
    /// `StatementArguments` boxes every value, which costs more than SQLite's insert itself).
    func insertPositions(_ rows: [PositionRow], _ db: Database) throws {
        let chunk = Self.positionsPerStatement
        var start = rows.startIndex
        while start < rows.endIndex {
            let count = rows.endIndex - start >= chunk ? chunk : 1
            let sql = count == chunk ? Self.insertPositionsChunkSQL : Self.insertPositionSQL
            let handle = try db.cachedStatement(sql: sql).sqliteStatement
            for (slot, row) in rows[start..<start + count].enumerated() {
                let base = Int32(slot * 8)
                // Integer and double binds fail only for an index out of range (SQLITE_RANGE), which
                // the fixed statements above rule out; the text bind can fail (SQLITE_TOOBIG/NOMEM).
                sqlite3_bind_int64(handle, base + 1, Int64(bitPattern: row.device))
                sqlite3_bind_int64(handle, base + 2, row.windowEndNanoseconds)
                sqlite3_bind_int64(handle, base + 3, Int64(row.floor))
                sqlite3_bind_int64(handle, base + 4, Int64(row.zoneIndex))
                sqlite3_bind_int64(handle, base + 6, Int64(row.placement.rawValue))
                sqlite3_bind_double(handle, base + 7, row.confidence)
                sqlite3_bind_int64(handle, base + 8, row.clockSynchronized ? 1 : 0)
                // SQLITE_TRANSIENT: SQLite copies the bytes, which live only inside the closure.
                let bound = row.zoneName.withCString { sqlite3_bind_text(handle, base + 5, $0, -1, Self.transient) }
                if bound != SQLITE_OK { try fail(bound, handle, sql, db) }
            }
            let stepped = sqlite3_step(handle)
            if stepped != SQLITE_DONE { try fail(stepped, handle, sql, db) }
            sqlite3_reset(handle)
            start += count
        }
    }

    /// SQLite's SQLITE_TRANSIENT destructor (-1), which the C macro defines and Swift cannot import.
    static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    func fail(_ code: Int32, _ handle: OpaquePointer, _ sql: String, _ db: Database) throws -> Never {
        let message = String(cString: sqlite3_errmsg(db.sqliteConnection))
        sqlite3_reset(handle)
        throw DatabaseError(resultCode: ResultCode(rawValue: code), message: message, sql: sql)
    }

    // MARK: - Transactions

    /// Runs `body` in one IMMEDIATE transaction with the given durability; errors become ``StoreError``.
    func transaction(
        _ operation: String, _ synchronous: StoreConfiguration.Synchronous, _ body: (Database) throws -> Void
    ) throws {
        do {
            try writer.writeWithoutTransaction { db in
                if currentSynchronous != synchronous {
                    try db.execute(sql: "PRAGMA synchronous = \(synchronous.rawValue)")
                    currentSynchronous = synchronous
                }
                try db.inTransaction(.immediate) {
                    try body(db)
                    return .commit
                }
            }
        } catch {
            throw StoreError.wrap(error, operation, path: path)
        }
    }

    func read<T>(_ operation: String, _ body: (Database) throws -> T) throws -> T {
        do {
            return try writer.read(body)
        } catch {
            throw StoreError.wrap(error, operation, path: path)
        }
    }

    /// Pages in use × page size (free pages waiting for `incremental_vacuum` excluded).
    func usedBytes() throws -> Int64 {
        try read("measure size") { db in
            let pages = try Int64.fetchOne(db, sql: "PRAGMA page_count") ?? 0
            let free = try Int64.fetchOne(db, sql: "PRAGMA freelist_count") ?? 0
            return (pages - free) * pageSize
        }
    }

    nonisolated var reservePath: String? {
        path == ":memory:" || configuration.reserveBytes <= 0 ? nil : path + "-reserve"
    }

    /// Allocates the reserve file; false when there is no room (or no reserve is configured).
    nonisolated func restoreReserve() -> Bool {
        guard let reservePath else { return false }
        return FileSystem.allocate(reservePath, bytes: configuration.reserveBytes)
    }

    func releaseReserve() {
        guard let reservePath else { return }
        unlink(reservePath)
        reserveHeld = false
    }

    nonisolated func fileBytes() -> Int64 {
        guard path != ":memory:" else { return 0 }
        return FileSystem.size(path) + FileSystem.size(path + "-wal")
    }
}

/// What became of a batch handed to ``BufferDatabase/write(_:)``.
public enum WriteOutcome: Sendable, Equatable {
    /// Committed (with every batch held before it).
    case written
    /// Not written for lack of space; `rows` rows now wait in memory for the next write.
    case held(rows: Int)
}
