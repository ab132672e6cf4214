internal import Glibc

/// Builds a venue from an Apple Indoor Mapping Data Format archive, so an operator does
/// not redraw a mall that already publishes its indoor map.
///
/// Reads venue, level, unit, opening, and (when present) occupant and anchor GeoJSON
/// files from a folder or a .zip (stored or deflated members). The mapping is in
/// docs/venue-format.md; the spec is OGC 20-094, https://docs.ogc.org/cs/20-094/.
/// Sensors are not part of IMDF: the result has none, to be added by hand.
public enum IMDFImporter {
    /// Mean Earth radius (IUGG), in metres, for the equirectangular projection.
    static let earthRadius = 6_371_008.8
    /// Storey height assumed for elevations (IMDF levels carry only an ordinal).
    public static let storeyHeight = 5.0
    /// How close, in metres, an opening must be to a unit's edge to belong to it.
    public static let openingTolerance = 0.5

    /// Reads the archive at `path` (a folder or a .zip).
    /// - Throws: ``VenueError`` naming the archive, the member and what is wrong.
    public static func importVenue(from path: String) throws(VenueError) -> Venue {
        let files = try IMDFFiles(path: path)
        var importer = Importer(archive: path, files: files)
        return try importer.run()
    }

    /// Local metres (x east, y north) of a WGS84 longitude/latitude, equirectangular around
    /// `origin`: accurate to centimetres across a mall.
    public static func project(longitude: Double, latitude: Double, origin: GeoReference) -> Point {
        let metresPerDegree = earthRadius * Double.pi / 180
        return Point(
            (longitude - origin.longitude) * metresPerDegree * cos(origin.latitude * Double.pi / 180),
            (latitude - origin.latitude) * metresPerDegree)
    }
}

/// The GeoJSON members of an archive by file name (`unit.geojson`), from a folder or a zip.
private struct IMDFFiles {
    let archive: String
    private enum Member {
        case file(String)
        case zipEntry(ZipArchive.Entry)
    }
    private var members: [String: Member] = [:]
    private var zip: ZipArchive?

    init(path: String) throws(VenueError) {
        archive = path
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw VenueError(.io, file: path, message: "cannot open: \(String(cString: strerror(errno)))")
        }
        if info.st_mode & S_IFMT == S_IFDIR {
            for name in ["venue", "level", "unit", "opening", "occupant", "anchor"].map({ $0 + ".geojson" }) {
                let file = path + "/" + name
                if access(file, R_OK) == 0 {
                    members[name] = .file(file)
                }
            }
            return
        }
        let bytes = try readFile(path)
        let zip: ZipArchive
        do {
            zip = try ZipArchive(bytes)
            self.zip = zip
        } catch {
            throw VenueError(.imdf, file: path, message: error.message)
        }
        for entry in zip.entries where !entry.name.hasSuffix("/") {
            // Members may sit in a folder inside the archive; IMDF names them by file name.
            let name = String(entry.name.split(separator: "/").last ?? "")
            guard name.hasSuffix(".geojson"), members[name] == nil else { continue }
            members[name] = .zipEntry(entry)
        }
    }

    private static func read(_ entry: ZipArchive.Entry, of zip: ZipArchive, archive: String) throws(VenueError) -> [UInt8] {
        do {
            return try zip.read(entry)
        } catch {
            throw VenueError(.imdf, file: archive, message: error.message)
        }
    }

    /// The features of `name` (`"unit"`), or nil when the file is absent.
    func features(_ name: String, required: Bool) throws(VenueError) -> [Feature]? {
        let file = name + ".geojson"
        guard let member = members[file] else {
            if required {
                throw VenueError(.imdf, file: archive, message: "no \(file) in the archive; an IMDF archive has venue, level, unit and opening files")
            }
            return nil
        }
        let bytes: [UInt8]
        switch member {
        case .file(let path): bytes = try readFile(path)
        case .zipEntry(let entry): bytes = try IMDFFiles.read(entry, of: zip!, archive: archive)
        }
        let tree: JSONNode
        do {
            tree = try JSONParser.parse(bytes)
        } catch {
            throw VenueError(.syntax, file: "\(archive)/\(file)", line: error.line, column: error.column, message: error.message)
        }
        guard let list = tree["features"]?.elements else {
            throw VenueError(.imdf, file: "\(archive)/\(file)", line: tree.line, message: "not a GeoJSON FeatureCollection (no \"features\" array)")
        }
        return list.map { Feature(node: $0, file: "\(archive)/\(file)") }
    }
}

/// One GeoJSON feature, with accessors for the IMDF properties used here.
private struct Feature {
    let node: JSONNode
    let file: String
    var id: String { node["id"]?.string ?? "" }
    var properties: JSONNode? { node["properties"] }
    func property(_ key: String) -> JSONNode? { properties?[key] }
    var category: String { property("category")?.string ?? "unspecified" }
    var geometryType: String? { node["geometry"]?["type"]?.string }
    var coordinates: JSONNode? { node["geometry"]?["coordinates"] }
    /// The label in English, else the first language given (IMDF LABELS: `{"en": "…"}`).
    func label(_ key: String) -> String? {
        guard case .object(let members, _)? = property(key) else { return property(key)?.string }
        return members.first { $0.key == "en" }?.value.string ?? members.first?.value.string
    }
    func error(_ message: String) -> VenueError {
        VenueError(.imdf, file: file, line: node.line, message: "feature \(id): \(message)")
    }
}

extension JSONNode {
    fileprivate subscript(key: String) -> JSONNode? {
        guard case .object(let members, _) = self else { return nil }
        return members.first { $0.key == key }?.value
    }
    fileprivate var elements: [JSONNode]? {
        guard case .array(let elements, _) = self else { return nil }
        return elements
    }
    fileprivate var string: String? {
        guard case .string(let s, _) = self else { return nil }
        return s
    }
    fileprivate var number: Double? {
        guard case .number(let n, _) = self else { return nil }
        return Double(n)
    }
    /// `[lon, lat]`.
    fileprivate var position: (Double, Double)? {
        guard let e = elements, e.count >= 2, let lon = e[0].number, let lat = e[1].number else { return nil }
        return (lon, lat)
    }
}

private struct Importer {
    let archive: String
    let files: IMDFFiles
    var origin = GeoReference(latitude: 0, longitude: 0)

    init(archive: String, files: IMDFFiles) {
        self.archive = archive
        self.files = files
    }

    func project(_ position: (Double, Double)) -> Point {
        IMDFImporter.project(longitude: position.0, latitude: position.1, origin: origin)
    }

    /// The exterior ring of a Polygon, or of the largest part of a MultiPolygon, in local
    /// metres, without GeoJSON's closing repeat of the first position.
    func ring(_ feature: Feature) throws(VenueError) -> Polygon {
        var rings: [JSONNode] = []
        switch feature.geometryType {
        case "Polygon": if let r = feature.coordinates?.elements?.first { rings = [r] }
        case "MultiPolygon": rings = feature.coordinates?.elements?.compactMap { $0.elements?.first } ?? []
        default: throw feature.error("expected a Polygon or MultiPolygon geometry, found \(feature.geometryType ?? "none")")
        }
        var best: Polygon?
        for r in rings {
            var points = (r.elements ?? []).compactMap(\.position).map(project)
            if points.count > 1, points.first == points.last { points.removeLast() }
            let polygon = Polygon(points.map { Point(($0.x * 1000).rounded() / 1000, ($0.y * 1000).rounded() / 1000) })
            if best == nil || polygon.area > best!.area { best = polygon }
        }
        guard let best, best.points.count >= 3 else { throw feature.error("the polygon has fewer than 3 positions") }
        return best
    }

    mutating func run() throws(VenueError) -> Venue {
        guard let venueFeature = try files.features("venue", required: true)!.first else {
            throw VenueError(.imdf, file: archive + "/venue.geojson", message: "venue.geojson has no feature")
        }
        let levels = try files.features("level", required: true)!
        let units = try files.features("unit", required: true)!
        let openings = try files.features("opening", required: false) ?? []
        let occupants = try files.features("occupant", required: false) ?? []
        let anchors = try files.features("anchor", required: false) ?? []

        // Origin: the venue's display point, else the middle of its outline's first position.
        if let display = venueFeature.property("display_point")?["coordinates"]?.position {
            origin = GeoReference(latitude: display.1, longitude: display.0)
        } else if let first = venueFeature.coordinates?.elements?.first?.elements?.first?.position {
            origin = GeoReference(latitude: first.1, longitude: first.0)
        }
        let name = venueFeature.label("name") ?? "Imported venue"

        // Levels → floors, ids "L<ordinal>" (a suffix when two buildings share an ordinal).
        var floors: [Floor] = []
        var floorOfLevel: [String: String] = [:]
        for level in levels.sorted(by: { ($0.property("ordinal")?.number ?? 0) < ($1.property("ordinal")?.number ?? 0) }) {
            guard let ordinalValue = level.property("ordinal")?.number else { throw level.error("a level needs an \"ordinal\"") }
            let ordinal = Int(ordinalValue)
            var id = "L\(ordinal)"
            var k = 2
            while floors.contains(where: { $0.id == id }) {
                id = "L\(ordinal)-\(k)"
                k += 1
            }
            let floorName = level.label("name") ?? level.label("short_name") ?? "Level \(ordinal)"
            floors.append(
                Floor(id: id, index: ordinal, name: floorName, elevation: Double(ordinal) * IMDFImporter.storeyHeight,
                      outline: try? ring(level)))
            floorOfLevel[level.id] = id
        }

        // Occupants name the units their anchors sit in.
        var unitOfAnchor: [String: String] = [:]
        for anchor in anchors {
            if let unit = anchor.property("unit_id")?.string { unitOfAnchor[anchor.id] = unit }
        }
        var occupantOfUnit: [String: Feature] = [:]
        for occupant in occupants {
            guard let anchor = occupant.property("anchor_id")?.string, let unit = unitOfAnchor[anchor] else { continue }
            if occupantOfUnit[unit] == nil { occupantOfUnit[unit] = occupant }
        }

        // Units → zones.
        var zones: [Zone] = []
        var zoneOfUnit: [String: Int] = [:]
        let kept = units.filter { Importer.kind(category: $0.category, occupied: occupantOfUnit[$0.id] != nil) != nil }
        let ids = Importer.shortIDs(kept.map(\.id), reserved: Set(floors.map(\.id)))
        for (unit, zoneID) in zip(kept, ids) {
            guard let levelID = unit.property("level_id")?.string, let floor = floorOfLevel[levelID] else {
                throw unit.error("its level_id names no level in level.geojson")
            }
            guard let kind = Importer.kind(category: unit.category, occupied: occupantOfUnit[unit.id] != nil) else { continue }
            let polygon = try ring(unit)
            let occupant = occupantOfUnit[unit.id]
            let zoneName = occupant?.label("name") ?? unit.label("name") ?? unit.category
            let category = kind == .store ? (occupant?.category ?? unit.category) : nil
            zoneOfUnit[unit.id] = zones.count
            zones.append(Zone(id: zoneID, kind: kind, floor: floor, name: zoneName, category: category, polygon: polygon))
        }

        // Openings → doors (a store and what it opens onto) or open connections; an opening
        // on one walkway only is an exterior door, which makes that walkway an entrance.
        var connections: [Connection] = []
        var linked = Set<[String]>()
        for opening in openings {
            guard opening.geometryType == "LineString", let line = opening.coordinates?.elements?.compactMap(\.position).map(project),
                line.count >= 2, let levelID = opening.property("level_id")?.string, let floor = floorOfLevel[levelID]
            else { continue }
            let a = line.first!
            let b = line.last!
            let mid = Point(((a.x + b.x) / 2 * 1000).rounded() / 1000, ((a.y + b.y) / 2 * 1000).rounded() / 1000)
            let width = (a.distance(to: b) * 100).rounded() / 100
            let touching = zones.indices.filter {
                zones[$0].floor == floor && zones[$0].polygon.boundaryDistance(to: mid) <= IMDFImporter.openingTolerance
            }
            if touching.count == 1 {
                if zones[touching[0]].kind == .corridor { zones[touching[0]].kind = .entrance }
                continue
            }
            guard touching.count >= 2 else { continue }
            // The store (or other non-walkway) first, the walkway it opens onto second.
            let ordered = touching.sorted { Importer.rank(zones[$0].kind) < Importer.rank(zones[$1].kind) }
            let from = zones[ordered[0]]
            let to = zones[ordered.first { zones[$0].kind == .corridor || zones[$0].kind == .entrance } ?? ordered[1]]
            guard from.id != to.id else { continue }
            let kind: Connection.Kind = from.kind == .store || to.kind == .store ? .door : .open
            connections.append(Connection(kind: kind, from: from.id, to: to.id, at: mid, width: width > 0 ? width : nil))
            linked.insert([from.id, to.id].sorted())
        }

        // Walkable units sharing a wall are open to each other (IMDF draws no opening there).
        let walkable: Set<ZoneKind> = [.corridor, .entrance, .area]
        for i in zones.indices where walkable.contains(zones[i].kind) {
            for j in zones.indices where j > i && walkable.contains(zones[j].kind) && zones[j].floor == zones[i].floor {
                guard !linked.contains([zones[i].id, zones[j].id].sorted()), let at = Importer.sharedPoint(zones[i].polygon, zones[j].polygon)
                else { continue }
                connections.append(Connection(kind: .open, from: zones[i].id, to: zones[j].id, at: at))
            }
        }

        // Lifts, escalators and stairs above one another on consecutive floors are linked.
        let floorIndex = Dictionary(floors.map { ($0.id, $0.index) }, uniquingKeysWith: { a, _ in a })
        for i in zones.indices where [.lift, .escalator, .stairs].contains(zones[i].kind) {
            for j in zones.indices where zones[j].kind == zones[i].kind && zones[j].floor != zones[i].floor {
                guard let fi = floorIndex[zones[i].floor], let fj = floorIndex[zones[j].floor], fj == fi + 1 else { continue }
                if zones[i].polygon.overlaps(zones[j].polygon) || zones[i].polygon.contains(zones[j].polygon.labelPoint) {
                    connections.append(
                        Connection(kind: .vertical, from: zones[i].id, to: zones[j].id, travelSeconds: zones[i].kind == .lift ? 40 : 25))
                }
            }
        }

        return Venue(id: "imported", name: name, origin: origin, floors: floors, zones: zones, connections: connections, sensors: [])
    }

    /// IMDF unit category → zone kind; nil for units nobody walks in (walls, voids).
    static func kind(category: String, occupied: Bool) -> ZoneKind? {
        if occupied { return .store }
        switch category {
        case "walkway", "footbridge", "movingwalkway", "ramp", "lobby", "platform": return .corridor
        case "elevator": return .lift
        case "escalator": return .escalator
        case "stairs", "steps": return .stairs
        case "room", "retail", "foodservice", "office", "fitnessroom", "movietheater", "theater", "kitchen": return .store
        case "opentobelow", "structure", "column", "brick", "concrete", "drywall", "glass", "wood", "vegetation",
            "nonpublic", "serverroom", "storage", "road", "parking":
            return nil
        default: return .area
        }
    }

    /// Stores first when ordering the units an opening touches.
    static func rank(_ kind: ZoneKind) -> Int {
        switch kind {
        case .store: return 0
        case .area, .lift, .escalator, .stairs: return 1
        case .entrance: return 2
        case .corridor: return 3
        }
    }

    /// `u-` and the first characters of the IMDF id: 8, or as many more as make every unit's
    /// prefix unique, the same length for all. Ids stay short on plans, lead back to the
    /// source feature, and stay the same when an updated archive is imported again.
    static func shortIDs(_ imdfIDs: [String], reserved: Set<String>) -> [String] {
        let clean = imdfIDs.map {
            String($0.unicodeScalars.filter { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-") })
        }
        let longest = clean.map(\.count).max() ?? 0
        var length = 8
        while length < longest && Set(clean.map { $0.prefix(length) }).count < clean.count { length += 4 }
        var used = reserved
        return clean.map { id in
            let base = "u-" + String(id.prefix(length))
            var candidate = base
            var k = 2
            while used.contains(candidate) {
                candidate = base + "-\(k)"
                k += 1
            }
            used.insert(candidate)
            return candidate
        }
    }

    /// The middle of the wall two polygons share, or nil when they share none (only a corner or nothing).
    static func sharedPoint(_ a: Polygon, _ b: Polygon) -> Point? {
        let tolerance = 0.05
        let onB = a.points.filter { b.boundaryDistance(to: $0) <= tolerance }
        let onA = b.points.filter { a.boundaryDistance(to: $0) <= tolerance }
        let shared = onB + onA
        guard let first = shared.first, let far = shared.max(by: { $0.distance(to: first) < $1.distance(to: first) }),
            far.distance(to: first) > 0.5
        else { return nil }
        return Point(((first.x + far.x) / 2 * 1000).rounded() / 1000, ((first.y + far.y) / 2 * 1000).rounded() / 1000)
    }
}
