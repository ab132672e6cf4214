internal import Glibc

/// One problem found in a venue: how bad, a stable code, where, and what to do.
public struct VenueIssue: Sendable, Equatable, CustomStringConvertible {
    public enum Severity: String, Sendable {
        /// The venue cannot be used as is.
        case error
        /// Works, but probably not what the operator meant.
        case warning
    }

    /// A stable identifier for scripts and docs (docs/venue-format.md lists them all).
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        public static let duplicateID = Code(rawValue: "duplicate-id")
        public static let invalidID = Code(rawValue: "invalid-id")
        public static let duplicateFloorIndex = Code(rawValue: "duplicate-floor-index")
        public static let unknownFloor = Code(rawValue: "unknown-floor")
        public static let unknownZone = Code(rawValue: "unknown-zone")
        public static let tooFewPoints = Code(rawValue: "too-few-points")
        public static let selfIntersecting = Code(rawValue: "self-intersecting")
        public static let overlappingStores = Code(rawValue: "overlapping-stores")
        public static let overlappingZones = Code(rawValue: "overlapping-zones")
        public static let storeWithoutDoor = Code(rawValue: "store-without-door")
        public static let noEntrance = Code(rawValue: "no-entrance")
        public static let unreachableZone = Code(rawValue: "unreachable-zone")
        public static let badConnection = Code(rawValue: "bad-connection")
        public static let doorWithoutPosition = Code(rawValue: "door-without-position")
        public static let doorOffBoundary = Code(rawValue: "door-off-boundary")
        public static let sensorOutsideFloor = Code(rawValue: "sensor-outside-floor")
        public static let sensorOutOfRange = Code(rawValue: "sensor-out-of-range")
        public static let zoneUnheard = Code(rawValue: "zone-unheard")
        public static let noSensors = Code(rawValue: "no-sensors")
        public static let badChannelPlan = Code(rawValue: "bad-channel-plan")
        public static let badSensorInput = Code(rawValue: "bad-sensor-input")
    }

    public var severity: Severity
    public var code: Code
    /// Key path of the offending value in the file (`zones[12]`, `sensors[3].channels`).
    public var path: String
    /// The ids involved (the zone, both overlapping stores, …).
    public var ids: [String]
    /// One or two sentences: what is wrong and what to do.
    public var message: String
    /// Line in the venue file, when the venue was loaded with a ``SourceLocator``.
    public var line: Int?

    public init(_ severity: Severity, _ code: Code, path: String, ids: [String], message: String, line: Int? = nil) {
        self.severity = severity
        self.code = code
        self.path = path
        self.ids = ids
        self.message = message
        self.line = line
    }

    /// `FILE:LINE: error: path: message [code]`, the shape compilers use.
    public func formatted(file: String) -> String {
        "\(file):\(line.map(String.init) ?? "1"): \(severity.rawValue): \(path): \(message) [\(code.rawValue)]"
    }

    public var description: String { "\(severity.rawValue): \(path): \(message) [\(code.rawValue)]" }
}

/// Checks a venue for the mistakes that would make localization or simulation wrong.
///
/// The same checks run in `mallgate venue validate` and when the agent starts; errors
/// stop the agent, warnings are printed. Codes and their meaning: docs/venue-format.md.
public enum VenueValidator {
    /// Max distance, in metres, between a door's `at` and each zone's boundary.
    public static let doorTolerance = 1.0
    /// Height of a phone above its floor, in metres, for the reachability estimate.
    public static let phoneHeight = 1.2

    /// All issues, errors first, each group in file order.
    /// - Parameter locator: when given, each issue gets the line of its path.
    public static func validate(_ venue: Venue, locator: SourceLocator? = nil) -> [VenueIssue] {
        var checker = Checker(venue: venue)
        checker.run()
        var issues = checker.issues
        if let locator {
            for i in issues.indices { issues[i].line = locator.line(for: issues[i].path) }
        }
        // Stable: errors before warnings, otherwise in the order found (file order).
        let errors = issues.filter { $0.severity == .error }
        let warnings = issues.filter { $0.severity == .warning }
        return errors + warnings
    }

    /// Predicted RSSI, in dBm, of a phone `distance` metres away horizontally from a sensor
    /// at `height`, with the venue's log-distance model and no walls: the most a sensor can
    /// hear from there.
    public static func predictedRSSI(horizontalDistance distance: Double, sensorHeight height: Double, radio: RadioEnvironment) -> Double {
        let dz = height - phoneHeight
        let d = max(1, (distance * distance + dz * dz).squareRoot())
        return radio.referencePowerDBm - 10 * radio.pathLossExponent * log10(d)
    }
}

private struct Checker {
    let venue: Venue
    var issues: [VenueIssue] = []

    init(venue: Venue) { self.venue = venue }

    mutating func add(_ severity: VenueIssue.Severity, _ code: VenueIssue.Code, _ path: String, _ ids: [String], _ message: String) {
        issues.append(VenueIssue(severity, code, path: path, ids: ids, message: message))
    }

    mutating func run() {
        checkIDs()
        checkFloors()
        checkPolygons()
        checkConnections()
        checkOverlaps()
        checkDoorsAndReachability()
        checkSensors()
    }

    // MARK: ids

    /// One namespace for floors, zones and sensors: an id names one thing in every
    /// report, log line, model file and SVG of the venue.
    mutating func checkIDs() {
        var seen: [String: String] = [:]
        func visit(_ checker: inout Checker, _ id: String, _ path: String) {
            if let first = seen[id] {
                checker.add(
                    .error, .duplicateID, path, [id],
                    "the id \"\(id)\" is already used by \(first); floors, zones and sensors share one namespace, so give this one another id")
            } else {
                seen[id] = path
            }
            let allowed = !id.isEmpty && id.utf8.count <= 64
                && id.unicodeScalars.allSatisfy { ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) || "-_.".unicodeScalars.contains($0) }
            if !allowed {
                checker.add(
                    .error, .invalidID, path, [id],
                    "the id \(jsonQuoted(id)) is not usable; ids are 1–64 characters of A–Z, a–z, 0–9, '-', '_' and '.' (they end up in file names and reports)")
            }
        }
        for (i, floor) in venue.floors.enumerated() { visit(&self, floor.id, "floors[\(i)]") }
        for (i, zone) in venue.zones.enumerated() { visit(&self, zone.id, "zones[\(i)]") }
        for (i, sensor) in venue.sensors.enumerated() { visit(&self, sensor.id, "sensors[\(i)]") }
    }

    // MARK: floors and polygons

    mutating func checkFloors() {
        var byIndex: [Int: String] = [:]
        for (i, floor) in venue.floors.enumerated() {
            if let other = byIndex[floor.index] {
                add(.error, .duplicateFloorIndex, "floors[\(i)].index", [floor.id, other],
                    "floors \"\(other)\" and \"\(floor.id)\" both have index \(floor.index); give each storey its own index (0 ground, 1 first, -1 basement)")
            } else {
                byIndex[floor.index] = floor.id
            }
        }
        let floorIDs = Set(venue.floors.map(\.id))
        for (i, zone) in venue.zones.enumerated() where !floorIDs.contains(zone.floor) {
            add(.error, .unknownFloor, "zones[\(i)].floor", [zone.id, zone.floor],
                "zone \"\(zone.id)\" is on floor \"\(zone.floor)\", which is not in \"floors\"; use one of: \(venue.floors.map(\.id).joined(separator: ", "))")
        }
        for (i, sensor) in venue.sensors.enumerated() where !floorIDs.contains(sensor.floor) {
            add(.error, .unknownFloor, "sensors[\(i)].floor", [sensor.id, sensor.floor],
                "sensor \"\(sensor.id)\" is on floor \"\(sensor.floor)\", which is not in \"floors\"; use one of: \(venue.floors.map(\.id).joined(separator: ", "))")
        }
    }

    /// Whether a polygon is usable for geometry; reports why not.
    mutating func checkPolygon(_ polygon: Polygon, path: String, id: String, what: String) {
        if polygon.points.count < 3 {
            add(.error, .tooFewPoints, path, [id],
                "the \(what) of \"\(id)\" has \(polygon.points.count) point\(polygon.points.count == 1 ? "" : "s"); a polygon needs at least 3 [x, y] points in order around its edge")
        } else if polygon.isSelfIntersecting {
            add(.error, .selfIntersecting, path, [id],
                "the \(what) of \"\(id)\" crosses or touches itself; list its corners in order around the edge, without repeating a corner")
        }
    }

    mutating func checkPolygons() {
        for (i, floor) in venue.floors.enumerated() {
            if let outline = floor.outline { checkPolygon(outline, path: "floors[\(i)].outline", id: floor.id, what: "outline") }
        }
        for (i, zone) in venue.zones.enumerated() { checkPolygon(zone.polygon, path: "zones[\(i)].polygon", id: zone.id, what: "polygon") }
    }

    func isUsable(_ polygon: Polygon) -> Bool { polygon.points.count >= 3 && !polygon.isSelfIntersecting }

    // MARK: overlaps

    mutating func checkOverlaps() {
        let zones = venue.zones
        let usable = zones.map { isUsable($0.polygon) }
        let boxes = zones.map(\.polygon.boundingBox)
        for i in zones.indices where usable[i] {
            for j in (i + 1)..<zones.count where usable[j] && zones[i].floor == zones[j].floor && boxes[i].intersects(boxes[j]) {
                let a = zones[i]
                let b = zones[j]
                guard a.kind == .store || b.kind == .store else { continue }
                guard a.polygon.overlaps(b.polygon) else { continue }
                if a.kind == .store && b.kind == .store {
                    add(.error, .overlappingStores, "zones[\(j)]", [a.id, b.id],
                        "stores \"\(a.id)\" and \"\(b.id)\" overlap; a place belongs to one store: move the shared wall so the polygons only touch")
                } else {
                    let other = a.kind == .store ? b : a
                    let store = a.kind == .store ? a : b
                    add(.warning, .overlappingZones, "zones[\(j)]", [store.id, other.id],
                        "store \"\(store.id)\" overlaps \(other.kind.rawValue) \"\(other.id)\"; the localizer cannot tell them apart where they overlap: make the polygons only touch")
                }
            }
        }
    }

    // MARK: connections

    mutating func checkConnections() {
        let zonesByID = Dictionary(venue.zones.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        for (i, c) in venue.connections.enumerated() {
            let path = "connections[\(i)]"
            var known = true
            for (key, id) in [("from", c.from), ("to", c.to)] where zonesByID[id] == nil {
                known = false
                add(.error, .unknownZone, "\(path).\(key)", [id],
                    "connection \(i) (\(c.kind.rawValue)) refers to zone \"\(id)\", which is not in \"zones\"; fix the id or add the zone")
            }
            guard known, let from = zonesByID[c.from], let to = zonesByID[c.to] else { continue }
            if c.from == c.to {
                add(.error, .badConnection, path, [c.from], "connection \(i) joins \"\(c.from)\" to itself; a connection joins two different zones")
                continue
            }
            switch c.kind {
            case .door, .open:
                if from.floor != to.floor {
                    add(.error, .badConnection, path, [c.from, c.to],
                        "a \(c.kind.rawValue) joins zones on one floor, but \"\(c.from)\" is on \(from.floor) and \"\(c.to)\" on \(to.floor); use kind \"vertical\" between floors")
                }
            case .vertical:
                if from.floor == to.floor {
                    add(.error, .badConnection, path, [c.from, c.to],
                        "a vertical link joins two floors, but \"\(c.from)\" and \"\(c.to)\" are both on \(from.floor); use \"open\" or \"door\" within a floor")
                }
                let verticalKinds: Set<ZoneKind> = [.escalator, .lift, .stairs]
                if !verticalKinds.contains(from.kind) || !verticalKinds.contains(to.kind) {
                    add(.warning, .badConnection, path, [c.from, c.to],
                        "vertical links usually join escalator, lift or stairs zones; \"\(c.from)\" is a \(from.kind.rawValue) and \"\(c.to)\" a \(to.kind.rawValue)")
                }
            }
            if c.kind == .door {
                guard let at = c.at else {
                    add(.error, .doorWithoutPosition, path, [c.from, c.to],
                        "the door between \"\(c.from)\" and \"\(c.to)\" has no \"at\"; give the door's [x, y] on the wall the two zones share")
                    continue
                }
                guard isUsable(from.polygon), isUsable(to.polygon) else { continue }
                let dFrom = from.polygon.boundaryDistance(to: at)
                let dTo = to.polygon.boundaryDistance(to: at)
                let tolerance = VenueValidator.doorTolerance
                if dFrom > tolerance || dTo > tolerance {
                    let far = dFrom > tolerance ? (c.from, dFrom) : (c.to, dTo)
                    add(.error, .doorOffBoundary, "\(path).at", [c.from, c.to],
                        "the door at [\(fmt(at.x)), \(fmt(at.y))] is \(fmt(far.1)) m from the edge of \"\(far.0)\"; a door sits on the wall both zones share (within \(fmt(tolerance)) m)")
                }
            }
            if let width = c.width, !(width > 0) {
                add(.error, .badConnection, "\(path).width", [c.from, c.to], "a width is in metres and must be above 0")
            }
        }
    }

    // MARK: doors and reachability

    mutating func checkDoorsAndReachability() {
        var hasDoor = Set<String>()
        var neighbours: [String: [String]] = [:]
        let ids = Set(venue.zones.map(\.id))
        for c in venue.connections where ids.contains(c.from) && ids.contains(c.to) {
            if c.kind == .door {
                hasDoor.insert(c.from)
                hasDoor.insert(c.to)
            }
            neighbours[c.from, default: []].append(c.to)
            neighbours[c.to, default: []].append(c.from)
        }
        for (i, zone) in venue.zones.enumerated() where zone.kind == .store && !hasDoor.contains(zone.id) {
            add(.error, .storeWithoutDoor, "zones[\(i)]", [zone.id],
                "store \"\(zone.id)\" has no door; add a connection {\"kind\": \"door\", \"from\": \"\(zone.id)\", \"to\": <corridor id>, \"at\": [x, y]}")
        }
        let entrances = venue.zones.filter { $0.kind == .entrance }.map(\.id)
        guard !entrances.isEmpty else {
            if !venue.zones.isEmpty {
                add(.error, .noEntrance, "zones", [],
                    "no zone has kind \"entrance\", so nobody can enter the venue; mark the zones where people come in from the street or parking as entrances")
            }
            return
        }
        var reached = Set(entrances)
        var queue = entrances
        while let next = queue.popLast() {
            for n in neighbours[next, default: []] where !reached.contains(n) {
                reached.insert(n)
                queue.append(n)
            }
        }
        for (i, zone) in venue.zones.enumerated() where !reached.contains(zone.id) {
            add(.error, .unreachableZone, "zones[\(i)]", [zone.id],
                "no path of connections leads from an entrance to \(zone.kind.rawValue) \"\(zone.id)\"; connect it (door, open or vertical) to a zone people can reach")
        }
    }

    // MARK: sensors

    mutating func checkSensors() {
        let floorIDs = Set(venue.floors.map(\.id))
        let usableZones = venue.zones.filter { isUsable($0.polygon) }
        let radio = venue.radio
        for (i, sensor) in venue.sensors.enumerated() {
            let path = "sensors[\(i)]"
            checkChannels(sensor, path: "\(path).channels")
            if let input = sensor.input {
                let set = [input.interface != nil, input.tzsp != nil, input.file != nil, input.stream != nil].filter { $0 }.count
                if set != 1 {
                    add(.error, .badSensorInput, "\(path).input", [sensor.id],
                        "sensor \"\(sensor.id)\" has \(set) inputs; give exactly one of interface, tzsp, file or stream (or leave out \"input\" for a planned sensor)")
                }
                if let tzsp = input.tzsp, !(1...65535).contains(tzsp.port) {
                    add(.error, .badSensorInput, "\(path).input.tzsp.port", [sensor.id], "TZSP port \(tzsp.port) is not a UDP port (1–65535); the usual one is 37008")
                }
            }
            guard floorIDs.contains(sensor.floor) else { continue }
            let floor = venue.floors.first { $0.id == sensor.floor }!
            let zonesHere = usableZones.filter { $0.floor == sensor.floor }
            let inside: Bool
            if let outline = floor.outline, isUsable(outline) {
                inside = outline.distance(to: sensor.position) <= 0.05
            } else {
                inside = zonesHere.contains { $0.polygon.distance(to: sensor.position) <= 0.05 }
            }
            if !inside {
                add(.error, .sensorOutsideFloor, "\(path).position", [sensor.id],
                    "sensor \"\(sensor.id)\" at [\(fmt(sensor.position.x)), \(fmt(sensor.position.y))] is outside floor \"\(floor.id)\" (\(floor.outline == nil ? "every zone of the floor" : "its outline")); check the coordinates and the floor")
            }
            let best = zonesHere.map {
                VenueValidator.predictedRSSI(horizontalDistance: $0.polygon.distance(to: sensor.position), sensorHeight: sensor.height, radio: radio)
            }.max()
            if let best, best < radio.sensitivityDBm {
                add(.error, .sensorOutOfRange, "\(path).position", [sensor.id],
                    "sensor \"\(sensor.id)\" can hear no zone: the nearest is predicted at \(fmt(best)) dBm, below the \(fmt(radio.sensitivityDBm)) dBm sensitivity; move it to where people are")
            } else if best == nil {
                add(.error, .sensorOutOfRange, "\(path).position", [sensor.id],
                    "sensor \"\(sensor.id)\" is on floor \"\(sensor.floor)\", which has no zones, so it hears nobody; move it to a floor with zones")
            }
        }
        guard !venue.sensors.isEmpty else {
            if !venue.zones.isEmpty {
                add(.warning, .noSensors, "sensors", [],
                    "the venue has no sensors yet, so nothing can be localized; add the sensors with their positions and channels")
            }
            return
        }
        for (i, zone) in venue.zones.enumerated() where isUsable(zone.polygon) {
            let heard = venue.sensors.contains { sensor in
                sensor.floor == zone.floor
                    && VenueValidator.predictedRSSI(
                        horizontalDistance: zone.polygon.distance(to: sensor.position), sensorHeight: sensor.height, radio: radio)
                        >= radio.sensitivityDBm
            }
            if !heard {
                add(.warning, .zoneUnheard, "zones[\(i)]", [zone.id],
                    "no sensor on floor \"\(zone.floor)\" can hear \(zone.kind.rawValue) \"\(zone.id)\" (predicted below \(fmt(radio.sensitivityDBm)) dBm); phones there will not be counted: add a sensor nearer")
            }
        }
    }

    mutating func checkChannels(_ sensor: Sensor, path: String) {
        let plan = sensor.channels
        func valid(_ c: Int) -> Bool { (1...14).contains(c) || (32...177).contains(c) }
        var problems: [String] = []
        switch (plan.fixed, plan.hop) {
        case (nil, nil): problems.append("it has neither \"fixed\" nor \"hop\"; give {\"fixed\": 6} or {\"hop\": [1, 6, 11], \"dwellMs\": 250}")
        case (.some, .some): problems.append("it has both \"fixed\" and \"hop\"; keep one")
        case (_, .some(let hop)):
            if hop.isEmpty { problems.append("its hop list is empty") }
            if plan.dwellMs == nil {
                problems.append("it hops but has no \"dwellMs\"; add how long to stay on each channel, e.g. \"dwellMs\": 250")
            }
        default: break
        }
        if let dwell = plan.dwellMs, dwell <= 0 { problems.append("\"dwellMs\" must be above 0") }
        if plan.fixed != nil, plan.hop == nil, plan.dwellMs != nil { problems.append("\"dwellMs\" only applies to a hop list; remove it") }
        let bad = plan.channels.filter { !valid($0) }
        if !bad.isEmpty {
            problems.append("channel\(bad.count == 1 ? "" : "s") \(bad.map(String.init).joined(separator: ", ")) not in 1–14 (2.4 GHz) or 32–177 (5 GHz)")
        }
        for problem in problems {
            add(.error, .badChannelPlan, path, [sensor.id], "sensor \"\(sensor.id)\" channel plan: \(problem)")
        }
    }
}

/// A number for messages: at most one decimal, no trailing ".0".
func fmt(_ value: Double) -> String {
    let rounded = (value * 10).rounded() / 10
    if rounded == rounded.rounded() { return String(Int(rounded)) }
    return String(rounded)
}
