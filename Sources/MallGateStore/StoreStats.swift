/// What the store has done and is going through: sizes, pruning, disk-full holding and drops.
///
/// The daemon turns these into metrics (`mallgate_store_*`) and `mallgate status` prints them.
public struct StoreStats: Sendable, Equatable {
    /// Used pages × page size: what the size cap compares against.
    public var usedBytes: Int64 = 0
    /// The database file plus its WAL, as on disk now.
    public var fileBytes: Int64 = 0
    public var maxBytes: Int64?
    /// Rows committed since the store was opened.
    public var rowsWritten = TableCounts()
    /// Rows pruned by the retention policy since open: already synced (the normal case) ...
    public var prunedSynced = TableCounts()
    /// ... and not yet synced (data lost upstream: only past the size cap, oldest first).
    /// `outbox` counts pending batches whose payload was dropped (they stay, parked, with the reason).
    public var prunedUnsynced = TableCounts()
    /// Held rows dropped because the disk stayed full past `heldRowLimit`.
    public var droppedWhileFull = TableCounts()
    /// True from a failed write for lack of space (SQLITE_FULL) or an I/O error until a write succeeds.
    public var diskFull = false
    /// Writes that failed with SQLITE_FULL or SQLITE_IOERR since open.
    public var spaceErrors = 0
    /// Batches and rows kept in memory while the disk is full, written when space returns.
    public var heldBatches = 0
    public var heldRows = 0
    /// The last write failure, as text, for `mallgate status`.
    public var lastWriteError: String?
    /// Where a corrupt database found at open was moved (nil when the file was fine).
    public var movedAsideCorruptDatabase: String?

    public init() {}
}
