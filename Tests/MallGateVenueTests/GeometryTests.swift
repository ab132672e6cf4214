import Testing
@testable import MallGateVenue

/// A 10 × 4 rectangle, counter-clockwise, corner at the origin.
private let rectangle = Polygon([Point(0, 0), Point(10, 0), Point(10, 4), Point(0, 4)])
/// An L shape (20 m², computed by hand below), clockwise, concave at (2, 2).
private let lShape = Polygon([Point(0, 0), Point(0, 6), Point(2, 6), Point(2, 2), Point(6, 2), Point(6, 0)])

@Test func areaIsShoelaceWhateverTheWinding() {
    #expect(rectangle.area == 40)
    #expect(rectangle.signedArea == 40)
    // L: 6×2 (bottom bar) + 2×4 (upright above it) = 12 + 8 = 20; listed clockwise.
    #expect(lShape.area == 20)
    #expect(lShape.signedArea == -20)
    #expect(Polygon([Point(0, 0), Point(1, 1)]).area == 0)
}

@Test func centroidOfRectangleAndL() {
    #expect(rectangle.centroid == Point(5, 2))
    // L = bar (6×2, centre (3,1), 12 m²) + upright (2×4, centre (1,4), 8 m²):
    // x = (3·12 + 1·8)/20 = 2.2, y = (1·12 + 4·8)/20 = 2.2.
    let c = lShape.centroid
    #expect(abs(c.x - 2.2) < 1e-12 && abs(c.y - 2.2) < 1e-12)
}

@Test func containsByEvenOdd() {
    #expect(rectangle.contains(Point(5, 2)))
    #expect(!rectangle.contains(Point(11, 2)))
    #expect(!rectangle.contains(Point(5, -0.1)))
    #expect(lShape.contains(Point(1, 5)))
    #expect(lShape.contains(Point(5, 1)))
    // The notch of the L.
    #expect(!lShape.contains(Point(4, 4)))
}

@Test func edgesCloseTheRing() {
    let edges = rectangle.edges
    #expect(edges.count == 4)
    #expect(edges[3].0 == Point(0, 4) && edges[3].1 == Point(0, 0))
}

@Test func boundingBoxOfL() {
    #expect(lShape.boundingBox == BoundingBox(minX: 0, minY: 0, maxX: 6, maxY: 6))
}

@Test func selfIntersectionFindsBowTiesAndSpikes() {
    #expect(!rectangle.isSelfIntersecting)
    #expect(!lShape.isSelfIntersecting)
    #expect(!Polygon([Point(0, 0), Point(1, 0), Point(0, 1)]).isSelfIntersecting)
    // Bow tie: edges (0,0)-(4,4) and (4,0)-(0,4) cross at (2,2).
    #expect(Polygon([Point(0, 0), Point(4, 4), Point(4, 0), Point(0, 4)]).isSelfIntersecting)
    // Spike: from (4,0) back along the same line to (2,0).
    #expect(Polygon([Point(0, 0), Point(4, 0), Point(2, 0), Point(2, 3)]).isSelfIntersecting)
    // Vertex (2,0) touching the non-adjacent edge (0,0)-(4,0).
    #expect(Polygon([Point(0, 0), Point(4, 0), Point(4, 4), Point(2, 0.0), Point(0, 4)]).isSelfIntersecting)
    // A repeated vertex.
    #expect(Polygon([Point(0, 0), Point(4, 0), Point(4, 0), Point(0, 4)]).isSelfIntersecting)
}

@Test func overlapNeedsSharedArea() {
    let right = Polygon([Point(10, 0), Point(20, 0), Point(20, 4), Point(10, 4)])
    let corner = Polygon([Point(10, 4), Point(12, 4), Point(12, 6), Point(10, 6)])
    let shifted = Polygon([Point(9, 1), Point(19, 1), Point(19, 5), Point(9, 5)])
    let inner = Polygon([Point(1, 1), Point(2, 1), Point(2, 2), Point(1, 2)])
    let halfOnEdge = Polygon([Point(2, 0), Point(4, 0), Point(4, 2), Point(2, 2)])
    // Shared wall, shared corner: touching only.
    #expect(!rectangle.overlaps(right))
    #expect(!right.overlaps(rectangle))
    #expect(!rectangle.overlaps(corner))
    #expect(rectangle.overlaps(shifted))
    #expect(rectangle.overlaps(inner) && inner.overlaps(rectangle))
    // Identical polygons, and one inside another sharing part of an edge: no edge crosses properly.
    #expect(rectangle.overlaps(rectangle))
    #expect(rectangle.overlaps(halfOnEdge) && halfOnEdge.overlaps(rectangle))
    // In the notch of the L, touching both its inner walls.
    #expect(!lShape.overlaps(Polygon([Point(2, 2), Point(6, 2), Point(6, 6), Point(2, 6)])))
    #expect(!rectangle.overlaps(Polygon([Point(30, 30), Point(31, 30), Point(31, 31)])))
}

@Test func segmentPredicates() {
    #expect(segmentsIntersect(Point(0, 0), Point(4, 4), Point(0, 4), Point(4, 0)))
    #expect(segmentIntersection(Point(0, 0), Point(4, 4), Point(0, 4), Point(4, 0)) == Point(2, 2))
    // Touching at an end.
    #expect(segmentsIntersect(Point(0, 0), Point(2, 0), Point(2, 0), Point(2, 5)))
    #expect(segmentIntersection(Point(0, 0), Point(2, 0), Point(2, 0), Point(2, 5)) == Point(2, 0))
    // Parallel, apart.
    #expect(!segmentsIntersect(Point(0, 0), Point(2, 0), Point(0, 1), Point(2, 1)))
    #expect(segmentIntersection(Point(0, 0), Point(2, 0), Point(0, 1), Point(2, 1)) == nil)
    // Collinear, disjoint; collinear overlapping from x=1 to x=2.
    #expect(!segmentsIntersect(Point(0, 0), Point(1, 0), Point(2, 0), Point(3, 0)))
    #expect(segmentIntersection(Point(0, 0), Point(2, 0), Point(1, 0), Point(3, 0)) == Point(1, 0))
    // Would cross if extended, do not.
    #expect(!segmentsIntersect(Point(0, 0), Point(1, 1), Point(3, 0), Point(2, 1)))
}

@Test func distancesAndNearestBoundary() {
    #expect(Point(0, 0).distance(to: Point(3, 4)) == 5)
    #expect(rectangle.distance(to: Point(5, 2)) == 0)
    #expect(rectangle.distance(to: Point(13, 8)) == 5)  // from corner (10,4): 3-4-5
    #expect(rectangle.distance(to: Point(5, -2)) == 2)
    #expect(rectangle.nearestBoundaryPoint(to: Point(5, 1)) == Point(5, 0))
    #expect(rectangle.boundaryDistance(to: Point(5, 1)) == 1)
    #expect(lShape.nearestBoundaryPoint(to: Point(5, 4)) == Point(5, 2))  // 2 m down, not 3 m left
}

@Test func labelPointIsInsideConcavePolygons() {
    // A U whose centroid (in the gap) is outside.
    let u = Polygon([
        Point(0, 0), Point(10, 0), Point(10, 10), Point(8, 10), Point(8, 2), Point(2, 2), Point(2, 10), Point(0, 10),
    ])
    #expect(!u.contains(u.centroid))
    #expect(u.contains(u.labelPoint))
    #expect(rectangle.labelPoint == Point(5, 2))
}

/// A fixed-sequence generator (SplitMix64) so sampling tests are reproducible.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Test func triangulationCoversTheArea() {
    for polygon in [rectangle, lShape] {
        let total = polygon.triangles.reduce(0.0) { $0 + Polygon([$1.0, $1.1, $1.2]).area }
        #expect(abs(total - polygon.area) < 1e-9)
        #expect(polygon.triangles.count == polygon.points.count - 2)
    }
}

@Test func randomPointsAreInsideAndSpreadByArea() {
    var generator = SplitMix64(state: 42)
    let sampler = PolygonSampler(lShape)
    var inBar = 0
    let draws = 4000
    for _ in 0..<draws {
        let p = sampler.randomPoint(using: &generator)
        #expect(lShape.distance(to: p) < 1e-9)
        if p.y < 2 { inBar += 1 }
    }
    // The bar is 12 of the L's 20 m²: expect 60 % of the points, ±4 % (≈ 5 σ at n = 4000).
    let share = Double(inBar) / Double(draws)
    #expect(abs(share - 0.6) < 0.04, "share in the bar: \(share)")
    let p = rectangle.randomPoint(using: &generator)
    #expect(rectangle.contains(p))
}
