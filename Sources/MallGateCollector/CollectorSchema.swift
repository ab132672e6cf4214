// The collector's tables, for both databases. Forward-only migrations: a released migration
// is never edited; a change is a new migration appended to the list.
//
// Dedupe is the primary key of `batches` (gateway, sequence). Rows carry (gateway, sequence)
// so a batch's rows can be found, counted and (one day) deleted together. store_counts keeps
// one row per (gateway, store, interval_start_ms) since v3: the highest sequence wins.

enum CollectorSchema {
    /// (name, SQL) in order; SQLite dialect.
    static let sqlite: [(name: String, sql: String)] = [
        ("v1-collector", """
        CREATE TABLE gateways (
            name TEXT PRIMARY KEY NOT NULL,
            venue_id TEXT NOT NULL,
            token_sha256 TEXT NOT NULL UNIQUE,
            created_ms INTEGER NOT NULL,
            revoked_ms INTEGER
        );
        CREATE TABLE batches (
            gateway TEXT NOT NULL,
            sequence INTEGER NOT NULL,
            venue_id TEXT NOT NULL,
            content_sha256 TEXT NOT NULL,
            created_ms INTEGER NOT NULL,
            received_ms INTEGER NOT NULL,
            row_count INTEGER NOT NULL,
            PRIMARY KEY (gateway, sequence)
        );
        CREATE TABLE positions (
            gateway TEXT NOT NULL, sequence INTEGER NOT NULL, venue_id TEXT NOT NULL,
            device INTEGER NOT NULL, time_ms INTEGER NOT NULL, zone TEXT NOT NULL, confidence INTEGER NOT NULL
        );
        CREATE INDEX positions_batch ON positions (gateway, sequence);
        CREATE TABLE visits (
            gateway TEXT NOT NULL, sequence INTEGER NOT NULL, venue_id TEXT NOT NULL,
            device INTEGER NOT NULL, store TEXT NOT NULL, enter_ms INTEGER NOT NULL, exit_ms INTEGER NOT NULL
        );
        CREATE INDEX visits_batch ON visits (gateway, sequence);
        CREATE TABLE store_counts (
            gateway TEXT NOT NULL, sequence INTEGER NOT NULL, venue_id TEXT NOT NULL,
            store TEXT NOT NULL, interval_start_ms INTEGER NOT NULL, interval_seconds INTEGER NOT NULL,
            footfall INTEGER NOT NULL, passers_by INTEGER NOT NULL, dwell_seconds_sum INTEGER NOT NULL,
            dwell_histogram TEXT NOT NULL
        );
        CREATE INDEX store_counts_venue_time ON store_counts (venue_id, interval_start_ms);
        CREATE TABLE health_events (
            gateway TEXT NOT NULL, sequence INTEGER NOT NULL, venue_id TEXT NOT NULL,
            time_ms INTEGER NOT NULL, sensor TEXT NOT NULL, kind TEXT NOT NULL, message TEXT NOT NULL, value INTEGER NOT NULL
        );
        CREATE TABLE sequence_gaps (
            gateway TEXT NOT NULL,
            first_missing INTEGER NOT NULL,
            last_missing INTEGER NOT NULL,
            detected_ms INTEGER NOT NULL,
            PRIMARY KEY (gateway, first_missing)
        );
        """),
        // Model files and venue layouts published for gateways (docs/sync-protocol.md, "Artifacts").
        ("v2-artifacts", """
        CREATE TABLE artifacts (
            scope TEXT NOT NULL,
            target TEXT NOT NULL,
            kind TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            venue_id TEXT NOT NULL,
            body BLOB NOT NULL,
            size INTEGER NOT NULL,
            published_ms INTEGER NOT NULL,
            PRIMARY KEY (scope, target, kind)
        );
        """),
        // One row per (gateway, store, interval): the gateway rewrites an interval's count and
        // sends it again in a later batch; keeping both made reports sum footfall twice. The
        // newest sequence holds the figures the gateway settled on, so older copies go first.
        ("v3-store-counts-unique", """
        DELETE FROM store_counts WHERE EXISTS (
            SELECT 1 FROM store_counts AS newer
            WHERE newer.gateway = store_counts.gateway AND newer.store = store_counts.store
              AND newer.interval_start_ms = store_counts.interval_start_ms
              AND (newer.sequence > store_counts.sequence
                   OR (newer.sequence = store_counts.sequence AND newer.rowid > store_counts.rowid))
        );
        CREATE UNIQUE INDEX store_counts_interval ON store_counts (gateway, store, interval_start_ms);
        """),
    ]

    /// (name, SQL) in order; PostgreSQL dialect (same tables, BIGINT for 64-bit columns).
    static let postgres: [(name: String, sql: String)] = [
        ("v1-collector", """
        CREATE TABLE gateways (
            name TEXT PRIMARY KEY,
            venue_id TEXT NOT NULL,
            token_sha256 TEXT NOT NULL UNIQUE,
            created_ms BIGINT NOT NULL,
            revoked_ms BIGINT
        );
        CREATE TABLE batches (
            gateway TEXT NOT NULL,
            sequence BIGINT NOT NULL,
            venue_id TEXT NOT NULL,
            content_sha256 TEXT NOT NULL,
            created_ms BIGINT NOT NULL,
            received_ms BIGINT NOT NULL,
            row_count BIGINT NOT NULL,
            PRIMARY KEY (gateway, sequence)
        );
        CREATE TABLE positions (
            gateway TEXT NOT NULL, sequence BIGINT NOT NULL, venue_id TEXT NOT NULL,
            device BIGINT NOT NULL, time_ms BIGINT NOT NULL, zone TEXT NOT NULL, confidence SMALLINT NOT NULL
        );
        CREATE INDEX positions_batch ON positions (gateway, sequence);
        CREATE TABLE visits (
            gateway TEXT NOT NULL, sequence BIGINT NOT NULL, venue_id TEXT NOT NULL,
            device BIGINT NOT NULL, store TEXT NOT NULL, enter_ms BIGINT NOT NULL, exit_ms BIGINT NOT NULL
        );
        CREATE INDEX visits_batch ON visits (gateway, sequence);
        CREATE TABLE store_counts (
            gateway TEXT NOT NULL, sequence BIGINT NOT NULL, venue_id TEXT NOT NULL,
            store TEXT NOT NULL, interval_start_ms BIGINT NOT NULL, interval_seconds INTEGER NOT NULL,
            footfall BIGINT NOT NULL, passers_by BIGINT NOT NULL, dwell_seconds_sum BIGINT NOT NULL,
            dwell_histogram TEXT NOT NULL
        );
        CREATE INDEX store_counts_venue_time ON store_counts (venue_id, interval_start_ms);
        CREATE TABLE health_events (
            gateway TEXT NOT NULL, sequence BIGINT NOT NULL, venue_id TEXT NOT NULL,
            time_ms BIGINT NOT NULL, sensor TEXT NOT NULL, kind TEXT NOT NULL, message TEXT NOT NULL, value BIGINT NOT NULL
        );
        CREATE TABLE sequence_gaps (
            gateway TEXT NOT NULL,
            first_missing BIGINT NOT NULL,
            last_missing BIGINT NOT NULL,
            detected_ms BIGINT NOT NULL,
            PRIMARY KEY (gateway, first_missing)
        );
        """),
        ("v2-artifacts", """
        CREATE TABLE artifacts (
            scope TEXT NOT NULL,
            target TEXT NOT NULL,
            kind TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            venue_id TEXT NOT NULL,
            body BYTEA NOT NULL,
            size BIGINT NOT NULL,
            published_ms BIGINT NOT NULL,
            PRIMARY KEY (scope, target, kind)
        );
        """),
        // Same as SQLite's v3 (ctid breaks ties between copies within one batch).
        ("v3-store-counts-unique", """
        DELETE FROM store_counts WHERE EXISTS (
            SELECT 1 FROM store_counts AS newer
            WHERE newer.gateway = store_counts.gateway AND newer.store = store_counts.store
              AND newer.interval_start_ms = store_counts.interval_start_ms
              AND (newer.sequence > store_counts.sequence
                   OR (newer.sequence = store_counts.sequence AND newer.ctid > store_counts.ctid))
        );
        CREATE UNIQUE INDEX store_counts_interval ON store_counts (gateway, store, interval_start_ms);
        """),
    ]

    /// The report query, identical in both dialects (integer division buckets the intervals).
    /// Placeholders: venue, from, to (SQLite `?`; PostgreSQL rewrites to `$n`).
    static func reportSQL(bucketMs: Int64, placeholders: [String]) -> String {
        """
        SELECT store, (interval_start_ms / \(bucketMs)) * \(bucketMs) AS bucket_start,
               CAST(SUM(footfall) AS BIGINT), CAST(SUM(passers_by) AS BIGINT), CAST(SUM(dwell_seconds_sum) AS BIGINT)
        FROM store_counts
        WHERE venue_id = \(placeholders[0]) AND interval_start_ms >= \(placeholders[1]) AND interval_start_ms < \(placeholders[2])
        GROUP BY store, bucket_start
        ORDER BY bucket_start, store
        """
    }

    /// The tail of every store_counts INSERT: a rewritten interval replaces the stored row, but
    /// only with a newer sequence, so a replayed older batch never overwrites newer figures.
    static let storeCountsUpsert = """
        ON CONFLICT (gateway, store, interval_start_ms) DO UPDATE SET
            sequence = excluded.sequence, venue_id = excluded.venue_id, interval_seconds = excluded.interval_seconds,
            footfall = excluded.footfall, passers_by = excluded.passers_by, dwell_seconds_sum = excluded.dwell_seconds_sum,
            dwell_histogram = excluded.dwell_histogram
        WHERE excluded.sequence > store_counts.sequence
        """

    /// Histogram bins as text ("3,0,1"): readable in both databases, never queried by value.
    static func histogramText(_ bins: [UInt32]) -> String { bins.map(String.init).joined(separator: ",") }
}

/// Where a newly stored sequence leaves a hole, given the neighbours already stored.
///
/// Pure so both stores share it: `below` is the highest stored sequence under `sequence` (nil
/// if none), `aboveExists` whether a higher one is stored (then this batch is a late arrival
/// filling part of an older gap, not opening a new one).
func newGap(sequence: UInt64, below: UInt64?, aboveExists: Bool) -> ClosedRange<UInt64>? {
    guard !aboveExists else { return nil }
    let expected = (below ?? 0) + 1
    return sequence > expected ? expected...(sequence - 1) : nil
}

/// What remains of a recorded gap once `sequence` (inside it) arrives: zero, one or two ranges.
func splitGap(_ gap: ClosedRange<UInt64>, filling sequence: UInt64) -> [ClosedRange<UInt64>] {
    var parts: [ClosedRange<UInt64>] = []
    if sequence > gap.lowerBound { parts.append(gap.lowerBound...(sequence - 1)) }
    if sequence < gap.upperBound { parts.append((sequence + 1)...gap.upperBound) }
    return parts
}
