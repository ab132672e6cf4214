// The default collector store: one SQLite file in WAL mode through GRDB. One machine, nothing
// to install; concurrent readers (reports) never block the single writer (ingest).
import GRDB
import MallGateWire

/// A collector store in one SQLite database (GRDB `DatabasePool`, WAL).
public final class SQLiteCollectorStore: CollectorStore {
    let pool: DatabasePool

    /// Opens (creating if needed) the database at `path`. Call `migrate()` before use.
    /// - Throws: `CollectorError` naming the file when it cannot be opened.
    public init(path: String) throws {
        var configuration = Configuration()
        // A batch acknowledged to a gateway must survive power loss: the gateway drops it next.
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        configuration.busyMode = .timeout(10)
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
        } catch {
            throw CollectorError(.database("cannot open SQLite database \(path) (\(error)); check the path and its directory's permissions"))
        }
    }

    public func migrate() async throws {
        var migrator = DatabaseMigrator()
        for migration in CollectorSchema.sqlite {
            migrator.registerMigration(migration.name) { db in try db.execute(sql: migration.sql) }
        }
        // Synchronous, once at start: GRDB's migrator takes the writer itself.
        try migrator.migrate(pool)
    }

    public func addGateway(_ gateway: GatewayRecord) async throws {
        try await pool.write { db in
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM gateways WHERE name = ?", arguments: [gateway.name]) == true {
                throw CollectorError(.gatewayExists(gateway.name))
            }
            try db.execute(
                sql: "INSERT INTO gateways (name, venue_id, token_sha256, created_ms, revoked_ms) VALUES (?, ?, ?, ?, NULL)",
                arguments: [gateway.name, gateway.venueID, gateway.tokenSHA256, gateway.createdUnixMs])
        }
    }

    public func revokeGateway(name: String, atUnixMs: Int64) async throws -> Bool {
        try await pool.write { db in
            try db.execute(sql: "UPDATE gateways SET revoked_ms = ? WHERE name = ? AND revoked_ms IS NULL", arguments: [atUnixMs, name])
            return db.changesCount > 0
        }
    }

    public func gateways() async throws -> [GatewayRecord] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT name, venue_id, token_sha256, created_ms, revoked_ms FROM gateways ORDER BY name").map(Self.gateway)
        }
    }

    public func activeGateway(tokenSHA256: String) async throws -> GatewayRecord? {
        try await pool.read { db in
            try Row.fetchOne(
                db, sql: "SELECT name, venue_id, token_sha256, created_ms, revoked_ms FROM gateways WHERE token_sha256 = ? AND revoked_ms IS NULL",
                arguments: [tokenSHA256]
            ).map(Self.gateway)
        }
    }

    public func ingest(_ batch: VerifiedBatch) async throws -> IngestOutcome {
        try await pool.write { db in
            let sequence = Int64(batch.sequence)
            try db.execute(
                sql: """
                INSERT INTO batches (gateway, sequence, venue_id, content_sha256, created_ms, received_ms, row_count)
                VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (gateway, sequence) DO NOTHING
                """,
                arguments: [batch.gateway, sequence, batch.venueID, batch.contentSHA256, batch.createdUnixMs, batch.receivedUnixMs, batch.rows.rowCount])
            guard db.changesCount == 1 else {
                let stored = try String.fetchOne(
                    db, sql: "SELECT content_sha256 FROM batches WHERE gateway = ? AND sequence = ?", arguments: [batch.gateway, sequence]) ?? ""
                return stored == batch.contentSHA256 ? .duplicate : .conflict(storedSHA256: stored)
            }
            let gap = try Self.recordGaps(db, batch)
            try Self.insertRows(db, batch)
            return .stored(rows: batch.rows.rowCount, gap: gap)
        }
    }

    public func highestSequence(gateway: String) async throws -> UInt64 {
        try await pool.read { db in
            UInt64(try Int64.fetchOne(db, sql: "SELECT MAX(sequence) FROM batches WHERE gateway = ?", arguments: [gateway]) ?? 0)
        }
    }

    public func sequenceGaps(gateway: String) async throws -> [SequenceGap] {
        try await pool.read { db in
            try Row.fetchAll(
                db, sql: "SELECT first_missing, last_missing FROM sequence_gaps WHERE gateway = ? ORDER BY first_missing", arguments: [gateway]
            ).map { SequenceGap(gateway: gateway, firstMissing: UInt64($0[0] as Int64), lastMissing: UInt64($0[1] as Int64)) }
        }
    }

    public func storeReport(venueID: String, fromMs: Int64, toMs: Int64, bucketSeconds: Int64) async throws -> [StoreReportRow] {
        let sql = CollectorSchema.reportSQL(bucketMs: bucketSeconds * 1000, placeholders: ["?", "?", "?"])
        return try await pool.read { db in
            try Row.fetchAll(db, sql: sql, arguments: [venueID, fromMs, toMs]).map { row in
                StoreReportRow(store: row[0], bucketStartMs: row[1], footfall: row[2], passersBy: row[3], dwellSecondsSum: row[4])
            }
        }
    }

    public func tableCounts() async throws -> TableCounts {
        try await pool.read { db in
            func count(_ table: String) throws -> Int { try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table)") ?? 0 }
            var counts = TableCounts()
            counts.batches = try count("batches")
            counts.positions = try count("positions")
            counts.visits = try count("visits")
            counts.storeCounts = try count("store_counts")
            counts.healthEvents = try count("health_events")
            counts.sequenceGaps = try count("sequence_gaps")
            return counts
        }
    }

    public func positions(venueID: String) async throws -> [StoredPosition] {
        try await pool.read { db in
            try Row.fetchAll(
                db, sql: "SELECT gateway, sequence, device, time_ms, zone, confidence FROM positions WHERE venue_id = ? ORDER BY gateway, device, time_ms",
                arguments: [venueID]
            ).map { row in
                StoredPosition(
                    gateway: row[0], sequence: UInt64(row[1] as Int64), device: UInt64(bitPattern: row[2] as Int64), timeMs: row[3],
                    zone: row[4], confidence: UInt8(row[5] as Int))
            }
        }
    }

    public func close() async {}

    // MARK: - Inside the ingest transaction

    private static func recordGaps(_ db: Database, _ batch: VerifiedBatch) throws -> ClosedRange<UInt64>? {
        let sequence = Int64(batch.sequence)
        // A late arrival inside a recorded gap shrinks (or splits) that gap.
        if let row = try Row.fetchOne(
            db, sql: "SELECT first_missing, last_missing FROM sequence_gaps WHERE gateway = ? AND first_missing <= ? AND last_missing >= ?",
            arguments: [batch.gateway, sequence, sequence])
        {
            let recorded = UInt64(row[0] as Int64)...UInt64(row[1] as Int64)
            try db.execute(sql: "DELETE FROM sequence_gaps WHERE gateway = ? AND first_missing = ?", arguments: [batch.gateway, row[0] as Int64])
            for part in splitGap(recorded, filling: batch.sequence) {
                try db.execute(
                    sql: "INSERT INTO sequence_gaps (gateway, first_missing, last_missing, detected_ms) VALUES (?, ?, ?, ?)",
                    arguments: [batch.gateway, Int64(part.lowerBound), Int64(part.upperBound), batch.receivedUnixMs])
            }
            return nil
        }
        let below = try Int64.fetchOne(db, sql: "SELECT MAX(sequence) FROM batches WHERE gateway = ? AND sequence < ?", arguments: [batch.gateway, sequence])
        let aboveExists = try Bool.fetchOne(db, sql: "SELECT 1 FROM batches WHERE gateway = ? AND sequence > ? LIMIT 1", arguments: [batch.gateway, sequence]) ?? false
        guard let gap = newGap(sequence: batch.sequence, below: below.map { UInt64($0) }, aboveExists: aboveExists) else { return nil }
        try db.execute(
            sql: "INSERT INTO sequence_gaps (gateway, first_missing, last_missing, detected_ms) VALUES (?, ?, ?, ?)",
            arguments: [batch.gateway, Int64(gap.lowerBound), Int64(gap.upperBound), batch.receivedUnixMs])
        return gap
    }

    private static func insertRows(_ db: Database, _ batch: VerifiedBatch) throws {
        let rows = batch.rows
        let zones = rows.zoneIDs
        let gateway = batch.gateway, sequence = Int64(batch.sequence), venue = batch.venueID
        if !rows.positions.isEmpty {
            let statement = try db.cachedStatement(
                sql: "INSERT INTO positions (gateway, sequence, venue_id, device, time_ms, zone, confidence) VALUES (?, ?, ?, ?, ?, ?, ?)")
            for p in rows.positions {
                try statement.execute(arguments: [gateway, sequence, venue, Int64(bitPattern: p.device), p.timeMs, zones[p.zone], Int(p.confidence)])
            }
        }
        if !rows.visits.isEmpty {
            let statement = try db.cachedStatement(
                sql: "INSERT INTO visits (gateway, sequence, venue_id, device, store, enter_ms, exit_ms) VALUES (?, ?, ?, ?, ?, ?, ?)")
            for v in rows.visits {
                try statement.execute(arguments: [gateway, sequence, venue, Int64(bitPattern: v.device), zones[v.store], v.enterMs, v.exitMs])
            }
        }
        if !rows.storeCounts.isEmpty {
            let statement = try db.cachedStatement(sql: """
                INSERT INTO store_counts (gateway, sequence, venue_id, store, interval_start_ms, interval_seconds, footfall, passers_by, dwell_seconds_sum, dwell_histogram)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                \(CollectorSchema.storeCountsUpsert)
                """)
            for c in rows.storeCounts {
                try statement.execute(arguments: [
                    gateway, sequence, venue, zones[c.store], c.intervalStartMs, Int64(c.intervalSeconds), Int64(c.footfall),
                    Int64(c.passersBy), Int64(bitPattern: c.dwellSecondsSum), CollectorSchema.histogramText(c.dwellHistogram),
                ])
            }
        }
        if !rows.healthEvents.isEmpty {
            let statement = try db.cachedStatement(
                sql: "INSERT INTO health_events (gateway, sequence, venue_id, time_ms, sensor, kind, message, value) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
            for e in rows.healthEvents {
                try statement.execute(arguments: [gateway, sequence, venue, e.timeMs, e.sensor, e.kind, e.message, e.value])
            }
        }
    }

    private static func gateway(_ row: Row) -> GatewayRecord {
        GatewayRecord(name: row[0], venueID: row[1], tokenSHA256: row[2], createdUnixMs: row[3], revokedUnixMs: row[4])
    }
}
