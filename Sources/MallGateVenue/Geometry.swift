// Plane geometry on the venue's local frame (metres): what validation, the SVG plans
// and the simulator need, and nothing more. Pure functions over ``Point`` and ``Polygon``.

// MARK: - Points

extension Point {
    /// Euclidean distance in metres.
    public func distance(to other: Point) -> Double {
        ((x - other.x) * (x - other.x) + (y - other.y) * (y - other.y)).squareRoot()
    }

    /// Distance to the closed segment `a`–`b` (to `a` when the segment has no length).
    public func distance(toSegment a: Point, _ b: Point) -> Double {
        distance(to: nearestPoint(onSegment: a, b))
    }

    /// The point of the closed segment `a`–`b` nearest to this one.
    public func nearestPoint(onSegment a: Point, _ b: Point) -> Point {
        let d = b - a
        let lengthSquared = d.x * d.x + d.y * d.y
        guard lengthSquared > 0 else { return a }
        let t = min(1, max(0, ((x - a.x) * d.x + (y - a.y) * d.y) / lengthSquared))
        return Point(a.x + t * d.x, a.y + t * d.y)
    }

    public static func + (lhs: Point, rhs: Point) -> Point { Point(lhs.x + rhs.x, lhs.y + rhs.y) }
    public static func - (lhs: Point, rhs: Point) -> Point { Point(lhs.x - rhs.x, lhs.y - rhs.y) }
    public static func * (lhs: Point, rhs: Double) -> Point { Point(lhs.x * rhs, lhs.y * rhs) }
}

/// Twice the signed area of the triangle `a b c`: positive when counter-clockwise,
/// zero when collinear. The orientation test every segment predicate rests on.
@inline(__always)
func cross(_ a: Point, _ b: Point, _ c: Point) -> Double {
    (b.x - a.x) * (c.y - a.y) - (b.y - a.y) * (c.x - a.x)
}

/// Whether `p`, known to be collinear with `a`–`b`, lies within the segment's bounding box.
@inline(__always)
private func withinBox(_ p: Point, _ a: Point, _ b: Point) -> Bool {
    p.x >= min(a.x, b.x) && p.x <= max(a.x, b.x) && p.y >= min(a.y, b.y) && p.y <= max(a.y, b.y)
}

/// Whether the closed segments `a1`–`a2` and `b1`–`b2` share at least one point
/// (crossing, touching at an end, or overlapping collinearly).
public func segmentsIntersect(_ a1: Point, _ a2: Point, _ b1: Point, _ b2: Point) -> Bool {
    let d1 = cross(b1, b2, a1)
    let d2 = cross(b1, b2, a2)
    let d3 = cross(a1, a2, b1)
    let d4 = cross(a1, a2, b2)
    if ((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0)) {
        return true
    }
    if d1 == 0 && withinBox(a1, b1, b2) { return true }
    if d2 == 0 && withinBox(a2, b1, b2) { return true }
    if d3 == 0 && withinBox(b1, a1, a2) { return true }
    if d4 == 0 && withinBox(b2, a1, a2) { return true }
    return false
}

/// Where the closed segments `a1`–`a2` and `b1`–`b2` meet, or nil when they do not.
///
/// When they overlap collinearly there is no single point; the shared point nearest
/// to `a1` is returned.
public func segmentIntersection(_ a1: Point, _ a2: Point, _ b1: Point, _ b2: Point) -> Point? {
    guard segmentsIntersect(a1, a2, b1, b2) else { return nil }
    let r = a2 - a1
    let s = b2 - b1
    let denominator = r.x * s.y - r.y * s.x
    if denominator != 0 {
        let t = ((b1.x - a1.x) * s.y - (b1.y - a1.y) * s.x) / denominator
        return a1 + r * min(1, max(0, t))
    }
    // Parallel and touching: collinear. Candidates are the four ends that lie on the other segment.
    var best: Point?
    for p in [a1, a2, b1, b2] where withinBox(p, a1, a2) && withinBox(p, b1, b2) {
        if best == nil || p.distance(to: a1) < best!.distance(to: a1) { best = p }
    }
    return best
}

/// Whether two segments cross at a single point inside both (not at an end, not collinear).
private func segmentsCrossProperly(_ a1: Point, _ a2: Point, _ b1: Point, _ b2: Point) -> Bool {
    let d1 = cross(b1, b2, a1)
    let d2 = cross(b1, b2, a2)
    let d3 = cross(a1, a2, b1)
    let d4 = cross(a1, a2, b2)
    return ((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0))
}

// MARK: - Bounding boxes

/// An axis-aligned rectangle; cheap to test before exact geometry.
public struct BoundingBox: Sendable, Hashable {
    public var minX: Double
    public var minY: Double
    public var maxX: Double
    public var maxY: Double
    public init(minX: Double, minY: Double, maxX: Double, maxY: Double) {
        self.minX = minX
        self.minY = minY
        self.maxX = maxX
        self.maxY = maxY
    }
    /// The smallest box holding all `points`; an empty box at the origin for none.
    public init(points: some Sequence<Point>) {
        var box: BoundingBox?
        for p in points {
            if var b = box {
                b.minX = min(b.minX, p.x)
                b.minY = min(b.minY, p.y)
                b.maxX = max(b.maxX, p.x)
                b.maxY = max(b.maxY, p.y)
                box = b
            } else {
                box = BoundingBox(minX: p.x, minY: p.y, maxX: p.x, maxY: p.y)
            }
        }
        self = box ?? BoundingBox(minX: 0, minY: 0, maxX: 0, maxY: 0)
    }
    public var width: Double { maxX - minX }
    public var height: Double { maxY - minY }
    public var center: Point { Point((minX + maxX) / 2, (minY + maxY) / 2) }
    /// Whether `point` is inside or on the edge.
    public func contains(_ point: Point) -> Bool {
        point.x >= minX && point.x <= maxX && point.y >= minY && point.y <= maxY
    }
    /// Whether the two boxes share any point (edges included).
    public func intersects(_ other: BoundingBox) -> Bool {
        minX <= other.maxX && other.minX <= maxX && minY <= other.maxY && other.minY <= maxY
    }
    /// The smallest box holding both.
    public func union(_ other: BoundingBox) -> BoundingBox {
        BoundingBox(
            minX: min(minX, other.minX), minY: min(minY, other.minY),
            maxX: max(maxX, other.maxX), maxY: max(maxY, other.maxY))
    }
    /// This box grown by `margin` on every side.
    public func expanded(by margin: Double) -> BoundingBox {
        BoundingBox(minX: minX - margin, minY: minY - margin, maxX: maxX + margin, maxY: maxY + margin)
    }
}

// MARK: - Polygons

extension Polygon {
    /// Signed area by the shoelace formula, in m²: positive when the vertices run
    /// counter-clockwise (x east, y north).
    public var signedArea: Double {
        guard points.count >= 3 else { return 0 }
        var sum = 0.0
        var previous = points[points.count - 1]
        for p in points {
            sum += previous.x * p.y - p.x * previous.y
            previous = p
        }
        return sum / 2
    }

    /// Area in m², whatever the winding.
    public var area: Double { abs(signedArea) }

    /// The centre of mass of the enclosed area; the vertex mean when the area is zero.
    ///
    /// For a concave polygon it may lie outside; use ``labelPoint`` for a point that is inside.
    public var centroid: Point {
        guard !points.isEmpty else { return Point(0, 0) }
        let a = signedArea
        guard abs(a) > 1e-12 else {
            let n = Double(points.count)
            return Point(points.reduce(0) { $0 + $1.x } / n, points.reduce(0) { $0 + $1.y } / n)
        }
        var cx = 0.0
        var cy = 0.0
        var previous = points[points.count - 1]
        for p in points {
            let f = previous.x * p.y - p.x * previous.y
            cx += (previous.x + p.x) * f
            cy += (previous.y + p.y) * f
            previous = p
        }
        return Point(cx / (6 * a), cy / (6 * a))
    }

    /// The edges in order, the last one closing the ring back to the first vertex.
    public var edges: [(Point, Point)] {
        guard points.count >= 2 else { return [] }
        return points.indices.map { (points[$0], points[($0 + 1) % points.count]) }
    }

    public var boundingBox: BoundingBox { BoundingBox(points: points) }

    /// Whether `point` is inside, by the even-odd rule (a horizontal ray crossing the
    /// boundary an odd number of times).
    ///
    /// A point exactly on the boundary may go either way; callers that care use
    /// ``distance(to:)`` or ``boundaryDistance(to:)`` with a tolerance.
    public func contains(_ point: Point) -> Bool {
        guard points.count >= 3 else { return false }
        var inside = false
        var j = points.count - 1
        for i in points.indices {
            let a = points[i]
            let b = points[j]
            if (a.y > point.y) != (b.y > point.y) {
                let xCross = a.x + (point.y - a.y) / (b.y - a.y) * (b.x - a.x)
                if point.x < xCross { inside.toggle() }
            }
            j = i
        }
        return inside
    }

    /// Whether any two edges meet other than adjacent edges at their shared vertex
    /// (a figure-eight, a bow tie, an edge folding back on the previous one, a vertex
    /// touching another edge). Such a polygon has no well-defined inside.
    public var isSelfIntersecting: Bool {
        let n = points.count
        guard n >= 3 else { return false }
        let e = edges
        for i in 0..<n {
            for j in (i + 1)..<n {
                let adjacent = j == i + 1 || (i == 0 && j == n - 1)
                if adjacent {
                    // Adjacent edges share one vertex; they intersect more than that only if
                    // they are collinear and fold back (a spike), or an edge has no length.
                    let (shared, p, q): (Point, Point, Point) =
                        j == i + 1 ? (e[i].1, e[i].0, e[j].1) : (e[i].0, e[i].1, e[j].0)
                    if p == shared || q == shared { return true }
                    if cross(shared, p, q) == 0 {
                        let dot = (p.x - shared.x) * (q.x - shared.x) + (p.y - shared.y) * (q.y - shared.y)
                        if dot > 0 { return true }
                    }
                    // A triangle's three edges are pairwise adjacent; nothing more to check.
                    continue
                }
                if segmentsIntersect(e[i].0, e[i].1, e[j].0, e[j].1) { return true }
            }
        }
        return false
    }

    /// Whether the two polygons' interiors share some area. Polygons that only touch
    /// (a shared wall, a shared corner) do not overlap; one inside the other does.
    ///
    /// Exact for simple polygons: interiors overlap iff two edges cross properly, or a
    /// point just inside one polygon, next to a piece of its boundary, lies inside the
    /// other (the overlap region is bounded by pieces of at least one of the two boundaries).
    public func overlaps(_ other: Polygon) -> Bool {
        guard points.count >= 3, other.points.count >= 3 else { return false }
        guard boundingBox.intersects(other.boundingBox) else { return false }
        for (a1, a2) in edges {
            for (b1, b2) in other.edges where segmentsCrossProperly(a1, a2, b1, b2) {
                return true
            }
        }
        return boundaryProbeInside(other) || other.boundaryProbeInside(self)
    }

    /// Probes just inside this polygon next to every piece of its boundary (edges split where
    /// the other polygon's vertices touch them) and asks whether `other` contains a probe.
    private func boundaryProbeInside(_ other: Polygon) -> Bool {
        // Inward is left of each edge for a counter-clockwise ring, right for a clockwise one.
        let inward: Double = signedArea >= 0 ? 1 : -1
        for (a, b) in edges {
            let d = b - a
            let length = (d.x * d.x + d.y * d.y).squareRoot()
            guard length > 0 else { continue }
            var cuts: [Double] = [0, 1]
            for v in other.points where v.distance(toSegment: a, b) < 1e-9 {
                let t = ((v.x - a.x) * d.x + (v.y - a.y) * d.y) / (length * length)
                if t > 0 && t < 1 { cuts.append(t) }
            }
            cuts.sort()
            let normal = Point(-d.y / length, d.x / length) * inward
            for k in 0..<(cuts.count - 1) where cuts[k + 1] - cuts[k] > 1e-12 {
                let pieceLength = (cuts[k + 1] - cuts[k]) * length
                // Small against the piece so the probe stays inside near acute corners, and
                // far above floating-point noise so a shared wall reads as touching.
                let offset = min(1e-4, pieceLength * 1e-3)
                let mid = a + d * ((cuts[k] + cuts[k + 1]) / 2)
                let probe = mid + normal * offset
                if other.contains(probe) && other.boundaryDistance(to: probe) > offset / 4 {
                    return true
                }
            }
        }
        return false
    }

    /// The point on the boundary nearest to `point` (inside or outside).
    public func nearestBoundaryPoint(to point: Point) -> Point {
        var best = points.first ?? point
        var bestDistance = Double.infinity
        for (a, b) in edges {
            let candidate = point.nearestPoint(onSegment: a, b)
            let d = candidate.distance(to: point)
            if d < bestDistance {
                bestDistance = d
                best = candidate
            }
        }
        return best
    }

    /// Distance from `point` to the boundary, whether the point is inside or outside.
    public func boundaryDistance(to point: Point) -> Double {
        guard !points.isEmpty else { return .infinity }
        return nearestBoundaryPoint(to: point).distance(to: point)
    }

    /// Distance from `point` to the polygon's area: 0 inside, else to the nearest edge.
    public func distance(to point: Point) -> Double {
        contains(point) ? 0 : boundaryDistance(to: point)
    }

    /// A point guaranteed inside (for labels): the centroid when it is inside, else the
    /// middle of the widest horizontal run through the polygon at mid-height.
    public var labelPoint: Point {
        let c = centroid
        if contains(c) { return c }
        let box = boundingBox
        var bestPoint = c
        var bestWidth = -1.0
        for fraction in [0.5, 0.25, 0.75, 0.1, 0.9] {
            let y = box.minY + box.height * fraction
            var xs: [Double] = []
            for (a, b) in edges where (a.y > y) != (b.y > y) {
                xs.append(a.x + (y - a.y) / (b.y - a.y) * (b.x - a.x))
            }
            xs.sort()
            var i = 0
            while i + 1 < xs.count {
                if xs[i + 1] - xs[i] > bestWidth {
                    bestWidth = xs[i + 1] - xs[i]
                    bestPoint = Point((xs[i] + xs[i + 1]) / 2, y)
                }
                i += 2
            }
        }
        return bestPoint
    }

    /// The polygon split into triangles by ear clipping, each as three vertices.
    ///
    /// Empty when there are fewer than three points; for a self-intersecting polygon the
    /// result covers roughly the right area but is not exact.
    public var triangles: [(Point, Point, Point)] {
        guard points.count >= 3 else { return [] }
        // Work counter-clockwise so an ear is a left turn with no other vertex inside.
        var ring = signedArea >= 0 ? points : points.reversed()
        var result: [(Point, Point, Point)] = []
        var guardCount = 0
        while ring.count > 3 && guardCount < 10 * points.count {
            guardCount += 1
            var clipped = false
            for i in ring.indices {
                let a = ring[(i + ring.count - 1) % ring.count]
                let b = ring[i]
                let c = ring[(i + 1) % ring.count]
                let turn = cross(a, b, c)
                if turn < 0 { continue }
                if turn == 0 {
                    // Collinear vertex: drop it, it adds no area.
                    ring.remove(at: i)
                    clipped = true
                    break
                }
                let blocked = ring.contains { p in
                    p != a && p != b && p != c && cross(a, b, p) >= 0 && cross(b, c, p) >= 0 && cross(c, a, p) >= 0
                }
                if blocked { continue }
                result.append((a, b, c))
                ring.remove(at: i)
                clipped = true
                break
            }
            if !clipped {
                // No ear found (self-intersecting input): fan out the rest so sampling still works.
                for i in 1..<(ring.count - 1) { result.append((ring[0], ring[i], ring[i + 1])) }
                return result
            }
        }
        if ring.count == 3 { result.append((ring[0], ring[1], ring[2])) }
        return result
    }

    /// A uniformly distributed random point inside the polygon.
    ///
    /// Triangulates on every call; when sampling one polygon many times, keep a
    /// ``PolygonSampler``.
    public func randomPoint(using generator: inout some RandomNumberGenerator) -> Point {
        PolygonSampler(self).randomPoint(using: &generator)
    }
}

/// Draws uniformly distributed points inside a polygon, reusing one triangulation.
///
/// Each draw takes exactly three numbers from the generator (triangle, then two
/// barycentric coordinates), so a seeded simulation stays reproducible.
public struct PolygonSampler: Sendable {
    private let triangles: [(Point, Point, Point)]
    /// Running sum of the triangles' areas, for picking one in proportion to its area.
    private let cumulativeAreas: [Double]
    private let fallback: Point

    public init(_ polygon: Polygon) {
        triangles = polygon.triangles
        var sum = 0.0
        cumulativeAreas = triangles.map { t in
            sum += abs(cross(t.0, t.1, t.2)) / 2
            return sum
        }
        fallback = polygon.points.first ?? Point(0, 0)
    }

    public func randomPoint(using generator: inout some RandomNumberGenerator) -> Point {
        let pick = Double.random(in: 0..<1, using: &generator)
        var u = Double.random(in: 0..<1, using: &generator)
        var v = Double.random(in: 0..<1, using: &generator)
        guard let total = cumulativeAreas.last, total > 0 else { return fallback }
        let target = pick * total
        var low = 0
        var high = cumulativeAreas.count - 1
        while low < high {
            let mid = (low + high) / 2
            if cumulativeAreas[mid] > target { high = mid } else { low = mid + 1 }
        }
        if u + v > 1 {
            // Reflect into the triangle: keeps the distribution uniform.
            u = 1 - u
            v = 1 - v
        }
        let (a, b, c) = triangles[low]
        return a + (b - a) * u + (c - a) * v
    }
}
