public import MallGateVenue

/// Where a device is relative to the stores, per window: the three-way answer of issue 4 item 3.
///
/// Footfall counters need more than "in a store or not": a phone in the corridor segment in
/// front of a shop is a potential visitor (a passer-by), one in the car-park entrance is not.
public enum PlaceStatus: UInt8, Sendable, CaseIterable {
    /// In a store.
    case inside
    /// In a walkway zone with a door into at least one store ("outside store X").
    case outsideNearStore
    /// Anywhere else: entrances, vertical links, open areas without a shop door, unknown zones.
    case elsewhere

    /// The word used in CSV and JSON output (`inside`, `outside`, `elsewhere`), the same as the
    /// simulator's `truth-positions.csv` `place` column so outputs compare directly.
    public var word: String {
        switch self {
        case .inside: "inside"
        case .outsideNearStore: "outside"
        case .elsewhere: "elsewhere"
        }
    }
}

/// The venue as the visits stage sees it: per localizer class, whether it is a store, and for
/// walkway zones the stores whose doors open onto it.
///
/// "Outside near a store" is read from the venue's `door` connections, not from distances: a
/// corridor segment with doors into stores S1…Sk is the place in front of each of them, which is
/// the resolution the localizer reports (zones). Classes are the localizer's (a zone per class,
/// in the model's order), so the tracker works on class indices without string look-ups.
public struct VisitLayout: Sendable, Equatable {
    /// Per class, the zone id (for output).
    public var zoneIDs: [String]
    /// Per class, whether it is a store.
    public var isStore: [Bool]
    /// Per class, the store classes whose doors open onto it (empty for stores and for zones
    /// without shop doors), sorted.
    public var doorStores: [[Int]]

    /// Builds the layout from the venue's zones and door connections.
    /// - Parameters:
    ///   - venue: the layout the model was trained for.
    ///   - classZones: per localizer class, its zone id; ids not in the venue are `elsewhere`.
    public init(venue: Venue, classZones: [String]) {
        var kindOf: [String: ZoneKind] = [:]
        for z in venue.zones where kindOf[z.id] == nil { kindOf[z.id] = z.kind }
        var classOf: [String: Int] = [:]
        for (i, id) in classZones.enumerated() where classOf[id] == nil { classOf[id] = i }
        var doors = [[Int]](repeating: [], count: classZones.count)
        for c in venue.connections where c.kind == .door {
            for (store, walkway) in [(c.from, c.to), (c.to, c.from)] {
                guard kindOf[store] == .store, let s = classOf[store], let w = classOf[walkway], kindOf[walkway] != .store else { continue }
                if !doors[w].contains(s) { doors[w].append(s) }
            }
        }
        self.init(zoneIDs: classZones, isStore: classZones.map { kindOf[$0] == .store }, doorStores: doors.map { $0.sorted() })
    }

    /// An explicit layout, for tests and class lists without a venue.
    public init(zoneIDs: [String], isStore: [Bool], doorStores: [[Int]]) {
        precondition(zoneIDs.count == isStore.count && isStore.count == doorStores.count, "one entry per class")
        self.zoneIDs = zoneIDs
        self.isStore = isStore
        self.doorStores = doorStores
    }

    public var classCount: Int { zoneIDs.count }

    /// The store classes, in class order: the rows of every interval's counts.
    public var stores: [Int] { isStore.indices.filter { isStore[$0] } }

    /// The three-way status of a window placed in class `classIndex` (out-of-range: elsewhere).
    public func status(ofClass classIndex: Int) -> PlaceStatus {
        guard classIndex >= 0 && classIndex < classCount else { return .elsewhere }
        if isStore[classIndex] { return .inside }
        return doorStores[classIndex].isEmpty ? .elsewhere : .outsideNearStore
    }
}
