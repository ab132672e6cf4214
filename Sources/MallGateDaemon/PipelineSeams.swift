public import MallGateDecode
public import MallGateLocalize

// The places where the identify, visits and store stages plug into the daemon.
//
// The daemon owns the wiring and the threads; each stage is a value behind a small
// protocol so that the modules built in parallel (MallGateIdentify, MallGateVisits,
// MallGateStore) replace the stand-ins below without touching the pipeline.

/// Turns a MAC address into an anonymous device id: the identify stage.
///
/// Called on the pipeline task for every probe request, so it must be cheap and pure
/// (no I/O). The MAC exists in memory only for this call. Returning nil drops the
/// frame before any other stage sees it (opt-out).
public protocol DeviceIdentifying: Sendable {
    /// The device id for `mac` heard at `timeNanoseconds` (Unix epoch, UTC), or nil to drop the frame.
    mutating func deviceID(mac: MACAddress, timeNanoseconds: Int64) -> UInt64?
}

/// Turns each device's smoothed zone sequence into store visits: the visits stage.
///
/// `MallGateLocalize.StoreVisitTracker` conforms as it is; MallGateVisits' tracker
/// (per-interval counts) replaces it at merge.
public protocol VisitTracking: Sendable {
    /// Feeds one position; returns the visits it closes.
    mutating func update(device: UInt64, timeNanoseconds: Int64, classIndex: Int) -> [StoreVisit]
    /// Closes visits of devices not seen for the exit timeout as of `t`.
    mutating func closeIdle(at t: Int64) -> [StoreVisit]
    /// Closes every open visit (shutdown, reload).
    mutating func flush() -> [StoreVisit]
}

extension StoreVisitTracker: VisitTracking {}

/// Where the pipeline's results go: the store stage (SQLite buffer + outbox).
///
/// Written from the pipeline in batches (one call per capture batch), never per row.
/// A `write` that returns has handed the rows over; `flush` makes everything handed over
/// durable (called on shutdown and SIGHUP).
public protocol PipelineSink: Sendable {
    func write(_ batch: PipelineOutput) async throws
    func flush() async throws
    /// Size and backlog, for metrics and `mallgate status`; nil fields are not exported.
    func statistics() async -> SinkStatistics
}

/// One batch of results, in time order within each kind.
public struct PipelineOutput: Sendable, Equatable {
    public var positions: [PositionRecord] = []
    public var visits: [VisitRecord] = []
    public var events: [PipelineEvent] = []
    public init(positions: [PositionRecord] = [], visits: [VisitRecord] = [], events: [PipelineEvent] = []) {
        self.positions = positions
        self.visits = visits
        self.events = events
    }
    public var isEmpty: Bool { positions.isEmpty && visits.isEmpty && events.isEmpty }
    public mutating func append(_ other: PipelineOutput) {
        positions += other.positions
        visits += other.visits
        events += other.events
    }
}

/// Where one device was at the end of a window.
public struct PositionRecord: Sendable, Equatable {
    public var device: UInt64
    /// The window's end, nanoseconds since the Unix epoch (UTC).
    public var timeNanoseconds: Int64
    /// The venue's zone id (stable across model reloads, unlike class indices).
    public var zone: String
    public var floor: String
    /// Whether the zone is a store.
    public var isStore: Bool
    public var confidence: Float
    public init(device: UInt64, timeNanoseconds: Int64, zone: String, floor: String, isStore: Bool, confidence: Float) {
        self.device = device
        self.timeNanoseconds = timeNanoseconds
        self.zone = zone
        self.floor = floor
        self.isStore = isStore
        self.confidence = confidence
    }
}

/// One finished store visit.
public struct VisitRecord: Sendable, Equatable {
    public var device: UInt64
    /// The store's zone id.
    public var store: String
    public var enterNanoseconds: Int64
    public var exitNanoseconds: Int64
    public init(device: UInt64, store: String, enterNanoseconds: Int64, exitNanoseconds: Int64) {
        self.device = device
        self.store = store
        self.enterNanoseconds = enterNanoseconds
        self.exitNanoseconds = exitNanoseconds
    }
    public var dwellSeconds: Double { Double(exitNanoseconds - enterNanoseconds) / 1e9 }
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

/// What the sink reports about itself.
public struct SinkStatistics: Sendable, Equatable, Codable {
    /// Bytes the buffer occupies on disk (database + WAL).
    public var databaseBytes: Int64?
    /// Rows waiting for upload.
    public var outboxBacklogRows: Int64?
    /// Age of the oldest row waiting for upload, seconds.
    public var outboxOldestAgeSeconds: Double?
    public init(databaseBytes: Int64? = nil, outboxBacklogRows: Int64? = nil, outboxOldestAgeSeconds: Double? = nil) {
        self.databaseBytes = databaseBytes
        self.outboxBacklogRows = outboxBacklogRows
        self.outboxOldestAgeSeconds = outboxOldestAgeSeconds
    }
}
