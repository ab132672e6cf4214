public import Logging
internal import Glibc

/// How the buffer database is opened, how large it may grow and how durable its commits are.
public struct StoreConfiguration: Sendable {
    public enum Location: Sendable, Equatable {
        /// A database file (WAL mode; `PATH-wal` and `PATH-shm` live next to it).
        case file(String)
        /// A private in-memory database: tests, and dry runs that must not touch the disk.
        case inMemory
    }

    /// SQLite's `synchronous` setting (https://www.sqlite.org/pragma.html#pragma_synchronous).
    public enum Synchronous: String, Sendable, CaseIterable {
        /// In WAL mode: commits are atomic and survive a crash of the process; a power cut may lose
        /// the last commits since the latest fsync (checkpoint or FULL commit), never corrupt the file.
        case normal = "NORMAL"
        /// The WAL is fsynced at every commit: a commit that returned survives a power cut.
        case full = "FULL"
    }

    /// How the file is checked when it is opened (https://www.sqlite.org/pragma.html#pragma_quick_check).
    public enum IntegrityCheck: String, Sendable {
        /// `PRAGMA quick_check`: every page and record, without cross-checking index contents; O(N)
        /// but several times faster than `integrity_check` on an SD card.
        case quick = "quick_check"
        /// `PRAGMA integrity_check`: also verifies that indexes match their tables.
        case full = "integrity_check"
        /// No check (the file is still moved aside if SQLite reports it corrupt or not a database).
        case none
    }

    public var location: Location
    /// Cap on the database's used size (used pages × page size), bytes; nil: no cap. The WAL adds up
    /// to `journalSizeLimitBytes` on disk on top of this; leave that much headroom on the card.
    public var maxBytes: Int64?
    /// Pruning stops once the used size is at or below this fraction of `maxBytes`, so that a buffer
    /// at its cap is not pruned again on every write.
    public var pruneTargetFraction: Double = 0.9
    /// Durability of bulk writes (positions, visits, counts, events, sensor health). The default,
    /// `.normal`, is deliberate: nobody has acknowledged these rows yet, so a power cut may lose the
    /// last seconds of them (they are also still in the capture's past, not recoverable anyway) and
    /// each commit saves an fsync — several times the rows/s on an SD card (BENCHMARKS.md, Store).
    /// Outbox changes (enqueue, sent, parked) are always `.full`, whatever this says: they are
    /// acknowledged to the sync stage and the collector. A FULL commit fsyncs the whole WAL, so it
    /// also makes every earlier bulk commit durable.
    public var bulkSynchronous: Synchronous = .normal
    public var integrityCheck: IntegrityCheck = .quick
    /// Rows kept in memory while the disk is full (or failing); past this, the oldest held batches
    /// are dropped and counted. Bounded so a long outage cannot exhaust the gateway's RAM.
    public var heldRowLimit = 200_000
    /// SQLite's automatic checkpoint: after this many WAL pages the committing writer copies the WAL
    /// into the database (PASSIVE, https://www.sqlite.org/wal.html#ckpt). With `.normal` that is also
    /// when bulk rows reach the card for sure. 1000 pages (4 MiB) is SQLite's default.
    public var walAutocheckpointPages = 1000
    /// After a checkpoint SQLite truncates a WAL larger than this (`PRAGMA journal_size_limit`). Kept
    /// a few MiB rather than 0: a WAL that stays allocated can still take the deletes that free
    /// space when the disk is full.
    public var journalSizeLimitBytes: Int64 = 8 << 20
    /// Space set aside next to the database (`PATH-reserve`, a preallocated file), given up when the
    /// disk is full so that the deletes, `incremental_vacuum` and checkpoint that free space can run
    /// at all: in WAL mode even a DELETE appends to the WAL, and a checkpoint writes into the
    /// database file. Taken back right after pruning and whenever a write succeeds without it. 0: none.
    public var reserveBytes: Int64 = 4 << 20
    /// Wall clock, nanoseconds since 1970: created-at times, event times, backlog age. Injected so
    /// tests control it.
    public var clock: @Sendable () -> Int64 = StoreConfiguration.wallClockNanoseconds
    /// Where problems are logged (a corrupt database moved aside is logged at `critical`).
    public var logger = Logger(label: "mallgate.store")

    public init(location: Location) {
        self.location = location
    }

    /// CLOCK_REALTIME in nanoseconds since 1970.
    @Sendable public static func wallClockNanoseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
    }
}
