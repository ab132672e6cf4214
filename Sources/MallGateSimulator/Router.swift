internal import MallGateVenue

/// Finds walking routes through the venue: between zones along doors, openings and
/// vertical links, and inside a zone around its corners.
///
/// People walk through corridors, entrances, open areas and vertical links, never
/// through a store that is not where they are going or coming from.
public struct Router: Sendable {
    let map: VenueMap
    /// Shortest distances between portal sides (node = portal × 2 + side), not walking
    /// through stores, and the next node on each shortest path.
    let distances: [Double]
    let next: [Int32]
    let nodeCount: Int
    /// Per zone: points just inside its reflex corners, to walk around them.
    let corners: [[Point]]
    /// Metres a vertical ride counts as in route lengths, per second of travel.
    static let rideCostPerSecond = 1.2

    public init(map: VenueMap) {
        self.map = map
        let n = map.portals.count * 2
        nodeCount = n
        var corners: [[Point]] = []
        for zone in map.zones {
            let pts = zone.polygon.points
            var inner: [Point] = []
            for i in pts.indices {
                let prev = pts[(i + pts.count - 1) % pts.count]
                let cur = pts[i]
                let nextP = pts[(i + 1) % pts.count]
                // Bisector pointing between the two edges; keep the candidate that is inside.
                func unit(_ v: Point) -> Point {
                    let l = max((v.x * v.x + v.y * v.y).squareRoot(), 1e-9)
                    return Point(v.x / l, v.y / l)
                }
                let bis = unit(unit(prev - cur) + unit(nextP - cur))
                for candidate in [cur + bis * 0.5, cur - bis * 0.5] where zone.polygon.contains(candidate) {
                    inner.append(candidate)
                    break
                }
            }
            corners.append(inner)
        }
        self.corners = corners
        var dist = [Double](repeating: .infinity, count: n * n)
        var next = [Int32](repeating: -1, count: n * n)
        func node(_ s: VenueMap.PortalSide) -> Int { s.portal * 2 + s.side }
        for i in 0..<n {
            dist[i * n + i] = 0
            next[i * n + i] = Int32(i)
        }
        for (k, p) in map.portals.enumerated() {
            let cost = p.kind == .vertical ? p.travelSeconds * Router.rideCostPerSecond : 0
            dist[(2 * k) * n + 2 * k + 1] = cost
            dist[(2 * k + 1) * n + 2 * k] = cost
            next[(2 * k) * n + 2 * k + 1] = Int32(2 * k + 1)
            next[(2 * k + 1) * n + 2 * k] = Int32(2 * k)
        }
        for (z, sides) in map.zonePortals.enumerated() where map.zones[z].kind != .store {
            for a in sides {
                for b in sides where a != b {
                    let pa = a.side == 0 ? map.portals[a.portal].points.0 : map.portals[a.portal].points.1
                    let pb = b.side == 0 ? map.portals[b.portal].points.0 : map.portals[b.portal].points.1
                    let d = pa.distance(to: pb)
                    if d < dist[node(a) * n + node(b)] {
                        dist[node(a) * n + node(b)] = d
                        next[node(a) * n + node(b)] = Int32(node(b))
                    }
                }
            }
        }
        // Floyd–Warshall: a few hundred nodes, once per simulation.
        dist.withUnsafeMutableBufferPointer { d in
            next.withUnsafeMutableBufferPointer { nx in
                for k in 0..<n {
                    for i in 0..<n {
                        let dik = d[i * n + k]
                        if dik == .infinity { continue }
                        for j in 0..<n {
                            let c = dik + d[k * n + j]
                            if c < d[i * n + j] {
                                d[i * n + j] = c
                                nx[i * n + j] = nx[i * n + k]
                            }
                        }
                    }
                }
            }
        }
        distances = dist
        self.next = next
    }

    func point(ofNode node: Int) -> Point {
        let p = map.portals[node / 2]
        return node % 2 == 0 ? p.points.0 : p.points.1
    }
    func zone(ofNode node: Int) -> Int {
        let p = map.portals[node / 2]
        return node % 2 == 0 ? p.zones.0 : p.zones.1
    }

    /// The portal nodes to pass, in order, from `origin` in zone `from` to `target` in zone
    /// `to`; empty when both are in one zone; nil when no route exists.
    func portalPath(from: Int, _ origin: Point, to: Int, _ target: Point) -> [Int]? {
        if from == to { return [] }
        var best: (cost: Double, a: Int, b: Int)?
        for sa in map.zonePortals[from] {
            let a = sa.portal * 2 + sa.side
            let da = origin.distance(to: point(ofNode: a))
            for sb in map.zonePortals[to] {
                let b = sb.portal * 2 + sb.side
                let c = da + distances[a * nodeCount + b] + point(ofNode: b).distance(to: target)
                if c < (best?.cost ?? .infinity) { best = (c, a, b) }
            }
        }
        guard let best else { return nil }
        var path = [best.a]
        var cur = best.a
        while cur != best.b {
            cur = Int(next[cur * nodeCount + best.b])
            path.append(cur)
        }
        return path
    }

    /// Whether walking straight from `p` to `q` stays inside `zone` (checked every 0.25 m).
    func straightInside(zone: Int, _ p: Point, _ q: Point) -> Bool {
        let polygon = map.zones[zone].polygon
        let steps = max(2, Int(p.distance(to: q) / 0.25))
        for i in 1..<steps where !polygon.contains(p + (q - p) * (Double(i) / Double(steps))) {
            return false
        }
        return true
    }

    /// Points to walk through inside `zone` from `p` to `q` (excluding `p`, ending at `q`),
    /// around reflex corners when the straight line leaves the zone.
    func pathInside(zone: Int, from p: Point, to q: Point) -> [Point] {
        if straightInside(zone: zone, p, q) { return [q] }
        let nodes = [p] + corners[zone] + [q]
        let n = nodes.count
        var dist = [Double](repeating: .infinity, count: n)
        var prev = [Int](repeating: -1, count: n)
        var done = [Bool](repeating: false, count: n)
        dist[0] = 0
        for _ in 0..<n {
            var u = -1
            for i in 0..<n where !done[i] && dist[i] < .infinity && (u < 0 || dist[i] < dist[u]) { u = i }
            if u < 0 || u == n - 1 { break }
            done[u] = true
            for v in 0..<n where !done[v] && straightInside(zone: zone, nodes[u], nodes[v]) {
                let c = dist[u] + nodes[u].distance(to: nodes[v])
                if c < dist[v] {
                    dist[v] = c
                    prev[v] = u
                }
            }
        }
        guard dist[n - 1] < .infinity else { return [q] }  // unreachable corners: walk straight
        var out: [Point] = []
        var cur = n - 1
        while cur > 0 {
            out.append(nodes[cur])
            cur = prev[cur]
        }
        return out.reversed()
    }
}

/// Builds a trajectory step by step: walk to a point, stand, ride a vertical link.
struct Walker {
    let map: VenueMap
    let router: Router
    var trajectory = Trajectory()
    var time: Double
    var zone: Int
    var point: Point
    var speed: Double

    init(map: VenueMap, router: Router, time: Double, zone: Int, point: Point, speed: Double) {
        self.map = map
        self.router = router
        self.time = time
        self.zone = zone
        self.point = point
        self.speed = speed
    }

    mutating func stand(_ seconds: Double) {
        guard seconds > 0 else { return }
        trajectory.legs.append(.init(start: time, end: time + seconds, floor: map.zoneFloor[zone], zone: zone, from: point, to: point))
        time += seconds
    }

    /// Walks inside the current zone to `target`.
    mutating func walkInside(to target: Point) {
        for p in router.pathInside(zone: zone, from: point, to: target) {
            let d = point.distance(to: p)
            let dt = d / speed
            trajectory.legs.append(.init(start: time, end: time + dt, floor: map.zoneFloor[zone], zone: zone, from: point, to: p))
            time += dt
            point = p
        }
    }

    /// Walks (and rides) to `target` in zone `to`, crossing doors and openings at a random
    /// point of their width; false when the venue has no route.
    @discardableResult
    mutating func go(to targetZone: Int, _ target: Point, rng: inout SimulationRandom) -> Bool {
        guard let path = router.portalPath(from: zone, point, to: targetZone, target) else { return false }
        for node in path {
            let nodeZone = router.zone(ofNode: node)
            let portal = map.portals[node / 2]
            if nodeZone == zone {
                var crossing = router.point(ofNode: node)
                if portal.kind != .vertical, let span = portal.span { crossing = span.0 + (span.1 - span.0) * rng.unit() }
                walkInside(to: crossing)
            } else if portal.kind == .vertical {
                // Half the ride on each floor, gliding toward the other floor's landing but
                // staying inside each floor's zone (escalator footprints differ per floor).
                let arrival = router.point(ofNode: node)
                let half = portal.travelSeconds / 2
                let here = map.zones[zone].polygon, there = map.zones[nodeZone].polygon
                let leave = here.contains(arrival) ? arrival : here.nearestBoundaryPoint(to: arrival)
                let enter = there.contains(point) ? point : there.nearestBoundaryPoint(to: point)
                trajectory.legs.append(.init(start: time, end: time + half, floor: map.zoneFloor[zone], zone: zone, from: point, to: leave))
                time += half
                trajectory.legs.append(.init(start: time, end: time + half, floor: map.zoneFloor[nodeZone], zone: nodeZone, from: enter, to: arrival))
                time += half
                zone = nodeZone
                point = arrival
            } else {
                zone = nodeZone  // through the door: same point, the other zone
            }
        }
        walkInside(to: target)
        return true
    }
}
