public import MallGateVenue

/// The venue indexed for simulation: floors and zones by number, store walls classified
/// for propagation, and the walking graph (doors, openings, vertical links) for mobility.
///
/// Built once per simulation; everything later works with integer indices.
public struct VenueMap: Sendable {
    public let venue: Venue
    /// Floors sorted by storey index; `floorOf[zone]` and sensor floors index into this.
    public let floors: [Floor]
    public let zones: [Zone]
    public let zoneFloor: [Int]
    let zoneIndex: [String: Int]
    let floorIndex: [String: Int]
    /// Per floor: every piece of a store wall, with the loss a signal crossing it takes.
    let walls: [[WallPiece]]
    /// Walking graph: portals between zones.
    let portals: [Portal]
    /// For each zone, the portal sides inside it.
    let zonePortals: [[PortalSide]]
    /// Store doors, per store zone (a store may have several).
    let storeDoors: [[Point]]
    /// Uniform point samplers per zone (their own triangulation, drawn from many times).
    let samplers: [PolygonSampler]
    /// A point well inside each zone (the label point).
    let anchors: [Point]

    struct WallPiece: Sendable {
        var a: Point
        var b: Point
        var loss: Double
        var box: BoundingBox
    }

    /// A passage between two zones: a door or opening (one point on both sides) or a
    /// vertical link (a point in each zone, and a ride in between).
    struct Portal: Sendable {
        var kind: Connection.Kind
        var zones: (Int, Int)
        var points: (Point, Point)
        var travelSeconds: Double
        /// For doors and openings: the stretch of boundary people pass through (80 % of the
        /// width, along the nearest edge), so crowds spread over a wide opening.
        var span: (Point, Point)?
    }

    struct PortalSide: Sendable, Hashable {
        var portal: Int
        var side: Int  // 0: in portals[portal].zones.0, 1: in .zones.1
    }

    /// Indexes `venue`.
    /// - Throws: ``SimulationError`` when a zone or sensor names a floor that does not
    ///   exist, or a connection names an unknown zone (`mallgate venue validate` says more).
    public init(venue: Venue) throws(SimulationError) {
        self.venue = venue
        floors = venue.floors.sorted { $0.index < $1.index }
        var floorIndex: [String: Int] = [:]
        for (i, f) in floors.enumerated() { floorIndex[f.id] = i }
        zones = venue.zones
        var zoneIndex: [String: Int] = [:]
        var zoneFloor: [Int] = []
        for (i, z) in zones.enumerated() {
            zoneIndex[z.id] = i
            guard let f = floorIndex[z.floor] else {
                throw SimulationError(.unusableVenue("zone \(z.id) is on unknown floor \(z.floor)"))
            }
            guard z.polygon.points.count >= 3, z.polygon.area > 0.01 else {
                throw SimulationError(.unusableVenue("zone \(z.id) has no area"))
            }
            zoneFloor.append(f)
        }
        for s in venue.sensors where floorIndex[s.floor] == nil {
            throw SimulationError(.unusableVenue("sensor \(s.id) is on unknown floor \(s.floor)"))
        }
        guard !venue.sensors.isEmpty else { throw SimulationError(.unusableVenue("it has no sensors")) }
        self.floorIndex = floorIndex
        self.zoneIndex = zoneIndex
        self.zoneFloor = zoneFloor
        samplers = zones.map { PolygonSampler($0.polygon) }
        anchors = zones.map { $0.polygon.labelPoint }
        walls = VenueMap.classifyWalls(zones: zones, zoneFloor: zoneFloor, floorCount: floors.count, radio: venue.radio)

        var portals: [Portal] = []
        var storeDoors = [[Point]](repeating: [], count: zones.count)
        for c in venue.connections {
            guard let a = zoneIndex[c.from], let b = zoneIndex[c.to] else {
                throw SimulationError(.unusableVenue("connection \(c.from) → \(c.to) names an unknown zone"))
            }
            switch c.kind {
            case .vertical:
                portals.append(
                    Portal(kind: .vertical, zones: (a, b), points: (anchors[a], anchors[b]), travelSeconds: c.travelSeconds ?? 30))
            case .door, .open:
                let at = c.at ?? VenueMap.sharedBoundaryMidpoint(zones[a].polygon, zones[b].polygon)
                let width = c.width ?? (c.kind == .door ? 1.5 : 3)
                portals.append(Portal(kind: c.kind, zones: (a, b), points: (at, at), travelSeconds: 0,
                                      span: VenueMap.crossingSpan(at: at, width: width, from: zones[a].polygon, to: zones[b].polygon)))
                if zones[a].kind == .store { storeDoors[a].append(at) }
                if zones[b].kind == .store { storeDoors[b].append(at) }
            }
        }
        var zonePortals = [[PortalSide]](repeating: [], count: zones.count)
        for (i, p) in portals.enumerated() {
            zonePortals[p.zones.0].append(PortalSide(portal: i, side: 0))
            zonePortals[p.zones.1].append(PortalSide(portal: i, side: 1))
        }
        self.portals = portals
        self.zonePortals = zonePortals
        self.storeDoors = storeDoors
    }

    public func zone(id: String) -> Int? { zoneIndex[id] }
    public func floor(id: String) -> Int? { floorIndex[id] }

    /// The zone on `floor` containing `point` (stores first, so a point on a shopfront
    /// counts as inside the store), or nil.
    public func zone(containing point: Point, floor: Int) -> Int? {
        var found: Int?
        for i in zones.indices where zoneFloor[i] == floor && zones[i].polygon.contains(point) {
            if zones[i].kind == .store { return i }
            if found == nil { found = i }
        }
        return found
    }

    /// Splits every store edge where another zone's vertex touches it and classifies each
    /// piece by what lies just outside it: another store (a party wall, counted half from
    /// each side so one crossing costs `wallLossDB`), a walkway (a shopfront), or nothing
    /// (an outer wall).
    static func classifyWalls(zones: [Zone], zoneFloor: [Int], floorCount: Int, radio: RadioEnvironment) -> [[WallPiece]] {
        var result = [[WallPiece]](repeating: [], count: floorCount)
        for (i, zone) in zones.enumerated() where zone.kind == .store {
            let floor = zoneFloor[i]
            let neighbours = zones.indices.filter { $0 != i && zoneFloor[$0] == floor }
            for (a, b) in zone.polygon.edges {
                let length = a.distance(to: b)
                guard length > 1e-6 else { continue }
                var cuts: [Double] = [0, 1]
                for j in neighbours {
                    for v in zones[j].polygon.points where v.distance(toSegment: a, b) < 0.02 {
                        let t = ((v.x - a.x) * (b.x - a.x) + (v.y - a.y) * (b.y - a.y)) / (length * length)
                        if t > 1e-4 && t < 1 - 1e-4 { cuts.append(t) }
                    }
                }
                cuts.sort()
                let normal = Point(-(b.y - a.y) / length, (b.x - a.x) / length)
                for k in 0..<(cuts.count - 1) where cuts[k + 1] - cuts[k] > 1e-6 {
                    let p = a + (b - a) * cuts[k]
                    let q = a + (b - a) * cuts[k + 1]
                    let mid = (p + q) * 0.5
                    // The probe on the side away from this store's interior.
                    var outside = mid + normal * 0.1
                    if zone.polygon.contains(outside) { outside = mid - normal * 0.1 }
                    var loss = radio.wallLossDB
                    for j in neighbours where zones[j].polygon.contains(outside) {
                        loss = zones[j].kind == .store ? radio.wallLossDB / 2 : radio.shopfrontLossDB
                        if zones[j].kind != .store { break }
                    }
                    // Neighbouring pieces of one edge with the same loss are one wall.
                    if k > 0, let last = result[floor].last, last.loss == loss, last.b == p {
                        result[floor][result[floor].count - 1] = WallPiece(a: last.a, b: q, loss: loss, box: BoundingBox(points: [last.a, q]))
                    } else {
                        result[floor].append(WallPiece(a: p, b: q, loss: loss, box: BoundingBox(points: [p, q])))
                    }
                }
            }
        }
        return result
    }

    /// The stretch of boundary people pass through at a door or opening: up to 80 % of
    /// `width`, centred on `at`, along the edge of `from` nearest to `at`, and only where that
    /// edge also borders `to` (a door at the end of a corridor segment must not lead into
    /// the next segment).
    static func crossingSpan(at: Point, width: Double, from: Polygon, to: Polygon) -> (Point, Point) {
        var best: (Point, Point)?
        var bestDistance = Double.infinity
        for (a, b) in from.edges {
            let d = at.distance(toSegment: a, b)
            if d < bestDistance {
                bestDistance = d
                best = (a, b)
            }
        }
        guard let (a, b) = best, bestDistance < 0.5 else { return (at, at) }
        let length = a.distance(to: b)
        guard length > 1e-9 else { return (at, at) }
        let t = ((at.x - a.x) * (b.x - a.x) + (at.y - a.y) * (b.y - a.y)) / (length * length)
        let half = min(width * 0.4, length / 2) / length
        // Walk out from `at` in both directions while the edge still borders `to`.
        let steps = 20
        var lo = t, hi = t
        for k in 1...steps {
            let u = t - half * Double(k) / Double(steps)
            guard u >= 0.01, to.distance(to: a + (b - a) * u) < 0.05 else { break }
            lo = u
        }
        for k in 1...steps {
            let u = t + half * Double(k) / Double(steps)
            guard u <= 0.99, to.distance(to: a + (b - a) * u) < 0.05 else { break }
            hi = u
        }
        return (a + (b - a) * lo, a + (b - a) * hi)
    }

    /// Where two zones that share an edge meet: the middle of the longest shared stretch of
    /// boundary, or the midpoint of their label points when they only touch.
    static func sharedBoundaryMidpoint(_ a: Polygon, _ b: Polygon) -> Point {
        var best: (length: Double, mid: Point)?
        for (a1, a2) in a.edges {
            let la = a1.distance(to: a2)
            guard la > 1e-6 else { continue }
            func lineDistance(_ p: Point) -> Double {
                abs((a2.x - a1.x) * (p.y - a1.y) - (a2.y - a1.y) * (p.x - a1.x)) / la
            }
            for (b1, b2) in b.edges where lineDistance(b1) < 0.05 && lineDistance(b2) < 0.05 {
                // Project both onto a's edge and intersect the parameter ranges.
                func t(_ p: Point) -> Double { ((p.x - a1.x) * (a2.x - a1.x) + (p.y - a1.y) * (a2.y - a1.y)) / (la * la) }
                let lo = max(0, min(t(b1), t(b2)))
                let hi = min(1, max(t(b1), t(b2)))
                guard hi > lo else { continue }
                let length = (hi - lo) * la
                if best == nil || length > best!.length {
                    best = (length, a1 + (a2 - a1) * ((lo + hi) / 2))
                }
            }
        }
        return best?.mid ?? (a.labelPoint + b.labelPoint) * 0.5
    }
}
