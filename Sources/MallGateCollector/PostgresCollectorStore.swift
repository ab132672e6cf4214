// The collector store for several collectors sharing one PostgreSQL: dedupe by the primary
// key of `batches`, per-gateway advisory locks so gap bookkeeping sees a consistent order,
// bulk row inserts with UNNEST (one statement per table per batch).
public import Logging
import MallGateWire
import NIOSSL
import PostgresNIO

/// A collector store in PostgreSQL (postgres-nio `PostgresClient`, a connection pool).
public final class PostgresCollectorStore: CollectorStore {
    let client: PostgresClient
    private let runner: Task<Void, Never>
    let logger: Logger

    /// Connects lazily to the database `url` names: `postgres://user[:password]@host[:port]/database[?sslmode=disable|prefer|require]`.
    /// - Throws: `CollectorError` when the URL cannot be read.
    public init(url: String, logger: Logger = Logger(label: "mallgate.collector.postgres")) throws {
        let configuration = try Self.configuration(url: url)
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.client = client
        self.logger = logger
        self.runner = Task { await client.run() }
    }

    deinit { runner.cancel() }

    public func close() async { runner.cancel() }

    /// Parses a libpq-style URL into a client configuration.
    static func configuration(url: String) throws -> PostgresClient.Configuration {
        let bad = { (why: String) in CollectorError(.configuration("PostgreSQL URL \(url): \(why); expected postgres://user[:password]@host[:port]/database")) }
        var rest = Substring(url)
        if rest.hasPrefix("postgres://") { rest = rest.dropFirst("postgres://".count) }
        else if rest.hasPrefix("postgresql://") { rest = rest.dropFirst("postgresql://".count) }
        else { throw bad("not a postgres:// URL") }
        var query = Substring("")
        if let mark = rest.firstIndex(of: "?") { query = rest[rest.index(after: mark)...]; rest = rest[..<mark] }
        guard let at = rest.lastIndex(of: "@") else { throw bad("no user@ part") }
        let userInfo = rest[..<at]
        let hostPart = rest[rest.index(after: at)...]
        let user: String, password: String?
        if let colon = userInfo.firstIndex(of: ":") {
            user = Self.percentDecoded(userInfo[..<colon]); password = Self.percentDecoded(userInfo[userInfo.index(after: colon)...])
        } else {
            user = Self.percentDecoded(userInfo); password = nil
        }
        guard let slash = hostPart.firstIndex(of: "/") else { throw bad("no /database") }
        let database = String(hostPart[hostPart.index(after: slash)...])
        let hostAndPort = hostPart[..<slash]
        var host = String(hostAndPort), port = 5432
        if let colon = hostAndPort.lastIndex(of: ":") {
            guard let parsed = Int(hostAndPort[hostAndPort.index(after: colon)...]) else { throw bad("port is not a number") }
            host = String(hostAndPort[..<colon]); port = parsed
        }
        guard !user.isEmpty, !host.isEmpty, !database.isEmpty else { throw bad("user, host and database are required") }
        let tls: PostgresClient.Configuration.TLS
        switch query.split(separator: "&").first(where: { $0.hasPrefix("sslmode=") })?.dropFirst("sslmode=".count) {
        case "disable"?: tls = .disable
        case "require"?, "verify-full"?: tls = .require(.makeClientConfiguration())
        case nil, "prefer"?: tls = .prefer(.makeClientConfiguration())
        case let other?: throw bad("sslmode \(other) is not one of disable, prefer, require, verify-full")
        }
        return PostgresClient.Configuration(host: host, port: port, username: user, password: password, database: database, tls: tls)
    }

    private static func percentDecoded(_ text: Substring) -> String {
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8).makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "%"), let high = iterator.next(), let low = iterator.next(),
               let value = UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16) {
                bytes.append(value)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    public func migrate() async throws {
        let logger = self.logger
        try await client.withTransaction(logger: logger) { connection in
            // Several collectors may start at once; one migrates, the others wait and find it done.
            try await connection.query("SELECT pg_advisory_xact_lock(74260001)", logger: logger)
            try await connection.query(
                "CREATE TABLE IF NOT EXISTS collector_migrations (name TEXT PRIMARY KEY, applied_ms BIGINT NOT NULL)", logger: logger)
            var applied = Set<String>()
            for try await name in try await connection.query("SELECT name FROM collector_migrations", logger: logger).decode(String.self) {
                applied.insert(name)
            }
            for migration in CollectorSchema.postgres where !applied.contains(migration.name) {
                // The extended protocol runs one statement per query; the schema has no ';' inside literals.
                for statement in migration.sql.split(separator: ";") where !statement.allSatisfy(\.isWhitespace) {
                    try await connection.query(PostgresQuery(unsafeSQL: String(statement)), logger: logger)
                }
                let name = migration.name
                try await connection.query(
                    "INSERT INTO collector_migrations (name, applied_ms) VALUES (\(name), (EXTRACT(EPOCH FROM now()) * 1000)::bigint)",
                    logger: logger)
            }
        }
    }

    public func addGateway(_ gateway: GatewayRecord) async throws {
        let rows = try await client.query(
            """
            INSERT INTO gateways (name, venue_id, token_sha256, created_ms) VALUES (\(gateway.name), \(gateway.venueID), \(gateway.tokenSHA256), \(gateway.createdUnixMs))
            ON CONFLICT (name) DO NOTHING RETURNING name
            """, logger: logger)
        var inserted = false
        for try await _ in rows { inserted = true }
        if !inserted { throw CollectorError(.gatewayExists(gateway.name)) }
    }

    public func revokeGateway(name: String, atUnixMs: Int64) async throws -> Bool {
        let rows = try await client.query(
            "UPDATE gateways SET revoked_ms = \(atUnixMs) WHERE name = \(name) AND revoked_ms IS NULL RETURNING name", logger: logger)
        var changed = false
        for try await _ in rows { changed = true }
        return changed
    }

    public func gateways() async throws -> [GatewayRecord] {
        var result: [GatewayRecord] = []
        let rows = try await client.query("SELECT name, venue_id, token_sha256, created_ms, revoked_ms FROM gateways ORDER BY name", logger: logger)
        for try await (name, venue, hash, created, revoked) in rows.decode((String, String, String, Int64, Int64?).self) {
            result.append(GatewayRecord(name: name, venueID: venue, tokenSHA256: hash, createdUnixMs: created, revokedUnixMs: revoked))
        }
        return result
    }

    public func activeGateway(tokenSHA256: String) async throws -> GatewayRecord? {
        let rows = try await client.query(
            "SELECT name, venue_id, token_sha256, created_ms FROM gateways WHERE token_sha256 = \(tokenSHA256) AND revoked_ms IS NULL", logger: logger)
        for try await (name, venue, hash, created) in rows.decode((String, String, String, Int64).self) {
            return GatewayRecord(name: name, venueID: venue, tokenSHA256: hash, createdUnixMs: created)
        }
        return nil
    }

    public func ingest(_ batch: VerifiedBatch) async throws -> IngestOutcome {
        let logger = self.logger
        return try await client.withTransaction(logger: logger) { connection -> IngestOutcome in
            let gateway = batch.gateway, sequence = Int64(batch.sequence)
            // Serializes one gateway's batches across collectors, so the gap bookkeeping below
            // sees every earlier commit. Different gateways do not wait for each other.
            try await connection.query("SELECT pg_advisory_xact_lock(hashtext(\(gateway)))", logger: logger)
            var inserted = false
            let insert = try await connection.query(
                """
                INSERT INTO batches (gateway, sequence, venue_id, content_sha256, created_ms, received_ms, row_count)
                VALUES (\(gateway), \(sequence), \(batch.venueID), \(batch.contentSHA256), \(batch.createdUnixMs), \(batch.receivedUnixMs), \(Int64(batch.rows.rowCount)))
                ON CONFLICT (gateway, sequence) DO NOTHING RETURNING sequence
                """, logger: logger)
            for try await _ in insert { inserted = true }
            guard inserted else {
                var stored = ""
                for try await hash in try await connection.query(
                    "SELECT content_sha256 FROM batches WHERE gateway = \(gateway) AND sequence = \(sequence)", logger: logger
                ).decode(String.self) { stored = hash }
                return stored == batch.contentSHA256 ? .duplicate : .conflict(storedSHA256: stored)
            }
            let gap = try await Self.recordGaps(connection, batch, logger: logger)
            try await Self.insertRows(connection, batch, logger: logger)
            return .stored(rows: batch.rows.rowCount, gap: gap)
        }
    }

    public func highestSequence(gateway: String) async throws -> UInt64 {
        for try await value in try await client.query("SELECT MAX(sequence) FROM batches WHERE gateway = \(gateway)", logger: logger).decode(Int64?.self) {
            return UInt64(value ?? 0)
        }
        return 0
    }

    public func sequenceGaps(gateway: String) async throws -> [SequenceGap] {
        var gaps: [SequenceGap] = []
        let rows = try await client.query(
            "SELECT first_missing, last_missing FROM sequence_gaps WHERE gateway = \(gateway) ORDER BY first_missing", logger: logger)
        for try await (first, last) in rows.decode((Int64, Int64).self) {
            gaps.append(SequenceGap(gateway: gateway, firstMissing: UInt64(first), lastMissing: UInt64(last)))
        }
        return gaps
    }

    public func storeReport(venueID: String, fromMs: Int64, toMs: Int64, bucketSeconds: Int64) async throws -> [StoreReportRow] {
        var binds = PostgresBindings()
        binds.append(venueID)
        binds.append(fromMs)
        binds.append(toMs)
        let sql = CollectorSchema.reportSQL(bucketMs: bucketSeconds * 1000, placeholders: ["$1", "$2", "$3"])
        var result: [StoreReportRow] = []
        for try await (store, bucket, footfall, passers, dwell) in try await client.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger)
            .decode((String, Int64, Int64, Int64, Int64).self)
        {
            result.append(StoreReportRow(store: store, bucketStartMs: bucket, footfall: footfall, passersBy: passers, dwellSecondsSum: dwell))
        }
        return result
    }

    public func tableCounts() async throws -> TableCounts {
        func count(_ table: String) async throws -> Int {
            for try await value in try await client.query(PostgresQuery(unsafeSQL: "SELECT COUNT(*) FROM \(table)"), logger: logger).decode(Int64.self) {
                return Int(value)
            }
            return 0
        }
        var counts = TableCounts()
        counts.batches = try await count("batches")
        counts.positions = try await count("positions")
        counts.visits = try await count("visits")
        counts.storeCounts = try await count("store_counts")
        counts.healthEvents = try await count("health_events")
        counts.sequenceGaps = try await count("sequence_gaps")
        return counts
    }

    public func positions(venueID: String) async throws -> [StoredPosition] {
        var result: [StoredPosition] = []
        let rows = try await client.query(
            "SELECT gateway, sequence, device, time_ms, zone, confidence FROM positions WHERE venue_id = \(venueID) ORDER BY gateway, device, time_ms",
            logger: logger)
        for try await (gateway, sequence, device, time, zone, confidence) in rows.decode((String, Int64, Int64, Int64, String, Int16).self) {
            result.append(StoredPosition(
                gateway: gateway, sequence: UInt64(sequence), device: UInt64(bitPattern: device), timeMs: time, zone: zone, confidence: UInt8(confidence)))
        }
        return result
    }

    // MARK: - Inside the ingest transaction

    private static func recordGaps(_ connection: PostgresConnection, _ batch: VerifiedBatch, logger: Logger) async throws -> ClosedRange<UInt64>? {
        let gateway = batch.gateway, sequence = Int64(batch.sequence)
        var recorded: ClosedRange<UInt64>?
        for try await (first, last) in try await connection.query(
            "SELECT first_missing, last_missing FROM sequence_gaps WHERE gateway = \(gateway) AND first_missing <= \(sequence) AND last_missing >= \(sequence)",
            logger: logger
        ).decode((Int64, Int64).self) {
            recorded = UInt64(first)...UInt64(last)
        }
        if let recorded {
            let first = Int64(recorded.lowerBound)
            try await connection.query("DELETE FROM sequence_gaps WHERE gateway = \(gateway) AND first_missing = \(first)", logger: logger)
            for part in splitGap(recorded, filling: batch.sequence) {
                try await insertGap(connection, gateway: gateway, part, at: batch.receivedUnixMs, logger: logger)
            }
            return nil
        }
        var below: UInt64?
        for try await value in try await connection.query(
            "SELECT MAX(sequence) FROM batches WHERE gateway = \(gateway) AND sequence < \(sequence)", logger: logger
        ).decode(Int64?.self) {
            below = value.map { UInt64($0) }
        }
        var aboveExists = false
        for try await _ in try await connection.query(
            "SELECT 1 FROM batches WHERE gateway = \(gateway) AND sequence > \(sequence) LIMIT 1", logger: logger)
        {
            aboveExists = true
        }
        guard let gap = newGap(sequence: batch.sequence, below: below, aboveExists: aboveExists) else { return nil }
        try await insertGap(connection, gateway: gateway, gap, at: batch.receivedUnixMs, logger: logger)
        return gap
    }

    private static func insertGap(_ connection: PostgresConnection, gateway: String, _ gap: ClosedRange<UInt64>, at: Int64, logger: Logger) async throws {
        let first = Int64(gap.lowerBound), last = Int64(gap.upperBound)
        try await connection.query(
            "INSERT INTO sequence_gaps (gateway, first_missing, last_missing, detected_ms) VALUES (\(gateway), \(first), \(last), \(at))",
            logger: logger)
    }

    private static func insertRows(_ connection: PostgresConnection, _ batch: VerifiedBatch, logger: Logger) async throws {
        let rows = batch.rows
        let zones = rows.zoneIDs
        let gateway = batch.gateway, sequence = Int64(batch.sequence), venue = batch.venueID
        if !rows.positions.isEmpty {
            let devices = rows.positions.map { Int64(bitPattern: $0.device) }
            let times = rows.positions.map(\.timeMs)
            let zoneNames = rows.positions.map { zones[$0.zone] }
            let confidences = rows.positions.map { Int64($0.confidence) }
            try await connection.query(
                """
                INSERT INTO positions (gateway, sequence, venue_id, device, time_ms, zone, confidence)
                SELECT \(gateway), \(sequence), \(venue), d, t, z, c
                FROM UNNEST(\(devices)::bigint[], \(times)::bigint[], \(zoneNames)::text[], \(confidences)::bigint[]) AS u(d, t, z, c)
                """, logger: logger)
        }
        if !rows.visits.isEmpty {
            let devices = rows.visits.map { Int64(bitPattern: $0.device) }
            let stores = rows.visits.map { zones[$0.store] }
            let enters = rows.visits.map(\.enterMs)
            let exits = rows.visits.map(\.exitMs)
            try await connection.query(
                """
                INSERT INTO visits (gateway, sequence, venue_id, device, store, enter_ms, exit_ms)
                SELECT \(gateway), \(sequence), \(venue), d, s, e, x
                FROM UNNEST(\(devices)::bigint[], \(stores)::text[], \(enters)::bigint[], \(exits)::bigint[]) AS u(d, s, e, x)
                """, logger: logger)
        }
        for c in rows.storeCounts {
            let store = zones[c.store], seconds = Int64(c.intervalSeconds), footfall = Int64(c.footfall), passers = Int64(c.passersBy)
            let dwell = Int64(bitPattern: c.dwellSecondsSum), histogram = CollectorSchema.histogramText(c.dwellHistogram)
            try await connection.query(
                """
                INSERT INTO store_counts (gateway, sequence, venue_id, store, interval_start_ms, interval_seconds, footfall, passers_by, dwell_seconds_sum, dwell_histogram)
                VALUES (\(gateway), \(sequence), \(venue), \(store), \(c.intervalStartMs), \(seconds), \(footfall), \(passers), \(dwell), \(histogram))
                \(unescaped: CollectorSchema.storeCountsUpsert)
                """, logger: logger)
        }
        for e in rows.healthEvents {
            try await connection.query(
                """
                INSERT INTO health_events (gateway, sequence, venue_id, time_ms, sensor, kind, message, value)
                VALUES (\(gateway), \(sequence), \(venue), \(e.timeMs), \(e.sensor), \(e.kind), \(e.message), \(e.value))
                """, logger: logger)
        }
    }
}
