internal import MallGateVenue

/// Who is in the venue during a simulation.
public enum Role: String, Sendable {
    case visitor
    case staff
    case technician
}

/// One person's phone: its model, whether it randomizes its MAC, its burned-in MAC and
/// how much louder or quieter than a typical phone it transmits.
public struct PhoneUnit: Sendable {
    public var model: Int
    public var randomizes: Bool
    public var globalMAC: UInt64
    public var txOffsetDB: Double
    /// Remembered network names it sometimes probes for (indices into the SSID list).
    var directed: (Int8, Int8)
}

/// A person: where they go and what they carry.
public struct Person: Sendable {
    /// `v0001`, `s01`, `tech`: the device column of the truth files.
    public var id: String
    public var role: Role
    public var trajectory: Trajectory
    /// Nil when the person carries no phone.
    public var phone: PhoneUnit?
    /// Whether the phone's Wi-Fi is on (it probes).
    public var wifiOn: Bool
    public var probes: Bool { phone != nil && wifiOn }
}

/// One line of the technician's labels file: standing in `zone` from `start` to `end`
/// (seconds since the simulation start).
public struct CalibrationLabel: Sendable {
    public var mac: UInt64
    public var start: Double
    public var end: Double
    public var zone: Int
}

/// The people of one run and the technician's labels.
public struct Crowd: Sendable {
    public var people: [Person]
    public var labels: [CalibrationLabel]
}

/// Generates the crowd: visitors, staff and the calibration technician, each from its own
/// random stream so adding a visitor does not change the others.
struct CrowdGenerator {
    let map: VenueMap
    let router: Router
    let configuration: SimulationConfiguration

    var stores: [Int] { map.zones.indices.filter { map.zones[$0].kind == .store } }

    func generate() -> Crowd {
        var people: [Person] = []
        let entrances = map.zones.indices.filter { map.zones[$0].kind == .entrance }
        let walkwayFallback = map.zones.indices.filter { map.zones[$0].kind == .corridor }
        // Without entrances people appear in the walkways (or anywhere, in a venue of stores only).
        let doors = !entrances.isEmpty ? entrances : !walkwayFallback.isEmpty ? walkwayFallback : Array(map.zones.indices)
        let stores = self.stores
        let storeWeights = stores.map { map.zones[$0].polygon.area.squareRoot() }
        let areas = map.zones.indices.filter { map.zones[$0].kind == .area }
        let seed = configuration.seed
        let digits = String(max(configuration.visitors, 1)).count
        for i in 0..<configuration.visitors {
            var rng = SimulationRandom(seed: seed, stream: 0x1_0000_0000 &+ UInt64(i))
            let number = String(i + 1)
            let id = "v" + String(repeating: "0", count: max(0, digits - number.count)) + number
            let trajectory = visitor(rng: &rng, doors: doors, stores: stores, storeWeights: storeWeights, areas: areas)
            people.append(makePerson(id: id, role: .visitor, trajectory: trajectory, rng: &rng))
        }
        for i in 0..<(stores.isEmpty ? 0 : configuration.staff) {
            var rng = SimulationRandom(seed: seed, stream: 0x2_0000_0000 &+ UInt64(i))
            let store = stores[Int(rng.next() % UInt64(stores.count))]
            var walker = Walker(map: map, router: router, time: 0, zone: store,
                                point: map.samplers[store].randomPoint(using: &rng), speed: rng.uniform(0.6, 1.0))
            while walker.time < configuration.duration {
                walker.stand(min(rng.uniform(60, 600), configuration.duration - walker.time))
                if walker.time < configuration.duration { walker.walkInside(to: map.samplers[store].randomPoint(using: &rng)) }
            }
            let number = String(i + 1)
            people.append(makePerson(id: "s" + (number.count < 2 ? "0" : "") + number, role: .staff, trajectory: walker.trajectory, rng: &rng))
        }
        var labels: [CalibrationLabel] = []
        if configuration.calibrationWalk, let start = doors.first {
            var rng = SimulationRandom(seed: seed, stream: 0x3_0000_0000)
            let (trajectory, spots) = technician(rng: &rng, start: start)
            labels = spots.map { CalibrationLabel(mac: configuration.calibration.mac, start: $0.start, end: $0.end, zone: $0.zone) }
            let models = configuration.phones.models
            let model = models.firstIndex { $0.name == "samsung-s22" } ?? 0
            people.append(Person(
                id: "tech", role: .technician, trajectory: trajectory,
                phone: PhoneUnit(model: model, randomizes: false, globalMAC: configuration.calibration.mac, txOffsetDB: 0, directed: (-1, -1)),
                wifiOn: true))
        }
        return Crowd(people: people, labels: labels)
    }

    private func makePerson(id: String, role: Role, trajectory: Trajectory, rng: inout SimulationRandom) -> Person {
        let crowd = configuration.crowd
        let phones = configuration.phones
        let hasPhone = !rng.chance(crowd.noPhoneShare)
        let wifiOn = !rng.chance(crowd.wifiOffShare)
        let modelIndex = rng.weightedIndex(phones.models.map(\.weight))
        let model = phones.models[modelIndex]
        let oui = model.ouis[Int(rng.next() % UInt64(model.ouis.count))]
        let offset = min(max(rng.gaussian() * phones.txOffsetSigmaDB, -phones.txOffsetLimitDB), phones.txOffsetLimitDB)
            + phones.txOffsetMeanDB
        let ssidCount = UInt64(PhoneModel.directedSSIDs.count)
        let phone = PhoneUnit(
            model: modelIndex, randomizes: rng.chance(model.randomizedShare),
            globalMAC: UInt64(oui) << 24 | (rng.next() & 0xFF_FFFF), txOffsetDB: offset,
            directed: (Int8(rng.next() % ssidCount), Int8(rng.next() % ssidCount)))
        return Person(id: id, role: role, trajectory: trajectory, phone: hasPhone ? phone : nil, wifiOn: hasPhone && wifiOn)
    }

    /// A point in `zone` at least `margin` metres from its boundary when one can be found
    /// (people stand away from walls; technicians do so on purpose).
    private func pointInside(_ zone: Int, margin: Double, rng: inout SimulationRandom) -> Point {
        var p = map.samplers[zone].randomPoint(using: &rng)
        for _ in 0..<20 where map.zones[zone].polygon.boundaryDistance(to: p) < margin {
            p = map.samplers[zone].randomPoint(using: &rng)
        }
        return p
    }

    private func visitor(rng: inout SimulationRandom, doors: [Int], stores: [Int], storeWeights: [Double], areas: [Int]) -> Trajectory {
        let crowd = configuration.crowd
        let arrival = rng.uniform(0, configuration.duration)
        let entry = doors[Int(rng.next() % UInt64(doors.count))]
        var walker = Walker(map: map, router: router, time: arrival, zone: entry,
                            point: pointInside(entry, margin: 0.5, rng: &rng),
                            speed: rng.uniform(crowd.speed.lowerBound, crowd.speed.upperBound))
        walker.stand(rng.uniform(0.5, 3))
        var exit = entry
        if stores.isEmpty || rng.chance(crowd.passThroughShare) {
            if doors.count > 1 {
                while exit == entry { exit = doors[Int(rng.next() % UInt64(doors.count))] }
            } else {
                // One way in and out: walk to some point of the walkways and come back.
                let walkways = map.zones.indices.filter { map.zones[$0].kind == .corridor || map.zones[$0].kind == .area }
                if !walkways.isEmpty {
                    let turn = walkways[Int(rng.next() % UInt64(walkways.count))]
                    walker.go(to: turn, pointInside(turn, margin: 0.5, rng: &rng), rng: &rng)
                }
            }
        } else {
            var count = 1
            while count < min(crowd.maxStores, stores.count) && rng.chance(crowd.extraStoresMean / (1 + crowd.extraStoresMean)) {
                count += 1
            }
            var remaining = Array(stores.indices)
            var chosen: [Int] = []
            for _ in 0..<count {
                let pick = rng.weightedIndex(remaining.map { storeWeights[$0] })
                chosen.append(stores[remaining.remove(at: pick)])
            }
            // Visit in a sensible order: nearest next, other floors cost extra.
            var order: [Int] = []
            var here = (floor: map.zoneFloor[entry], point: walker.point)
            while !chosen.isEmpty {
                let costs = chosen.map { z in
                    map.anchors[z].distance(to: here.point) + (map.zoneFloor[z] == here.floor ? 0 : 60)
                }
                let k = costs.indices.min { costs[$0] < costs[$1] }!
                let z = chosen.remove(at: k)
                order.append(z)
                here = (map.zoneFloor[z], map.anchors[z])
            }
            var areaStopAt = -1
            if !areas.isEmpty && rng.chance(crowd.areaStopShare) { areaStopAt = Int(rng.next() % UInt64(order.count + 1)) }
            for (k, store) in order.enumerated() {
                if k == areaStopAt { areaStop(&walker, areas: areas, rng: &rng) }
                if rng.chance(crowd.windowShoppingShare) { windowShop(&walker, stores: stores, rng: &rng) }
                guard walker.go(to: store, pointInside(store, margin: 0.8, rng: &rng), rng: &rng) else { continue }
                let dwell = min(max(rng.logNormal(median: crowd.dwellMedian, sigma: crowd.dwellSigma), crowd.dwellRange.lowerBound),
                                crowd.dwellRange.upperBound)
                let leaveAt = walker.time + dwell
                while walker.time < leaveAt - 5 {
                    walker.stand(min(rng.uniform(crowd.browsePause.lowerBound, crowd.browsePause.upperBound), leaveAt - walker.time))
                    if walker.time < leaveAt - 5 { walker.walkInside(to: pointInside(store, margin: 0.5, rng: &rng)) }
                }
            }
            if areaStopAt == order.count { areaStop(&walker, areas: areas, rng: &rng) }
            if doors.count > 1 && rng.chance(0.4) { exit = doors[Int(rng.next() % UInt64(doors.count))] }
        }
        walker.go(to: exit, pointInside(exit, margin: 0.5, rng: &rng), rng: &rng)
        walker.stand(rng.uniform(0.5, 2))
        return walker.trajectory
    }

    private func areaStop(_ walker: inout Walker, areas: [Int], rng: inout SimulationRandom) {
        let area = areas[Int(rng.next() % UInt64(areas.count))]
        guard walker.go(to: area, pointInside(area, margin: 1, rng: &rng), rng: &rng) else { return }
        walker.stand(rng.uniform(configuration.crowd.areaStop.lowerBound, configuration.crowd.areaStop.upperBound))
    }

    /// Stops for a moment in the walkway outside a store's door, looking at the window.
    private func windowShop(_ walker: inout Walker, stores: [Int], rng: inout SimulationRandom) {
        let store = stores[Int(rng.next() % UInt64(stores.count))]
        let sides = map.zonePortals[store].filter { map.portals[$0.portal].kind == .door }
        guard let side = sides.first else { return }
        let portal = map.portals[side.portal]
        let outsideZone = side.side == 0 ? portal.zones.1 : portal.zones.0
        guard map.zones[outsideZone].kind != .store else { return }
        let door = portal.points.0
        let toward = map.anchors[outsideZone] - door
        let length = max((toward.x * toward.x + toward.y * toward.y).squareRoot(), 1e-9)
        var spot = door + toward * (min(2.0, length * 0.8) / length)
        if !map.zones[outsideZone].polygon.contains(spot) { spot = map.anchors[outsideZone] }
        guard walker.go(to: outsideZone, spot, rng: &rng) else { return }
        walker.stand(rng.uniform(10, 40))
    }

    /// The calibration walk: every store, corridor segment, entrance and open area, floor by
    /// floor, nearest next; a few spots per zone, standing still at each.
    private func technician(rng: inout SimulationRandom, start: Int) -> (Trajectory, [(zone: Int, start: Double, end: Double)]) {
        let settings = configuration.calibration
        var walker = Walker(map: map, router: router, time: 0, zone: start, point: map.anchors[start], speed: 1.2)
        var spots: [(zone: Int, start: Double, end: Double)] = []
        let kinds: Set<ZoneKind> = [.store, .corridor, .entrance, .area]
        for floor in map.floors.indices {
            var todo = map.zones.indices.filter { map.zoneFloor[$0] == floor && kinds.contains(map.zones[$0].kind) }
            while !todo.isEmpty {
                let here = walker.point
                let onFloor = map.zoneFloor[walker.zone] == floor
                let k = todo.indices.min {
                    onFloor ? map.anchors[todo[$0]].distance(to: here) < map.anchors[todo[$1]].distance(to: here) : $0 < $1
                }!
                let zone = todo.remove(at: k)
                let area = map.zones[zone].polygon.area
                let count = min(max(Int((area / settings.squareMetresPerSpot).rounded()), settings.minSpots), settings.maxSpots)
                for _ in 0..<count {
                    guard walker.go(to: zone, pointInside(zone, margin: 1.0, rng: &rng), rng: &rng) else { break }
                    let arrived = walker.time
                    walker.stand(settings.standSeconds)
                    spots.append((zone, arrived + settings.labelMargin, walker.time - settings.labelMargin))
                }
                // A walking line: slowly to random points of the zone, close to its walls and
                // shopfronts too (where visitors stand and standing spots never are), one label.
                if settings.lineSeconds > 0, walker.go(to: zone, pointInside(zone, margin: 0.5, rng: &rng), rng: &rng) {
                    let began = walker.time
                    let pace = walker.speed
                    walker.speed = settings.lineSpeed
                    while walker.time < began + settings.lineSeconds {
                        walker.walkInside(to: pointInside(zone, margin: 0.5, rng: &rng))
                    }
                    walker.speed = pace
                    spots.append((zone, began + settings.labelMargin, walker.time - settings.labelMargin))
                }
            }
        }
        if let exit = map.zones.indices.first(where: { map.zones[$0].kind == .entrance }) {
            walker.go(to: exit, map.anchors[exit], rng: &rng)
        }
        return (walker.trajectory, spots)
    }
}
