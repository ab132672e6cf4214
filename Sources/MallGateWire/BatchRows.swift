/// One localized position: which zone a device was in at a moment.
public struct PositionRow: Sendable, Hashable {
    /// Anonymous device id (keyed hash of the MAC; never the MAC itself).
    public var device: UInt64
    /// Unix milliseconds.
    public var timeMs: Int64
    /// Index into `BatchRows.zoneIDs`.
    public var zone: Int
    /// The localizer's probability for `zone`, quantized to 0…255 (255 = 1.0).
    public var confidence: UInt8

    public init(device: UInt64, timeMs: Int64, zone: Int, confidence: UInt8) {
        self.device = device
        self.timeMs = timeMs
        self.zone = zone
        self.confidence = confidence
    }
}

/// One store visit: a device entered a store and left it again.
public struct VisitRow: Sendable, Hashable {
    public var device: UInt64
    /// Index into `BatchRows.zoneIDs` (a store zone).
    public var store: Int
    /// Unix milliseconds.
    public var enterMs: Int64
    /// Unix milliseconds, not before `enterMs`.
    public var exitMs: Int64

    public init(device: UInt64, store: Int, enterMs: Int64, exitMs: Int64) {
        self.device = device
        self.store = store
        self.enterMs = enterMs
        self.exitMs = exitMs
    }
}

/// Per-store counts for one interval.
public struct StoreCountRow: Sendable, Hashable {
    /// Index into `BatchRows.zoneIDs`.
    public var store: Int
    public var intervalStartMs: Int64
    public var intervalSeconds: UInt32
    public var footfall: UInt32
    public var passersBy: UInt32
    /// Sum of the visits' dwell times (mean dwell = dwellSecondsSum / footfall).
    public var dwellSecondsSum: UInt64
    /// Visits per dwell bucket (edges in docs/sync-protocol.md).
    public var dwellHistogram: [UInt32]

    public init(
        store: Int, intervalStartMs: Int64, intervalSeconds: UInt32, footfall: UInt32, passersBy: UInt32,
        dwellSecondsSum: UInt64, dwellHistogram: [UInt32] = []
    ) {
        self.store = store
        self.intervalStartMs = intervalStartMs
        self.intervalSeconds = intervalSeconds
        self.footfall = footfall
        self.passersBy = passersBy
        self.dwellSecondsSum = dwellSecondsSum
        self.dwellHistogram = dwellHistogram
    }
}

/// A gateway health event (sensor silent, back, dropping frames, …).
public struct HealthEventRow: Sendable, Hashable {
    public var timeMs: Int64
    /// The sensor it is about; "" for the gateway itself.
    public var sensor: String
    /// Machine-readable kind, e.g. `sensor_silent`.
    public var kind: String
    public var message: String
    /// A number the kind defines (drop count, seconds silent, …).
    public var value: Int64

    public init(timeMs: Int64, sensor: String, kind: String, message: String, value: Int64 = 0) {
        self.timeMs = timeMs
        self.sensor = sensor
        self.kind = kind
        self.message = message
        self.value = value
    }
}

/// The rows of one upload batch, with the zone table their indices point into.
///
/// This is what the gateway's store seals into an outbox entry (`encodedPayload()`), and what
/// the collector gets back after checking a batch (`init(payload:)`).
public struct BatchRows: Sendable, Equatable {
    /// The venue's zone ids in venue-file order.
    public var zoneIDs: [String]
    public var positions: [PositionRow]
    public var visits: [VisitRow]
    public var storeCounts: [StoreCountRow]
    public var healthEvents: [HealthEventRow]

    public init(
        zoneIDs: [String], positions: [PositionRow] = [], visits: [VisitRow] = [],
        storeCounts: [StoreCountRow] = [], healthEvents: [HealthEventRow] = []
    ) {
        self.zoneIDs = zoneIDs
        self.positions = positions
        self.visits = visits
        self.storeCounts = storeCounts
        self.healthEvents = healthEvents
    }

    /// Rows of every kind together.
    public var rowCount: Int { positions.count + visits.count + storeCounts.count + healthEvents.count }
}
