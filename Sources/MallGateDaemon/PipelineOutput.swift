public import MallGateStore

/// One batch of results of the pipeline, in time order within each kind: what the store writes
/// in one transaction.
///
/// The rows are the store's own types (``PositionRow``, ``VisitRow``, ``StoreCountRow``), built
/// once by the engine and handed to the store as they are: no second set of record types to copy
/// between. Only events differ (the store's ``EventRow`` has no sensor column).
public struct PipelineOutput: Sendable, Equatable {
    /// One row per device and window. `clockSynchronized` is true here; the sink clears it when
    /// the gateway's clock is not synchronized (live capture before NTP).
    public var positions: [PositionRow] = []
    /// Finished store visits and passes in front of stores.
    public var visits: [VisitRow] = []
    /// Per-store counts of closed intervals, dwell already binned into the store's histogram.
    public var storeCounts: [StoreCountRow] = []
    public var events: [PipelineEvent] = []
    public init(positions: [PositionRow] = [], visits: [VisitRow] = [], storeCounts: [StoreCountRow] = [], events: [PipelineEvent] = []) {
        self.positions = positions
        self.visits = visits
        self.storeCounts = storeCounts
        self.events = events
    }
    public var isEmpty: Bool { positions.isEmpty && visits.isEmpty && storeCounts.isEmpty && events.isEmpty }
    public mutating func append(_ other: PipelineOutput) {
        positions += other.positions
        visits += other.visits
        storeCounts += other.storeCounts
        events += other.events
    }
}

/// Something operators should see in the events table (and upstream): sensor health, reloads.
public struct PipelineEvent: Sendable, Equatable {
    public enum Kind: String, Sendable {
        case sensorSilent = "sensor_silent"
        case sensorBack = "sensor_back"
        case sourceFailed = "source_failed"
        case reloaded
        case reloadFailed = "reload_failed"
        case started
        case stopped
        /// A model file or venue layout from the collector was installed (docs/daemon.md, "Installed artifacts").
        case artifactInstalled = "artifact_installed"
        /// One was refused; the running one stays.
        case artifactRefused = "artifact_refused"
    }
    public var timeNanoseconds: Int64
    public var kind: Kind
    /// The sensor concerned, or empty.
    public var sensor: String
    /// A sentence for people (never a MAC).
    public var detail: String
    public init(timeNanoseconds: Int64, kind: Kind, sensor: String = "", detail: String = "") {
        self.timeNanoseconds = timeNanoseconds
        self.kind = kind
        self.sensor = sensor
        self.detail = detail
    }
}

/// What the store reports about itself, for metrics and `mallgate status`.
public struct SinkStatistics: Sendable, Equatable, Codable {
    /// Bytes the buffer occupies on disk (database + WAL).
    public var databaseBytes: Int64?
    /// Rows waiting for upload (in pending outbox batches or not batched yet).
    public var outboxBacklogRows: Int64?
    /// Age of the oldest pending outbox batch, seconds.
    public var outboxOldestAgeSeconds: Double?
    /// Rows committed since the daemon started.
    public var rowsCommitted: Int64?
    /// True while the disk is full and rows are held in memory.
    public var diskFull: Bool?
    public init(databaseBytes: Int64? = nil, outboxBacklogRows: Int64? = nil, outboxOldestAgeSeconds: Double? = nil, rowsCommitted: Int64? = nil, diskFull: Bool? = nil) {
        self.databaseBytes = databaseBytes
        self.outboxBacklogRows = outboxBacklogRows
        self.outboxOldestAgeSeconds = outboxOldestAgeSeconds
        self.rowsCommitted = rowsCommitted
        self.diskFull = diskFull
    }
}
