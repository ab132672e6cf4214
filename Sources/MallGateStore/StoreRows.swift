/// Where a position window placed a device relative to its zone's store, as the localizer says.
public enum Placement: Int, Sendable, CaseIterable {
    /// Inside the store.
    case inside = 0
    /// Just outside it (the corridor in front): a passer-by candidate.
    case outside = 1
    /// Anywhere else in the venue.
    case elsewhere = 2
}

/// One localized window of one device: the row the localize stage produces per device and window.
///
/// There is deliberately no MAC here: `device` is the keyed hash from the identity stage.
public struct PositionRow: Sendable, Equatable {
    /// Keyed hash of the device's MAC (never the MAC), stored as its Int64 bit pattern.
    public var device: UInt64
    /// End of the fingerprint window, wall clock nanoseconds since 1970.
    public var windowEndNanoseconds: Int64
    public var floor: Int
    /// Zone index in the venue's class list, and its name (kept so a row is readable without the venue file).
    public var zoneIndex: Int
    public var zoneName: String
    public var placement: Placement
    /// The model's probability for the chosen zone, 0...1.
    public var confidence: Double
    /// False while the gateway clock has not been synchronized (NTP): times may then be off.
    public var clockSynchronized: Bool

    public init(
        device: UInt64, windowEndNanoseconds: Int64, floor: Int, zoneIndex: Int, zoneName: String,
        placement: Placement, confidence: Double, clockSynchronized: Bool
    ) {
        self.device = device
        self.windowEndNanoseconds = windowEndNanoseconds
        self.floor = floor
        self.zoneIndex = zoneIndex
        self.zoneName = zoneName
        self.placement = placement
        self.confidence = confidence
        self.clockSynchronized = clockSynchronized
    }
}

/// One stay of a device at a store: a visit, or a passer-by when it only went past the front.
public struct VisitRow: Sendable, Equatable {
    public var device: UInt64
    public var storeIndex: Int
    public var storeName: String
    public var enterNanoseconds: Int64
    public var exitNanoseconds: Int64
    /// Seen in front of the store but not (long enough) inside.
    public var passerBy: Bool

    public init(device: UInt64, storeIndex: Int, storeName: String, enterNanoseconds: Int64, exitNanoseconds: Int64, passerBy: Bool) {
        self.device = device
        self.storeIndex = storeIndex
        self.storeName = storeName
        self.enterNanoseconds = enterNanoseconds
        self.exitNanoseconds = exitNanoseconds
        self.passerBy = passerBy
    }
}

/// Visits per dwell time, in the buckets the store_counts table has columns for.
public struct DwellHistogram: Sendable, Equatable {
    /// Upper bounds of the buckets in seconds; the last bucket is open (60 min and longer).
    public static let upperBoundsSeconds: [Int] = [60, 300, 900, 1800, 3600]
    public var under1Minute = 0
    public var from1To5Minutes = 0
    public var from5To15Minutes = 0
    public var from15To30Minutes = 0
    public var from30To60Minutes = 0
    public var from60Minutes = 0
    /// The visits' dwell times added up, whole seconds: with footfall it gives the mean dwell,
    /// which the buckets alone cannot (the collector's report shows it).
    public var secondsSum = 0

    public init() {}

    /// Counts one visit of this dwell into its bucket.
    public mutating func add(dwellSeconds: Double) {
        secondsSum += Int(dwellSeconds.rounded())
        switch dwellSeconds {
        case ..<60: under1Minute += 1
        case ..<300: from1To5Minutes += 1
        case ..<900: from5To15Minutes += 1
        case ..<1800: from15To30Minutes += 1
        case ..<3600: from30To60Minutes += 1
        default: from60Minutes += 1
        }
    }
}

/// Footfall of one store in one interval; a later row for the same store and interval replaces it.
public struct StoreCountRow: Sendable, Equatable {
    public var storeIndex: Int
    public var storeName: String
    public var intervalStartNanoseconds: Int64
    public var intervalNanoseconds: Int64
    public var footfall: Int
    public var passersBy: Int
    public var uniqueDevices: Int
    public var dwell: DwellHistogram

    public init(
        storeIndex: Int, storeName: String, intervalStartNanoseconds: Int64, intervalNanoseconds: Int64,
        footfall: Int, passersBy: Int, uniqueDevices: Int, dwell: DwellHistogram
    ) {
        self.storeIndex = storeIndex
        self.storeName = storeName
        self.intervalStartNanoseconds = intervalStartNanoseconds
        self.intervalNanoseconds = intervalNanoseconds
        self.footfall = footfall
        self.passersBy = passersBy
        self.uniqueDevices = uniqueDevices
        self.dwell = dwell
    }
}

/// Severity of an event, the syslog names journald uses.
public enum EventLevel: String, Sendable, CaseIterable {
    case debug, info, notice, warning, error, critical
}

/// Something an operator should be able to read later: a sensor going silent, pruning, a corrupt database.
public struct EventRow: Sendable, Equatable {
    public var timeNanoseconds: Int64
    public var level: EventLevel
    /// A short stable word for filtering (`retention`, `disk-full`, `integrity`, `sensor-silent`, ...).
    public var kind: String
    public var message: String

    public init(timeNanoseconds: Int64, level: EventLevel, kind: String, message: String) {
        self.timeNanoseconds = timeNanoseconds
        self.level = level
        self.kind = kind
        self.message = message
    }
}

/// The latest health of one sensor; written as an upsert, one row per sensor.
public struct SensorHealth: Sendable, Equatable {
    /// The sensor's name in the venue file.
    public var sensor: String
    public var lastHeardNanoseconds: Int64?
    public var frames: Int64
    /// Frames MallGate dropped because the pipeline fell behind.
    public var drops: Int64
    /// Frames the kernel or libpcap dropped.
    public var kernelDrops: Int64
    /// `ok`, `silent`, `failed`, `retrying`, ... as the capture service names it.
    public var status: String

    public init(sensor: String, lastHeardNanoseconds: Int64?, frames: Int64, drops: Int64, kernelDrops: Int64, status: String) {
        self.sensor = sensor
        self.lastHeardNanoseconds = lastHeardNanoseconds
        self.frames = frames
        self.drops = drops
        self.kernelDrops = kernelDrops
        self.status = status
    }
}

/// Everything the daemon hands the store in one call; written in one transaction.
///
/// Batching matters: one transaction per thousands of rows is what makes SQLite fast on an SD card.
public struct StoreBatch: Sendable, Equatable {
    public var positions: [PositionRow]
    public var visits: [VisitRow]
    public var storeCounts: [StoreCountRow]
    public var events: [EventRow]
    public var sensors: [SensorHealth]

    public init(
        positions: [PositionRow] = [], visits: [VisitRow] = [], storeCounts: [StoreCountRow] = [],
        events: [EventRow] = [], sensors: [SensorHealth] = []
    ) {
        self.positions = positions
        self.visits = visits
        self.storeCounts = storeCounts
        self.events = events
        self.sensors = sensors
    }

    public var rowCount: Int { positions.count + visits.count + storeCounts.count + events.count + sensors.count }
    public var isEmpty: Bool { rowCount == 0 }
}

/// The tables whose rows are synced upstream and pruned by the retention policy.
public enum StoreTable: String, Sendable, CaseIterable {
    case positions
    case visits
    case storeCounts = "store_counts"
    case events
}

/// A count per table (rows pruned, dropped, waiting); `outbox` counts batches.
public struct TableCounts: Sendable, Equatable {
    public var positions = 0
    public var visits = 0
    public var storeCounts = 0
    public var events = 0
    public var outbox = 0

    public init(positions: Int = 0, visits: Int = 0, storeCounts: Int = 0, events: Int = 0, outbox: Int = 0) {
        self.positions = positions
        self.visits = visits
        self.storeCounts = storeCounts
        self.events = events
        self.outbox = outbox
    }

    public var total: Int { positions + visits + storeCounts + events + outbox }

    public subscript(table: StoreTable) -> Int {
        get {
            switch table {
            case .positions: positions
            case .visits: visits
            case .storeCounts: storeCounts
            case .events: events
            }
        }
        set {
            switch table {
            case .positions: positions = newValue
            case .visits: visits = newValue
            case .storeCounts: storeCounts = newValue
            case .events: events = newValue
            }
        }
    }

    static func += (lhs: inout TableCounts, rhs: TableCounts) {
        lhs.positions += rhs.positions
        lhs.visits += rhs.visits
        lhs.storeCounts += rhs.storeCounts
        lhs.events += rhs.events
        lhs.outbox += rhs.outbox
    }

    /// `positions 120, events 3` — only the non-zero counts, for event messages.
    var summary: String {
        let parts = [("positions", positions), ("visits", visits), ("store_counts", storeCounts), ("events", events), ("outbox batches", outbox)]
            .filter { $0.1 != 0 }.map { "\($0.0) \($0.1)" }
        return parts.isEmpty ? "nothing" : parts.joined(separator: ", ")
    }
}

extension StoreBatch {
    var counts: TableCounts {
        TableCounts(positions: positions.count, visits: visits.count, storeCounts: storeCounts.count, events: events.count)
    }
}
