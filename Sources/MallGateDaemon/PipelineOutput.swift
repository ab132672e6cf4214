public import MallGateVisits

/// One batch of results of the pipeline, in time order within each kind: what the store writes
/// in one transaction.
public struct PipelineOutput: Sendable, Equatable {
    public var positions: [PositionRecord] = []
    /// Finished store visits and passes in front of stores.
    public var visits: [VisitRecord] = []
    /// Per-store counts of closed intervals.
    public var storeCounts: [StoreCountRecord] = []
    public var events: [PipelineEvent] = []
    public init(positions: [PositionRecord] = [], visits: [VisitRecord] = [], storeCounts: [StoreCountRecord] = [], events: [PipelineEvent] = []) {
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

/// Where one device was at the end of a window.
public struct PositionRecord: Sendable, Equatable {
    /// The anonymous device id (keyed hash of the MAC, or a pseudo-device id).
    public var device: UInt64
    /// The window's end, nanoseconds since the Unix epoch (UTC).
    public var timeNanoseconds: Int64
    /// The model's class index (the store's `zone_index`).
    public var classIndex: Int
    /// The venue's zone id (stable across model reloads, unlike class indices).
    public var zone: String
    /// The floor's storey number (0 ground floor).
    public var floor: Int
    /// Inside a store, in front of one, or elsewhere.
    public var place: PlaceStatus
    public var confidence: Float
    public init(device: UInt64, timeNanoseconds: Int64, classIndex: Int, zone: String, floor: Int, place: PlaceStatus, confidence: Float) {
        self.device = device
        self.timeNanoseconds = timeNanoseconds
        self.classIndex = classIndex
        self.zone = zone
        self.floor = floor
        self.place = place
        self.confidence = confidence
    }
}

/// One finished store visit, or one pass in front of a store without going in.
public struct VisitRecord: Sendable, Equatable {
    public var device: UInt64
    /// The store's class index and zone id.
    public var storeIndex: Int
    public var store: String
    /// Entry and exit (a pass: its start and end), nanoseconds since the epoch.
    public var enterNanoseconds: Int64
    public var exitNanoseconds: Int64
    public var passerBy: Bool
    public init(device: UInt64, storeIndex: Int, store: String, enterNanoseconds: Int64, exitNanoseconds: Int64, passerBy: Bool) {
        self.device = device
        self.storeIndex = storeIndex
        self.store = store
        self.enterNanoseconds = enterNanoseconds
        self.exitNanoseconds = exitNanoseconds
        self.passerBy = passerBy
    }
    public var dwellSeconds: Double { Double(exitNanoseconds - enterNanoseconds) / 1e9 }
}

/// What happened at one store during one closed counting interval.
public struct StoreCountRecord: Sendable, Equatable {
    public var storeIndex: Int
    public var store: String
    public var startNanoseconds: Int64
    public var intervalNanoseconds: Int64
    public var footfall: Int
    public var uniqueVisitors: Int
    public var passersBy: Int
    /// The dwell of each visit that ended in the interval, seconds: the store bins them into
    /// its own histogram columns (which differ from MallGateVisits' buckets).
    public var dwellSeconds: [Double]
    public init(storeIndex: Int, store: String, startNanoseconds: Int64, intervalNanoseconds: Int64, footfall: Int, uniqueVisitors: Int, passersBy: Int, dwellSeconds: [Double]) {
        self.storeIndex = storeIndex
        self.store = store
        self.startNanoseconds = startNanoseconds
        self.intervalNanoseconds = intervalNanoseconds
        self.footfall = footfall
        self.uniqueVisitors = uniqueVisitors
        self.passersBy = passersBy
        self.dwellSeconds = dwellSeconds
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
