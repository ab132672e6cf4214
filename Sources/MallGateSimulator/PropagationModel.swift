public import MallGateVenue
#if canImport(Glibc)
internal import Glibc
#endif

/// How strongly each sensor hears a phone at a place: log-distance path loss, store walls
/// and shopfronts crossed, floor slabs, and spatially correlated shadowing per sensor.
///
/// All constants come from the venue's ``RadioEnvironment``. What varies per frame (fast
/// fading) and per phone (transmit power) is added by the simulation on top of
/// ``meanRSSI(sensor:floor:position:)``. Model after Rappaport, *Wireless Communications*,
/// §4.9–4.11 (log-distance path loss with log-normal shadowing, partition losses).
public struct PropagationModel: Sendable {
    public let map: VenueMap
    public let radio: RadioEnvironment
    /// Height of a phone above its floor (in a hand or a pocket), in metres.
    public static let phoneHeight = 1.2
    /// Spacing of the shadowing field's grid, in metres: shadowing decorrelates over a few metres indoors.
    public static let shadowingGridSpacing = 2.0

    let sensorFloor: [Int]
    let sensorPosition: [Point]
    let sensorZ: [Double]
    let fields: [[ShadowField]]  // [sensor][floor]

    /// - Parameters:
    ///   - map: the indexed venue.
    ///   - seed: seeds the shadowing fields (one per sensor and floor).
    public init(map: VenueMap, seed: UInt64) {
        self.map = map
        radio = map.venue.radio
        sensorFloor = map.venue.sensors.map { map.floor(id: $0.floor)! }
        sensorPosition = map.venue.sensors.map(\.position)
        sensorZ = map.venue.sensors.map { map.floors[map.floor(id: $0.floor)!].elevation + $0.height }
        var fields: [[ShadowField]] = []
        for s in map.venue.sensors.indices {
            var perFloor: [ShadowField] = []
            for f in map.floors.indices {
                let boxes = map.zones.indices.filter { map.zoneFloor[$0] == f }.map { map.zones[$0].polygon.boundingBox }
                let box = boxes.dropFirst().reduce(boxes.first ?? BoundingBox(points: [Point(0, 0)])) { $0.union($1) }
                var rng = SimulationRandom(seed: seed, stream: 0x5AD0_0000 &+ UInt64(s) &* 64 &+ UInt64(f))
                perFloor.append(ShadowField(box: box.expanded(by: 4), spacing: PropagationModel.shadowingGridSpacing,
                                            sigma: radio.shadowingSigmaDB, rng: &rng))
            }
            fields.append(perFloor)
        }
        self.fields = fields
    }

    /// Received power at `distance` metres from a typical phone, before walls, slabs and shadowing:
    /// `referencePowerDBm − 10·n·log10(d)` with d ≥ 1 m.
    public func pathLossRSSI(distance: Double) -> Double {
        radio.referencePowerDBm - 10 * radio.pathLossExponent * log10(max(distance, 1))
    }

    /// The loss of the store walls and shopfronts the straight segment `from`–`to` on `floor` crosses.
    public func wallLossDB(floor: Int, from: Point, to: Point) -> Double {
        let box = BoundingBox(points: [from, to])
        var loss = 0.0
        for piece in map.walls[floor] where piece.box.intersects(box) {
            if PropagationModel.crosses(from, to, piece.a, piece.b) { loss += piece.loss }
        }
        return loss
    }

    /// Whether the segment `p`–`q` passes through the wall piece `a`–`b`, counting the
    /// piece half-open (`a` included, `b` not): a line through the point where two pieces
    /// or two edges of a store meet crosses one of them, not both. Running along a wall
    /// (collinear) is not crossing it.
    @inline(__always)
    static func crosses(_ p: Point, _ q: Point, _ a: Point, _ b: Point) -> Bool {
        let rx = q.x - p.x, ry = q.y - p.y
        let sx = b.x - a.x, sy = b.y - a.y
        let denominator = rx * sy - ry * sx
        if abs(denominator) < 1e-12 { return false }
        let wx = a.x - p.x, wy = a.y - p.y
        let t = (wx * sy - wy * sx) / denominator  // along p–q
        let u = (wx * ry - wy * rx) / denominator  // along a–b
        return t >= 0 && t <= 1 && u >= 0 && u < 1
    }

    /// Floor slabs between two floors: the floor surfaces above the lower one, up to and
    /// including the upper one.
    public func slabs(between a: Int, _ b: Int) -> Int {
        let low = min(map.floors[a].elevation, map.floors[b].elevation)
        let high = max(map.floors[a].elevation, map.floors[b].elevation)
        return map.floors.filter { $0.elevation > low && $0.elevation <= high }.count
    }

    /// Walls, shopfronts and slabs between a phone on `floor` at `position` and `sensor`, in dB.
    ///
    /// On one floor the walls along the straight line count. Across floors the line is
    /// followed in 3-D: walls on the phone's floor count up to where it passes the slab
    /// that floor's storey ends at, walls on the sensor's floor from where it enters the
    /// sensor's storey; walls on floors in between are not counted (the slabs dominate).
    public func obstructionDB(sensor: Int, floor: Int, position: Point) -> Double {
        let sf = sensorFloor[sensor]
        let sp = sensorPosition[sensor]
        if sf == floor { return wallLossDB(floor: floor, from: position, to: sp) }
        let zp = map.floors[floor].elevation + PropagationModel.phoneHeight
        let zs = sensorZ[sensor]
        // Storey boundaries: the phone leaves its storey at the slab above (or its own floor
        // surface, going down); the sensor's storey is entered likewise.
        let upward = zs > zp
        let leaveZ = upward ? (floor + 1 < map.floors.count ? map.floors[floor + 1].elevation : zs) : map.floors[floor].elevation
        let enterZ = upward ? map.floors[sf].elevation : (sf + 1 < map.floors.count ? map.floors[sf + 1].elevation : zp)
        let span = zs - zp
        let t1 = abs(span) < 1e-9 ? 0.5 : min(max((leaveZ - zp) / span, 0), 1)
        let t2 = abs(span) < 1e-9 ? 0.5 : min(max((enterZ - zp) / span, 0), 1)
        let exitPoint = position + (sp - position) * t1
        let entryPoint = position + (sp - position) * t2
        return wallLossDB(floor: floor, from: position, to: exitPoint) + wallLossDB(floor: sf, from: entryPoint, to: sp)
            + Double(slabs(between: floor, sf)) * radio.floorLossDB
    }

    /// This sensor's slow fading at a place, in dB (positive: heard louder than the mean).
    public func shadowingDB(sensor: Int, floor: Int, position: Point) -> Double {
        fields[sensor][floor].value(at: position)
    }

    /// 3-D distance from a phone on `floor` at `position` to `sensor`'s antenna, in metres.
    public func distance(sensor: Int, floor: Int, position: Point) -> Double {
        let dx = position.x - sensorPosition[sensor].x
        let dy = position.y - sensorPosition[sensor].y
        let dz = map.floors[floor].elevation + PropagationModel.phoneHeight - sensorZ[sensor]
        return (dx * dx + dy * dy + dz * dz).squareRoot()
    }

    /// The mean received power at `sensor` of a typical phone on `floor` at `position`, in dBm,
    /// before the phone's own transmit offset, fast fading and the sensor's RSSI offset.
    public func meanRSSI(sensor: Int, floor: Int, position: Point) -> Double {
        pathLossRSSI(distance: distance(sensor: sensor, floor: floor, position: position))
            - obstructionDB(sensor: sensor, floor: floor, position: position)
            + shadowingDB(sensor: sensor, floor: floor, position: position)
    }
}

/// A Gaussian random field on a regular grid, smoothed so that nearby points fade alike,
/// scaled to a standard deviation of `sigma` dB and read by bilinear interpolation.
struct ShadowField: Sendable {
    let originX: Double
    let originY: Double
    let spacing: Double
    let nx: Int
    let ny: Int
    let values: [Float]

    init(box: BoundingBox, spacing: Double, sigma: Double, rng: inout SimulationRandom) {
        originX = box.minX
        originY = box.minY
        self.spacing = spacing
        nx = max(2, Int((box.width / spacing).rounded(.up)) + 1)
        ny = max(2, Int((box.height / spacing).rounded(.up)) + 1)
        var v = (0..<(nx * ny)).map { _ in rng.gaussian() }
        // Two passes of a [1 2 1]/4 kernel in x and y: correlation over about two cells (~4 m).
        for _ in 0..<2 {
            var w = v
            for y in 0..<ny {
                for x in 0..<nx {
                    let l = v[y * nx + max(x - 1, 0)], r = v[y * nx + min(x + 1, nx - 1)]
                    w[y * nx + x] = (l + 2 * v[y * nx + x] + r) / 4
                }
            }
            for y in 0..<ny {
                for x in 0..<nx {
                    let d = w[max(y - 1, 0) * nx + x], u = w[min(y + 1, ny - 1) * nx + x]
                    v[y * nx + x] = (d + 2 * w[y * nx + x] + u) / 4
                }
            }
        }
        let mean = v.reduce(0, +) / Double(v.count)
        let sd = (v.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(v.count)).squareRoot()
        values = v.map { Float(($0 - mean) / max(sd, 1e-9) * sigma) }
    }

    func value(at p: Point) -> Double {
        let gx = min(max((p.x - originX) / spacing, 0), Double(nx - 1) - 1e-9)
        let gy = min(max((p.y - originY) / spacing, 0), Double(ny - 1) - 1e-9)
        let x0 = Int(gx), y0 = Int(gy)
        let fx = gx - Double(x0), fy = gy - Double(y0)
        let i = y0 * nx + x0
        let a = Double(values[i]), b = Double(values[i + 1])
        let c = Double(values[i + nx]), d = Double(values[i + nx + 1])
        return (a * (1 - fx) + b * fx) * (1 - fy) + (c * (1 - fx) + d * fx) * fy
    }
}

/// Walls, slabs and shadowing per sensor, precomputed on a 1 m grid inside every zone, so
/// the hot path only adds path loss: `static[sensor][zone cell]`.
///
/// Cells are per zone (a cell near a shopfront holds the value for the side the zone is
/// on), their value taken at the cell centre or, for cells the zone only partly covers, at
/// the nearest point inside the zone.
struct StaticLossTable: Sendable {
    static let cellSize = 1.0
    struct ZoneGrid: Sendable {
        var originX: Double
        var originY: Double
        var nx: Int
        var ny: Int
        var offset: Int
    }
    let grids: [ZoneGrid]
    let cellCount: Int
    /// [sensor][offset + cell]: obstruction minus shadowing, dB.
    let loss: [[Float]]

    init(model: PropagationModel, parallel: Bool) {
        let map = model.map
        var grids: [ZoneGrid] = []
        var points: [(zone: Int, point: Point)] = []
        for (z, zone) in map.zones.enumerated() {
            let box = zone.polygon.boundingBox
            let nx = max(1, Int((box.width / StaticLossTable.cellSize).rounded(.up)))
            let ny = max(1, Int((box.height / StaticLossTable.cellSize).rounded(.up)))
            grids.append(ZoneGrid(originX: box.minX, originY: box.minY, nx: nx, ny: ny, offset: points.count))
            for y in 0..<ny {
                for x in 0..<nx {
                    var p = Point(box.minX + (Double(x) + 0.5) * StaticLossTable.cellSize,
                                  box.minY + (Double(y) + 0.5) * StaticLossTable.cellSize)
                    if !zone.polygon.contains(p) {
                        let edge = zone.polygon.nearestBoundaryPoint(to: p)
                        let toward = map.anchors[z] - edge
                        let length = max((toward.x * toward.x + toward.y * toward.y).squareRoot(), 1e-9)
                        p = edge + toward * (0.05 / length)
                    }
                    points.append((z, p))
                }
            }
        }
        self.grids = grids
        cellCount = points.count
        let sensorCount = map.venue.sensors.count
        let table = ResultSlots<[Float]>(count: sensorCount)
        let cells = points
        let work: @Sendable (Int) -> Void = { s in
            var row = [Float](repeating: 0, count: cells.count)
            for (i, c) in cells.enumerated() {
                let f = map.zoneFloor[c.zone]
                row[i] = Float(model.obstructionDB(sensor: s, floor: f, position: c.point)
                               - model.shadowingDB(sensor: s, floor: f, position: c.point))
            }
            table.set(s, row)
        }
        if parallel { concurrentPerform(iterations: sensorCount, work) } else { (0..<sensorCount).forEach(work) }
        loss = table.values()
    }

    /// The cell of `zone`'s grid holding `position` (clamped to the grid).
    @inline(__always)
    func cell(zone: Int, position: Point) -> Int {
        let g = grids[zone]
        let x = min(max(Int((position.x - g.originX) / StaticLossTable.cellSize), 0), g.nx - 1)
        let y = min(max(Int((position.y - g.originY) / StaticLossTable.cellSize), 0), g.ny - 1)
        return g.offset + y * g.nx + x
    }
}
