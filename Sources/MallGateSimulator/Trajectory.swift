public import MallGateVenue

/// Where a person is over time: straight legs at constant speed, or standing still,
/// each inside one zone (doors and vertical rides are where zones change).
public struct Trajectory: Sendable {
    /// One straight stretch, from `from` at `start` to `to` at `end` (seconds since the
    /// simulation start), inside `zone` on `floor`.
    public struct Leg: Sendable {
        public var start: Double
        public var end: Double
        public var floor: Int
        public var zone: Int
        public var from: Point
        public var to: Point
    }
    public internal(set) var legs: [Leg] = []

    public var start: Double { legs.first?.start ?? 0 }
    public var end: Double { legs.last?.end ?? 0 }

    /// Where the person is at `time` (clamped to the trajectory): floor, zone and point.
    public func position(at time: Double) -> (floor: Int, zone: Int, point: Point) {
        var lo = 0
        var hi = legs.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if legs[mid].start <= time { lo = mid } else { hi = mid - 1 }
        }
        let leg = legs[lo]
        let span = leg.end - leg.start
        let f = span > 0 ? min(max((time - leg.start) / span, 0), 1) : 1
        return (leg.floor, leg.zone, leg.from + (leg.to - leg.from) * f)
    }

    /// Visits to stores: the spans spent in a store zone, from the door in to the door out.
    public func storeVisits(map: VenueMap) -> [(store: Int, enter: Double, exit: Double)] {
        var visits: [(store: Int, enter: Double, exit: Double)] = []
        var current: (store: Int, enter: Double, exit: Double)?
        for leg in legs {
            if map.zones[leg.zone].kind == .store {
                if let c = current, c.store == leg.zone {
                    current!.exit = leg.end
                } else {
                    if let c = current { visits.append(c) }
                    current = (leg.zone, leg.start, leg.end)
                }
            } else if let c = current {
                visits.append(c)
                current = nil
            }
        }
        if let c = current { visits.append(c) }
        return visits
    }
}
