/// One stay of a device in a store, door to door as far as the readings tell.
public struct StoreVisit: Sendable, Equatable {
    /// The caller's device key (a MAC today, a pseudo-device id with grouping).
    public var device: UInt64
    /// Class index of the store (see ``VisitLayout``).
    public var store: Int
    /// Estimated entry and exit, nanoseconds: halfway between the last reading placed outside
    /// and the first placed inside (and the reverse at the exit), not window ends.
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

/// A device that walked past a store's door (was placed in the walkway the door opens onto)
/// and did not go in during that pass.
public struct StorePass: Sendable, Equatable {
    public var device: UInt64
    /// Class index of the store passed.
    public var store: Int
    /// Class index of the walkway zone the device was in.
    public var walkway: Int
    /// Estimated start and end of the pass (entering and leaving the walkway zone), nanoseconds.
    public var startNanoseconds: Int64
    public var endNanoseconds: Int64

    public init(device: UInt64, store: Int, walkway: Int, startNanoseconds: Int64, endNanoseconds: Int64) {
        self.device = device
        self.store = store
        self.walkway = walkway
        self.startNanoseconds = startNanoseconds
        self.endNanoseconds = endNanoseconds
    }

    public var seconds: Double { Double(endNanoseconds - startNanoseconds) / 1e9 }
}

/// What ``StoreVisitTracker`` reports: visits confirmed and ended, and passers-by.
public enum VisitEvent: Sendable, Equatable {
    /// A stay has lasted the minimum dwell: the device is a visitor. `exitNanoseconds` is the
    /// latest reading placed inside so far. Every `entered` is followed by one `exited`.
    case entered(StoreVisit)
    /// The stay ended (placed outside for the exit timeout, in another store, or silent).
    case exited(StoreVisit)
    /// A pass in front of the store ended without the device going in.
    case passedBy(StorePass)

    /// The device the event is about.
    public var device: UInt64 {
        switch self {
        case .entered(let v), .exited(let v): v.device
        case .passedBy(let p): p.device
        }
    }
}
