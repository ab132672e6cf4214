/// One stay of a device in a store, door to door as far as the windows tell.
public struct StoreVisit: Sendable, Equatable {
    public var device: UInt64
    /// Class index of the store (in the model's ``ClassList``).
    public var store: Int
    /// Time of the first and last window placed in the store, nanoseconds.
    public var enterNanoseconds: Int64
    public var exitNanoseconds: Int64

    public init(device: UInt64, store: Int, enterNanoseconds: Int64, exitNanoseconds: Int64) {
        self.device = device
        self.store = store
        self.enterNanoseconds = enterNanoseconds
        self.exitNanoseconds = exitNanoseconds
    }

    public var dwellSeconds: Double { Double(exitNanoseconds - enterNanoseconds) / 1e9 }
}

/// Turns each device's (smoothed) zone sequence into store visits: enter when a window places
/// it in a store, exit when it has been placed elsewhere for longer than the exit timeout (or in
/// another store); visits shorter than the minimum dwell are dropped (a passer-by at the door).
///
/// The exit timeout bridges short excursions of the estimate (one window in the corridor while
/// the phone stayed inside); memory per device is one open visit; idle devices are closed.
public struct StoreVisitTracker: Sendable {
    public struct Options: Sendable, Equatable {
        /// Visits shorter than this are not reported.
        public var minimumDwellSeconds: Double = 30
        /// Placed outside the store for this long (or not heard for this long) ends the visit.
        public var exitTimeoutSeconds: Double = 180
        public init() {}
    }

    struct Open: Sendable {
        var store: Int
        var enter: Int64
        var lastInside: Int64
    }

    public var options: Options
    /// Per class, whether it is a store.
    public let isStore: [Bool]
    private var open: [UInt64: Open] = [:]

    public init(isStore: [Bool], options: Options = Options()) {
        self.isStore = isStore
        self.options = options
    }

    /// Feeds one window's class for `device` (windows of one device in time order) and returns
    /// the visits it closes (of this device, and of devices idle past the exit timeout).
    public mutating func update(device: UInt64, timeNanoseconds t: Int64, classIndex: Int) -> [StoreVisit] {
        var out: [StoreVisit] = []
        let timeout = Int64(options.exitTimeoutSeconds * 1e9)
        if var v = open[device] {
            if t - v.lastInside > timeout {
                close(device, v, into: &out)
                open[device] = nil
            } else if isStore[classIndex] && classIndex != v.store {
                close(device, v, into: &out)
                open[device] = nil
            } else if classIndex == v.store {
                v.lastInside = t
                open[device] = v
            }
        }
        if open[device] == nil && isStore[classIndex] {
            open[device] = Open(store: classIndex, enter: t, lastInside: t)
        }
        return out
    }

    /// Closes the visits of devices not placed in their store since `t − exitTimeout`.
    public mutating func closeIdle(at t: Int64) -> [StoreVisit] {
        var out: [StoreVisit] = []
        let timeout = Int64(options.exitTimeoutSeconds * 1e9)
        for (device, v) in open where t == .max || t - v.lastInside > timeout {
            close(device, v, into: &out)
            open[device] = nil
        }
        return out.sorted { ($0.enterNanoseconds, $0.device) < ($1.enterNanoseconds, $1.device) }
    }

    /// Closes every open visit (end of a capture).
    public mutating func flush() -> [StoreVisit] {
        closeIdle(at: .max)
    }

    private func close(_ device: UInt64, _ v: Open, into out: inout [StoreVisit]) {
        let visit = StoreVisit(device: device, store: v.store, enterNanoseconds: v.enter, exitNanoseconds: v.lastInside)
        if visit.dwellSeconds >= options.minimumDwellSeconds { out.append(visit) }
    }
}
