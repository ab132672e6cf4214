public import MallGateDecode
public import MallGateLocalize
public import MallGateVenue

/// What the web UI needs from the running agent: its layout, live state, the identify stage
/// and a way to watch a few devices' windows.
///
/// A protocol rather than the daemon's types, so the server is tested with a stand-in and the
/// dependency points one way (daemon → web).
public protocol WebBackend: Sendable {
    /// The venue, the model's zone ids and where both live (current after a reload).
    func layout() async -> WebLayout
    /// Sensors, occupancy and the pipeline clock, for the installation view.
    func live() async -> WebLiveState
    /// The identify stage's keyed id of `mac` at the pipeline clock; nil when the MAC opted out.
    ///
    /// The only place a typed MAC goes: the caller forgets the MAC once it has the id.
    func deviceID(of mac: MACAddress) async -> UInt64?
    /// Calls `onWindow` for every window of the devices in `devices` (keyed ids from
    /// ``deviceID(of:)``), replacing the previous watch; an empty set stops watching.
    func watch(_ devices: Set<UInt64>, onWindow: @escaping @Sendable (WatchedWindow) -> Void) async
    /// Per-store figures since `sinceNanoseconds` (pipeline clock), for the dashboard.
    func storeStatistics(sinceNanoseconds: Int64) async -> [WebStoreStatistics]
    /// Reloads venue, model and configuration (the SIGHUP path); nil when it worked, else why not.
    func reload() async -> String?
}

/// The venue and model the agent runs with.
public struct WebLayout: Sendable {
    public var venue: Venue
    /// The venue file's bytes hash, as trained models record it (``LayoutHash``).
    public var layoutHash: UInt64
    /// The model's zone ids (its classes' first label), in class order.
    public var modelZones: [String]
    /// The model file the agent loads, where an accepted model is installed.
    public var modelPath: String
    /// The agent's state directory (calibration files, model backups).
    public var stateDirectory: String

    public init(venue: Venue, layoutHash: UInt64, modelZones: [String], modelPath: String, stateDirectory: String) {
        self.venue = venue
        self.layoutHash = layoutHash
        self.modelZones = modelZones
        self.modelPath = modelPath
        self.stateDirectory = stateDirectory
    }
}

/// One sensor's health, as the installation view shows it.
public struct WebSensorHealth: Sendable, Codable, Equatable {
    public var id: String
    /// Frames read since start (all frames, not only probe requests).
    public var frames: UInt64
    /// Probe requests that have gone through the pipeline: what Frames/s counts. Frames read
    /// (above) are counted when the capture hands a batch on, which for a paced replay is a
    /// thousand frames minutes apart; this count follows the pipeline's clock.
    public var probeRequests: UInt64
    /// Frames the kernel's capture buffer dropped.
    public var kernelDrops: UInt64
    /// Frames dropped because the pipeline was behind.
    public var pipelineDrops: UInt64
    /// Unix seconds of the last frame heard (capture clock); nil: never.
    public var lastHeard: Double?
    public var silent: Bool
    /// The channel plan (one channel, or the hopping list).
    public var channels: [Int]

    public init(id: String, frames: UInt64, probeRequests: UInt64, kernelDrops: UInt64, pipelineDrops: UInt64, lastHeard: Double?, silent: Bool, channels: [Int]) {
        self.id = id
        self.frames = frames
        self.probeRequests = probeRequests
        self.kernelDrops = kernelDrops
        self.pipelineDrops = pipelineDrops
        self.lastHeard = lastHeard
        self.silent = silent
        self.channels = channels
    }
}

/// The agent's state now.
public struct WebLiveState: Sendable {
    /// The pipeline clock (ns since the epoch): wall time when capturing live, capture time in a replay.
    public var nowNanoseconds: Int64
    public var sensors: [WebSensorHealth]
    /// Devices whose latest position is in each store, by store zone id.
    public var occupancy: [String: Int]
    public var activeDevices: Int

    public init(nowNanoseconds: Int64, sensors: [WebSensorHealth], occupancy: [String: Int], activeDevices: Int) {
        self.nowNanoseconds = nowNanoseconds
        self.sensors = sensors
        self.occupancy = occupancy
        self.activeDevices = activeDevices
    }
}

/// One store's figures for the dashboard.
public struct WebStoreStatistics: Sendable, Codable, Equatable {
    public var storeID: String
    /// Finished visits and distinct visitors in the period.
    public var visits: Int
    public var visitors: Int
    public var passersBy: Int
    public var medianDwellSeconds: Double?

    public init(storeID: String, visits: Int, visitors: Int, passersBy: Int, medianDwellSeconds: Double?) {
        self.storeID = storeID
        self.visits = visits
        self.visitors = visitors
        self.passersBy = passersBy
        self.medianDwellSeconds = medianDwellSeconds
    }
}

/// One window of a watched device and where the model placed it.
public struct WatchedWindow: Sendable, Equatable {
    /// The keyed id that was watched (before pseudo-device grouping).
    public var device: UInt64
    public var endNanoseconds: Int64
    public var firstReadingNanoseconds: Int64
    public var lastReadingNanoseconds: Int64
    /// Per sensor, in the order of `sensorNames`.
    public var sample: Sample
    public var sensorNames: [String]
    /// The zone the pipeline placed the window in, and its confidence (0–1).
    public var zone: String
    public var confidence: Float

    public init(device: UInt64, endNanoseconds: Int64, firstReadingNanoseconds: Int64, lastReadingNanoseconds: Int64, sample: Sample, sensorNames: [String], zone: String, confidence: Float) {
        self.device = device
        self.endNanoseconds = endNanoseconds
        self.firstReadingNanoseconds = firstReadingNanoseconds
        self.lastReadingNanoseconds = lastReadingNanoseconds
        self.sample = sample
        self.sensorNames = sensorNames
        self.zone = zone
        self.confidence = confidence
    }
}
