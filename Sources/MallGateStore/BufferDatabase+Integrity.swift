internal import GRDB
internal import Logging
internal import Glibc

extension BufferDatabase {
    struct Opened {
        var writer: any DatabaseWriter
        var path: String
        var pageSize: Int64
        var movedAside: String?
        var events: [EventRow]
    }

    /// Checks, repairs by replacement, opens and migrates; see ``init(_:)``.
    static func open(_ configuration: StoreConfiguration) throws -> Opened {
        guard case .file(let path) = configuration.location else {
            return try openMemory(configuration)
        }
        let logger = configuration.logger
        var movedAside: String?
        var events: [EventRow] = []
        var recoveredSequence: Int64 = 0

        func moveAside(because problem: String) throws {
            recoveredSequence = max(recoveredSequence, lastOutboxSequence(path))
            let target = try moveCorruptFile(path, now: configuration.clock())
            movedAside = target
            let message = "The buffer database failed its integrity check (\(problem)); moved it to \(target) and started a new one. Unsynced rows in it are not uploaded."
            logger.critical(
                "Corrupt buffer database moved aside; starting with a new one",
                metadata: ["path": "\(path)", "moved_to": "\(target)", "problem": "\(problem)"])
            events.append(EventRow(timeNanoseconds: configuration.clock(), level: .critical, kind: "integrity", message: message))
        }

        if FileSystem.size(path) > 0, let problem = integrityProblem(path, configuration.integrityCheck) {
            try moveAside(because: problem)
        }
        let pool: DatabasePool
        do {
            pool = try openPool(path, configuration)
        } catch let error as DatabaseError where isCorruption(error) && movedAside == nil {
            // A file that passed (or skipped) the check but that SQLite refuses: same treatment.
            try moveAside(because: "\(error.message ?? "SQLite error \(error.extendedResultCode.rawValue)")")
            do { pool = try openPool(path, configuration) } catch { throw StoreError.wrap(error, "create a new database", path: path) }
        } catch {
            throw StoreError.wrap(error, "open", path: path)
        }
        do {
            let pageSize = try pool.writeWithoutTransaction { db in
                try seedOutboxSequence(db, after: recoveredSequence, now: configuration.clock())
                try insertEvents(events, db)
                return try Int64.fetchOne(db, sql: "PRAGMA page_size") ?? 4096
            }
            return Opened(writer: pool, path: path, pageSize: pageSize, movedAside: movedAside, events: [])
        } catch {
            throw StoreError.wrap(error, "prepare", path: path)
        }
    }

    static func openMemory(_ configuration: StoreConfiguration) throws -> Opened {
        do {
            let queue = try DatabaseQueue(configuration: grdbConfiguration(configuration))
            try StoreSchema.migrator.migrate(queue)
            let pageSize = try queue.writeWithoutTransaction { db in
                try seedOutboxSequence(db, after: 0, now: configuration.clock())
                return try Int64.fetchOne(db, sql: "PRAGMA page_size") ?? 4096
            }
            return Opened(writer: queue, path: ":memory:", pageSize: pageSize, movedAside: nil, events: [])
        } catch {
            throw StoreError.wrap(error, "open in memory", path: ":memory:")
        }
    }

    static func openPool(_ path: String, _ configuration: StoreConfiguration) throws -> DatabasePool {
        let pool = try DatabasePool(path: path, configuration: grdbConfiguration(configuration))
        try StoreSchema.migrator.migrate(pool)
        return pool
    }

    static func grdbConfiguration(_ configuration: StoreConfiguration) -> Configuration {
        var grdb = Configuration()
        grdb.label = "mallgate.store"
        // Readers wait briefly for a checkpoint or the writer's WAL restart instead of failing at once.
        grdb.busyMode = .timeout(5)
        let autocheckpoint = configuration.walAutocheckpointPages
        let journalLimit = configuration.journalSizeLimitBytes
        grdb.prepareDatabase { db in
            guard !db.configuration.readonly else { return }
            // Takes effect only on a new, empty file (GRDB turns WAL on after this closure): freed
            // pages can then be returned to the file system by `PRAGMA incremental_vacuum`.
            try db.execute(sql: "PRAGMA auto_vacuum = INCREMENTAL")
            try db.execute(sql: "PRAGMA wal_autocheckpoint = \(autocheckpoint)")
            try db.execute(sql: "PRAGMA journal_size_limit = \(journalLimit)")
        }
        return grdb
    }

    /// Nil when the file is a healthy SQLite database, else what is wrong with it.
    static func integrityProblem(_ path: String, _ check: StoreConfiguration.IntegrityCheck) -> String? {
        do {
            // Read-write, so a WAL left by a crash is recovered before the check reads it.
            let queue = try DatabaseQueue(path: path)
            defer { try? queue.close() }
            return try queue.writeWithoutTransaction { db -> String? in
                // Even with the check off, reading the schema tells a foreign file (SQLITE_NOTADB).
                _ = try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_schema")
                guard check != .none else { return nil }
                let lines = try String.fetchAll(db, sql: "PRAGMA \(check.rawValue)(20)")
                return lines == ["ok"] ? nil : lines.joined(separator: "; ")
            }
        } catch let error as DatabaseError {
            return "\(error.message ?? "SQLite error") (SQLite error \(error.extendedResultCode.rawValue))"
        } catch {
            return "\(error)"
        }
    }

    static func isCorruption(_ error: DatabaseError) -> Bool {
        error.resultCode == .SQLITE_CORRUPT || error.resultCode == .SQLITE_NOTADB
    }

    /// Renames `path` (and its WAL, which belongs to it) to `path.corrupt-YYYYMMDDTHHMMSSZ`, keeping
    /// it for inspection with `sqlite3`; the shared-memory index is derived data and is removed.
    static func moveCorruptFile(_ path: String, now: Int64) throws -> String {
        var target = "\(path).corrupt-\(FileSystem.utcStamp(nanoseconds: now))"
        var suffix = 1
        while FileSystem.exists(target) {
            suffix += 1
            target = "\(path).corrupt-\(FileSystem.utcStamp(nanoseconds: now))-\(suffix)"
        }
        guard rename(path, target) == 0 else {
            throw StoreError(kind: .moveAside(path: path, target: target, errno: errno), path: path)
        }
        if FileSystem.exists(path + "-wal") { _ = rename(path + "-wal", target + "-wal") }
        unlink(path + "-shm")
        return target
    }

    /// Best effort: the last outbox sequence a damaged file still shows, so a new database does
    /// not reuse sequences the collector may have seen.
    static func lastOutboxSequence(_ path: String) -> Int64 {
        var configuration = Configuration()
        configuration.readonly = true
        guard let queue = try? DatabaseQueue(path: path, configuration: configuration) else { return 0 }
        defer { try? queue.close() }
        return (try? queue.read { db in try Int64.fetchOne(db, sql: "SELECT seq FROM sqlite_sequence WHERE name = 'outbox'") }) .flatMap { $0 } ?? 0
    }

    /// Starts a new database's outbox sequence at the creation time in microseconds (or past the
    /// sequence recovered from a corrupt predecessor): the collector deduplicates by
    /// (gateway, sequence), so a database recreated after corruption or by hand must never hand
    /// out a number an earlier one used. Microseconds leave room for 2^63 / 1.8e15 ≈ 5,000× today's
    /// value; sequences are gapped, never repeated.
    static func seedOutboxSequence(_ db: Database, after recovered: Int64, now: Int64) throws {
        let existing = try Int64.fetchOne(db, sql: "SELECT seq FROM sqlite_sequence WHERE name = 'outbox'")
        guard existing == nil else { return }
        let start = max(recovered, now / 1000, 0)
        try db.inTransaction(.immediate) {
            try db.execute(sql: "INSERT INTO sqlite_sequence (name, seq) VALUES ('outbox', ?)", arguments: [start])
            try db.execute(
                sql: "INSERT OR REPLACE INTO meta (key, value) VALUES ('outbox_sequence_origin', ?)", arguments: ["\(start)"])
            return .commit
        }
    }

    static func insertEvents(_ events: [EventRow], _ db: Database) throws {
        guard !events.isEmpty else { return }
        try db.inTransaction(.immediate) {
            for event in events {
                try db.execute(
                    sql: "INSERT INTO events (time_ns, level, kind, message) VALUES (?, ?, ?, ?)",
                    arguments: [event.timeNanoseconds, event.level.rawValue, event.kind, event.message])
            }
            return .commit
        }
    }
}

/// The few file-system calls the store needs, on Glibc (no Foundation in this module's own code).
enum FileSystem {
    static func size(_ path: String) -> Int64 {
        var info = stat()
        return stat(path, &info) == 0 ? Int64(info.st_size) : 0
    }

    /// Creates (or keeps) a file of `bytes` preallocated bytes; on failure removes it and says false.
    static func allocate(_ path: String, bytes: Int64) -> Bool {
        let fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return false }
        let result = posix_fallocate(fd, 0, off_t(bytes))
        close(fd)
        if result != 0 { unlink(path) }
        return result == 0
    }

    static func exists(_ path: String) -> Bool {
        access(path, F_OK) == 0
    }

    /// `20261129T080512Z`.
    static func utcStamp(nanoseconds: Int64) -> String {
        var seconds = time_t(nanoseconds / 1_000_000_000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(parts.tm_year + 1900)\(two(parts.tm_mon + 1))\(two(parts.tm_mday))T\(two(parts.tm_hour))\(two(parts.tm_min))\(two(parts.tm_sec))Z"
    }
}
