internal import GRDB

/// The buffer's schema as named, forward-only migrations.
///
/// Rules (GRDB's "Migrations" guide): a migration is never edited once released — a change is a
/// new migration appended at the end ("v2-...") — and migrations use SQL with string table names,
/// not app types, so that old migrations keep meaning what they meant.
/// There is no MAC column anywhere: devices are the identity stage's keyed hashes (UInt64 stored
/// as its INTEGER bit pattern).
enum StoreSchema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-core") { db in
            try db.execute(sql: v1Core)
        }
        migrator.registerMigration("v2-dwell-sum") { db in
            // The mean dwell per store and interval; rows written before this step read as 0.
            try db.execute(sql: "ALTER TABLE store_counts ADD COLUMN dwell_seconds_sum INTEGER NOT NULL DEFAULT 0")
        }
        return migrator
    }

    /// Tables whose rows are synced upstream, in the order the retention policy drops unsynced rows
    /// (bulk and least valuable first, aggregates last).
    static let prunableTables: [StoreTable] = [.positions, .events, .visits, .storeCounts]

    static let v1Core = """
        -- Key/value facts about this buffer: gateway id, venue id, schema notes.
        CREATE TABLE meta (
            key   TEXT PRIMARY KEY NOT NULL,
            value TEXT NOT NULL
        ) WITHOUT ROWID;

        -- Latest health per sensor (upserted; small, never pruned).
        CREATE TABLE sensors (
            sensor_id     TEXT PRIMARY KEY NOT NULL,      -- the sensor's name in the venue file
            last_heard_ns INTEGER,                        -- wall clock, ns since 1970; NULL: never heard
            frames        INTEGER NOT NULL DEFAULT 0,
            drops         INTEGER NOT NULL DEFAULT 0,     -- dropped by MallGate (pipeline behind)
            kernel_drops  INTEGER NOT NULL DEFAULT 0,     -- dropped by the kernel / libpcap
            status        TEXT NOT NULL DEFAULT 'unknown',
            updated_at_ns INTEGER NOT NULL
        ) WITHOUT ROWID;

        -- One row per device and localization window. AUTOINCREMENT: ids never go back, so the
        -- sync cursors below stay valid after the oldest rows are pruned. (BETWEEN, not IN (0, 1, 2):
        -- SQLite builds an ephemeral table per row for an IN list of three.)
        CREATE TABLE positions (
            id                 INTEGER PRIMARY KEY AUTOINCREMENT,
            device_id          INTEGER NOT NULL,          -- keyed hash of the MAC (UInt64 bits), never a MAC
            window_end_ns      INTEGER NOT NULL,
            floor              INTEGER NOT NULL,
            zone_index         INTEGER NOT NULL,
            zone_name          TEXT NOT NULL,
            placement          INTEGER NOT NULL CHECK (placement BETWEEN 0 AND 2),  -- 0 inside, 1 outside, 2 elsewhere
            confidence         REAL NOT NULL,
            clock_synchronized INTEGER NOT NULL CHECK (clock_synchronized IN (0, 1))
        );

        -- Store visits and passers-by (passer_by = 1: seen at the front, not inside).
        CREATE TABLE visits (
            id          INTEGER PRIMARY KEY AUTOINCREMENT,
            device_id   INTEGER NOT NULL,
            store_index INTEGER NOT NULL,
            store_name  TEXT NOT NULL,
            enter_ns    INTEGER NOT NULL,
            exit_ns     INTEGER NOT NULL CHECK (exit_ns >= enter_ns),
            dwell_ns    INTEGER GENERATED ALWAYS AS (exit_ns - enter_ns) VIRTUAL,
            passer_by   INTEGER NOT NULL CHECK (passer_by IN (0, 1))
        );

        -- Per store and interval. A recomputed interval replaces its row (INSERT OR REPLACE gives it
        -- a new id, so the new numbers are synced again and the collector upserts them).
        CREATE TABLE store_counts (
            id                INTEGER PRIMARY KEY AUTOINCREMENT,
            store_index       INTEGER NOT NULL,
            store_name        TEXT NOT NULL,
            interval_start_ns INTEGER NOT NULL,
            interval_ns       INTEGER NOT NULL,
            footfall          INTEGER NOT NULL,
            passers_by        INTEGER NOT NULL,
            unique_devices    INTEGER NOT NULL,
            dwell_under_1m    INTEGER NOT NULL,           -- visits by dwell time
            dwell_1m_5m       INTEGER NOT NULL,
            dwell_5m_15m      INTEGER NOT NULL,
            dwell_15m_30m     INTEGER NOT NULL,
            dwell_30m_60m     INTEGER NOT NULL,
            dwell_60m_plus    INTEGER NOT NULL,
            UNIQUE (store_index, interval_start_ns)
        );

        CREATE TABLE events (
            id      INTEGER PRIMARY KEY AUTOINCREMENT,
            time_ns INTEGER NOT NULL,
            level   TEXT NOT NULL CHECK (level IN ('debug', 'info', 'notice', 'warning', 'error', 'critical')),
            kind    TEXT NOT NULL,
            message TEXT NOT NULL
        );

        -- Upload batches. sequence is strictly increasing and never reused (AUTOINCREMENT); a new
        -- database starts it past anything an earlier one can have used (see BufferDatabase+Integrity).
        CREATE TABLE outbox (
            sequence        INTEGER PRIMARY KEY AUTOINCREMENT,
            created_at_ns   INTEGER NOT NULL,
            kind            TEXT NOT NULL,
            payload         BLOB NOT NULL,
            row_count       INTEGER NOT NULL,
            content_hash    BLOB NOT NULL,
            state           TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'parked')),
            park_reason     TEXT,                         -- set when parked: the collector's reason, or the size cap
            attempts        INTEGER NOT NULL DEFAULT 0,
            last_attempt_ns INTEGER,
            sent_at_ns      INTEGER
        );
        CREATE INDEX outbox_by_state ON outbox (state, sequence);

        -- Which source rows a batch carries: rows with id <= through_id (and after the previous batch).
        CREATE TABLE outbox_coverage (
            sequence   INTEGER NOT NULL REFERENCES outbox (sequence) ON DELETE CASCADE,
            table_name TEXT NOT NULL,
            through_id INTEGER NOT NULL,
            PRIMARY KEY (sequence, table_name)
        ) WITHOUT ROWID;

        -- Per table: the last row id put into an outbox batch, and the last one delivered upstream.
        -- Rows with id <= synced_through_id are "already synced": retention prunes them first.
        CREATE TABLE sync_progress (
            table_name          TEXT PRIMARY KEY NOT NULL,
            enqueued_through_id INTEGER NOT NULL DEFAULT 0,
            synced_through_id   INTEGER NOT NULL DEFAULT 0
        ) WITHOUT ROWID;
        INSERT INTO sync_progress (table_name) VALUES ('positions'), ('visits'), ('store_counts'), ('events');
        """
}
