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
    /// Row-major `classCount × classCount`: the next class on a shortest walk from class `i` to
    /// class `j` over the venue's connections (never through a store), -1 if none or `i == j`.
    /// Phones probe every few seconds to minutes, so a walker is often not heard in every
    /// corridor segment it crosses; the walk fills those in (passers-by of unseen segments).
    var nextHop: [Int16]

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
        nextHop = Self.walks(venue: venue, classZones: classZones, classOf: classOf)
    }

    /// An explicit layout, for tests and class lists without a venue (no walks are inferred).
    public init(zoneIDs: [String], isStore: [Bool], doorStores: [[Int]]) {
        precondition(zoneIDs.count == isStore.count && isStore.count == doorStores.count, "one entry per class")
        self.zoneIDs = zoneIDs
        self.isStore = isStore
        self.doorStores = doorStores
        nextHop = [Int16](repeating: -1, count: zoneIDs.count * zoneIDs.count)
    }

    /// The next class on the walk from class `i` to class `j`, or -1.
    func next(from i: Int, to j: Int) -> Int {
        Int(nextHop[i * zoneIDs.count + j])
    }

    /// Shortest walks between classes: breadth-first from every target over the venue's zones
    /// (zones without a class are walked through; stores only start or end a walk), then per
    /// source the neighbour one step closer, skipping class-less zones.
    static func walks(venue: Venue, classZones: [String], classOf: [String: Int]) -> [Int16] {
        let n = classZones.count
        var hop = [Int16](repeating: -1, count: n * n)
        guard n > 0 && n < Int(Int16.max) else { return hop }
        var index: [String: Int] = [:]
        var ids: [String] = []
        var isStore: [Bool] = []
        for z in venue.zones where index[z.id] == nil {
            index[z.id] = ids.count
            ids.append(z.id)
            isStore.append(z.kind == .store)
        }
        var adjacent = [[Int]](repeating: [], count: index.count)
        for c in venue.connections {
            guard let a = index[c.from], let b = index[c.to], a != b else { continue }
            adjacent[a].append(b)
            adjacent[b].append(a)
        }
        let zoneOfClass = classZones.map { index[$0] ?? -1 }
        var distance = [Int](repeating: -1, count: index.count)
        var queue: [Int] = []
        for j in 0..<n {
            let target = zoneOfClass[j]
            guard target >= 0 else { continue }
            for k in distance.indices { distance[k] = -1 }
            distance[target] = 0
            queue.removeAll(keepingCapacity: true)
            queue.append(target)
            var head = 0
            while head < queue.count {
                let z = queue[head]
                head += 1
                if isStore[z] && z != target { continue }  // no walking through a shop
                for y in adjacent[z] where distance[y] < 0 {
                    distance[y] = distance[z] + 1
                    queue.append(y)
                }
            }
            for i in 0..<n where i != j {
                var z = zoneOfClass[i]
                guard z >= 0, distance[z] > 0 else { continue }
                // Step towards the target until a zone with a class (or the target) is reached.
                while true {
                    guard let step = adjacent[z].filter({ distance[$0] == distance[z] - 1 && (!isStore[$0] || $0 == target) }).min() else { break }
                    z = step
                    if let c = classOf[ids[z]] {
                        hop[i * n + j] = Int16(c)
                        break
                    }
                }
            }
        }
        return hop
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
