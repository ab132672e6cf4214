/// Draws one floor of a venue as an SVG plan, so an installer sees what was configured.
///
/// North (local +y) is up: coordinates are flipped when written rather than with an SVG
/// transform, so text stays upright. Stores are coloured by category, corridors grey,
/// entrances green, vertical links violet; doors are thick brown marks on the wall at
/// their `at`; sensors are dots coloured by channel with their ids.
public enum VenueSVG {
    /// The SVG document for `floor` (a ``Floor/id``); nil when the venue has no such floor.
    public static func render(_ venue: Venue, floor floorID: String) -> String? {
        guard let floor = venue.floors.first(where: { $0.id == floorID }) else { return nil }
        return Renderer(venue: venue, floor: floor).render()
    }

    /// Fill colour per store category; other categories get a colour from their name.
    static let categoryColors: [String: String] = [
        "fashion": "#f4a6a6", "clothing": "#f4a6a6", "shoes": "#f7c59f", "electronics": "#9ec5f4",
        "food": "#f9d77e", "restaurant": "#f9d77e", "cafe": "#e8c39e", "beauty": "#f5b8de",
        "sports": "#a8dcb0", "books": "#a9bcd0", "toys": "#ffe08a", "home": "#d6c7a1",
        "jewelry": "#e6d36f", "pharmacy": "#a6e3e0", "grocery": "#b8e08a", "services": "#c4cbd4",
        "gifts": "#f0b5c8",
    ]
    static let extraPalette = ["#f2b880", "#a3d9c9", "#e8b4a0", "#f7e39c", "#9fd3f0", "#e6a7a7", "#b5d99c", "#d9c2a7"]
    static let channelColors: [Int: String] = [1: "#d62728", 6: "#2ca02c", 11: "#1f5fd6"]

    static func storeColor(_ category: String?) -> String {
        guard let category = category?.lowercased(), !category.isEmpty else { return "#f0d8b0" }
        if let color = categoryColors[category] { return color }
        // A stable colour per unknown category (FNV-1a), not Swift's per-process seeded hash.
        var hash: UInt32 = 2_166_136_261
        for byte in category.utf8 { hash = (hash ^ UInt32(byte)) &* 16_777_619 }
        return extraPalette[Int(hash % UInt32(extraPalette.count))]
    }

    static func channelColor(_ channels: [Int]) -> String {
        channels.count == 1 ? (channelColors[channels[0]] ?? "#333333") : "#333333"
    }
}

private struct Renderer {
    let venue: Venue
    let floor: Floor
    let zones: [Zone]
    let sensors: [Sensor]
    /// Pixels per metre.
    let scale: Double
    let box: BoundingBox
    let left = 40.0
    let top = 70.0
    let bottomBand = 90.0
    let width: Double
    let height: Double

    init(venue: Venue, floor: Floor) {
        self.venue = venue
        self.floor = floor
        zones = venue.zones.filter { $0.floor == floor.id }
        sensors = venue.sensors.filter { $0.floor == floor.id }
        var box = floor.outline.map(\.boundingBox) ?? BoundingBox(points: zones.flatMap(\.polygon.points))
        for zone in zones { box = box.union(zone.polygon.boundingBox) }
        for sensor in sensors { box = box.union(BoundingBox(points: [sensor.position])) }
        if box.width <= 0 || box.height <= 0 { box = box.expanded(by: 5) }
        self.box = box
        // About 1400 px wide for a large mall, never so small that labels cannot fit.
        scale = min(40, max(4, min(1400 / box.width, 900 / box.height)))
        width = (box.width * scale + 2 * left).rounded()
        height = (box.height * scale + top + bottomBand).rounded()
    }

    func px(_ p: Point) -> (Double, Double) {
        (left + (p.x - box.minX) * scale, top + (box.maxY - p.y) * scale)
    }

    func n(_ v: Double) -> String {
        let r = (v * 10).rounded() / 10
        return r == r.rounded() ? String(Int(r)) : String(r)
    }

    func points(_ polygon: Polygon) -> String {
        polygon.points.map { let (x, y) = px($0); return "\(n(x)),\(n(y))" }.joined(separator: " ")
    }

    func render() -> String {
        var out = """
            <?xml version="1.0" encoding="UTF-8"?>
            <svg xmlns="http://www.w3.org/2000/svg" width="\(n(width))" height="\(n(height))" viewBox="0 0 \(n(width)) \(n(height))" font-family="DejaVu Sans, Helvetica, Arial, sans-serif">

            """
        out += "<title>\(xml(venue.name)) — \(xml(floor.name))</title>\n"
        out += "<rect x=\"0\" y=\"0\" width=\"\(n(width))\" height=\"\(n(height))\" fill=\"#ffffff\"/>\n"
        out += "<text x=\"\(n(left))\" y=\"30\" font-size=\"20\" font-weight=\"bold\" fill=\"#222\">\(xml(venue.name)) — \(xml(floor.name)) (\(xml(floor.id)))</text>\n"
        let stores = zones.filter { $0.kind == .store }.count
        out += "<text x=\"\(n(left))\" y=\"52\" font-size=\"13\" fill=\"#555\">venue \(xml(venue.id)) · floor index \(floor.index) · \(stores) stores · \(zones.count) zones · \(sensors.count) sensors · north is up</text>\n"

        if let outline = floor.outline, outline.points.count >= 3 {
            out += "<polygon class=\"outline\" points=\"\(points(outline))\" fill=\"#f7f7f5\" stroke=\"#999\" stroke-width=\"1.5\"/>\n"
        }
        out += "<g class=\"zones\" stroke=\"#555\" stroke-width=\"1\" stroke-linejoin=\"round\">\n"
        for zone in zones where zone.polygon.points.count >= 3 {
            out += "<polygon id=\"zone-\(xml(zone.id))\" points=\"\(points(zone.polygon))\" fill=\"\(fill(zone))\"><title>\(xml(zone.id)): \(xml(zone.name))\(zone.category.map { " (\(xml($0)))" } ?? "")</title></polygon>\n"
        }
        out += "</g>\n"
        out += doors()
        out += "<g class=\"labels\" text-anchor=\"middle\" fill=\"#222\">\n"
        for zone in zones where zone.polygon.points.count >= 3 { out += label(zone) }
        out += "</g>\n"
        out += sensorMarks()
        out += scaleBar()
        out += legend()
        out += "</svg>\n"
        return out
    }

    func fill(_ zone: Zone) -> String {
        switch zone.kind {
        case .store: return VenueSVG.storeColor(zone.category)
        case .corridor: return "#e4e4e4"
        case .entrance: return "#9fd8a8"
        case .escalator, .lift, .stairs: return "#c3b9ea"
        case .area: return "#efe6cc"
        }
    }

    /// Estimated width of `text` at `size` px (average glyph ≈ 0.58 em for a sans font).
    func textWidth(_ text: String, _ size: Double) -> Double { Double(text.count) * size * 0.58 }

    /// Name and id, horizontal when they fit, else vertical along a tall narrow zone,
    /// shrinking the font and finally shortening the name with an ellipsis.
    func label(_ zone: Zone) -> String {
        let zoneBox = zone.polygon.boundingBox
        let w = zoneBox.width * scale - 6
        let h = zoneBox.height * scale - 6
        let (cx, cy) = px(zone.polygon.labelPoint)
        let hasSensorInside = sensors.contains { zone.polygon.distance(to: $0.position) == 0 && $0.position.distance(to: zone.polygon.labelPoint) < 3 }
        if zone.kind == .corridor || zone.kind == .area && zone.name.isEmpty {
            let size = 10.0
            guard textWidth(zone.id, size) <= w else { return "" }
            // Corridors: the id only, lifted off the centre line where the corridor sensors sit.
            return "<text x=\"\(n(cx))\" y=\"\(n(cy - 9))\" font-size=\"\(n(size))\" fill=\"#777\">\(xml(zone.id))</text>\n"
        }
        let title = zone.kind == .store ? zone.name : zone.name.isEmpty ? zone.kind.rawValue : zone.name
        let vertical = textWidth(title, 11) > w && h > w * 1.3
        let room = vertical ? h : w
        // Larger type on small plans drawn at a large scale; never below 8 px.
        var size = min(18, max(12, scale * 0.75))
        while size > 8 && textWidth(title, size) > room { size -= 0.5 }
        var text = title
        var keep = title.count
        while keep > 2 && textWidth(text, size) > room {
            keep -= 1
            text = String(title.prefix(keep)).trimmingTrailingSpaces() + "…"
        }
        let idSize = max(8, size - 2)
        let category = zone.kind == .store && (h > 60 || vertical) ? zone.category : nil
        // Lines from the top: name, id, category. With a sensor at the label point the name
        // and id go above its dot and the category below the sensor's own label.
        let nameY: Double
        let idY: Double
        let categoryY: Double
        if hasSensorInside && !vertical {
            nameY = cy - 11 - idSize - 2
            idY = cy - 9
            categoryY = cy + 16 + idSize + 3
        } else {
            let lines = category == nil ? 2.0 : 3.0
            let blockHeight = size + (lines - 1) * (idSize + 2)
            nameY = cy - blockHeight / 2 + size * 0.8
            idY = nameY + idSize + 2
            categoryY = idY + idSize + 2
        }
        let rotate = vertical ? " transform=\"rotate(-90 \(n(cx)) \(n(cy)))\"" : ""
        var out = "<g\(rotate)>"
        out += "<text x=\"\(n(cx))\" y=\"\(n(nameY))\" font-size=\"\(n(size))\" font-weight=\"600\">\(xml(text))</text>"
        out += "<text x=\"\(n(cx))\" y=\"\(n(idY))\" font-size=\"\(n(idSize))\" fill=\"#555\">\(xml(zone.id))</text>"
        if let category {
            out += "<text x=\"\(n(cx))\" y=\"\(n(categoryY))\" font-size=\"\(n(idSize))\" font-style=\"italic\" fill=\"#666\">\(xml(category))</text>"
        }
        return out + "</g>\n"
    }

    /// Each door as a thick mark along the wall it sits on, `width` long (1.5 m when unset);
    /// open connections as dashed marks the same way.
    func doors() -> String {
        let byID = Dictionary(zones.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        var out = "<g class=\"doors\" stroke=\"#7a3b10\" stroke-width=\"5\" stroke-linecap=\"butt\">\n"
        var openings = "<g class=\"openings\" stroke=\"#8a8a8a\" stroke-width=\"2\" stroke-dasharray=\"4 3\">\n"
        for c in venue.connections where c.kind != .vertical {
            guard let at = c.at, let zone = byID[c.from] ?? byID[c.to] else { continue }
            // Direction of the nearest wall of the zone the door belongs to.
            var best: (Point, Point)?
            var bestDistance = Double.infinity
            for (a, b) in zone.polygon.edges {
                let d = at.distance(toSegment: a, b)
                if d < bestDistance {
                    bestDistance = d
                    best = (a, b)
                }
            }
            guard let (a, b) = best, a != b else { continue }
            let length = a.distance(to: b)
            let half = (c.width ?? 1.5) / 2
            let u = Point((b.x - a.x) / length, (b.y - a.y) / length)
            let (x1, y1) = px(at - u * half)
            let (x2, y2) = px(at + u * half)
            let mark = "<line x1=\"\(n(x1))\" y1=\"\(n(y1))\" x2=\"\(n(x2))\" y2=\"\(n(y2))\"><title>\(c.kind.rawValue) \(xml(c.from)) ↔ \(xml(c.to))</title></line>\n"
            if c.kind == .door { out += mark } else { openings += mark }
        }
        // Open boundaries under the doors: dashed grey, so a missing link between two corridor
        // segments shows as a solid wall.
        return openings + "</g>\n" + out + "</g>\n"
    }

    func sensorMarks() -> String {
        var out = "<g class=\"sensors\" font-size=\"10\" text-anchor=\"middle\">\n"
        for sensor in sensors {
            let (x, y) = px(sensor.position)
            let color = VenueSVG.channelColor(sensor.channels.channels)
            let plan = sensor.channels.channels.map(String.init).joined(separator: "/")
            out += "<circle id=\"sensor-\(xml(sensor.id))\" cx=\"\(n(x))\" cy=\"\(n(y))\" r=\"5\" fill=\"\(color)\" stroke=\"#fff\" stroke-width=\"1.5\"><title>sensor \(xml(sensor.id)), channel \(plan), \(n(sensor.height)) m high</title></circle>\n"
            out += "<text x=\"\(n(x))\" y=\"\(n(y + 16))\" fill=\"\(color)\" stroke=\"#fff\" stroke-width=\"3\" paint-order=\"stroke\">\(xml(sensor.id))</text>\n"
        }
        return out + "</g>\n"
    }

    /// A bar of a round length near 1/6 of the plan's width.
    func scaleBar() -> String {
        let target = box.width / 6
        let metres = [1.0, 2, 5, 10, 20, 25, 50, 100, 200, 500].last { $0 <= target } ?? 1
        let y = height - bottomBand + 40
        let x0 = left
        let x1 = left + metres * scale
        var out = "<g class=\"scale\" font-size=\"12\" fill=\"#333\">\n"
        out += "<line x1=\"\(n(x0))\" y1=\"\(n(y))\" x2=\"\(n(x1))\" y2=\"\(n(y))\" stroke=\"#333\" stroke-width=\"3\"/>"
        out += "<line x1=\"\(n(x0))\" y1=\"\(n(y - 6))\" x2=\"\(n(x0))\" y2=\"\(n(y + 6))\" stroke=\"#333\" stroke-width=\"2\"/>"
        out += "<line x1=\"\(n(x1))\" y1=\"\(n(y - 6))\" x2=\"\(n(x1))\" y2=\"\(n(y + 6))\" stroke=\"#333\" stroke-width=\"2\"/>\n"
        out += "<text x=\"\(n(x0))\" y=\"\(n(y + 20))\">0</text><text x=\"\(n(x1))\" y=\"\(n(y + 20))\" text-anchor=\"middle\">\(n(metres)) m</text>\n"
        return out + "</g>\n"
    }

    func legend() -> String {
        let y = height - bottomBand + 34
        var x = left + max(160, box.width / 6 * scale + 60)
        var out = "<g class=\"legend\" font-size=\"12\" fill=\"#333\">\n"
        for (name, color) in [("corridor", "#e4e4e4"), ("entrance", "#9fd8a8"), ("lift / escalator / stairs", "#c3b9ea"), ("area", "#efe6cc")] {
            out += "<rect x=\"\(n(x))\" y=\"\(n(y))\" width=\"14\" height=\"12\" fill=\"\(color)\" stroke=\"#555\"/><text x=\"\(n(x + 20))\" y=\"\(n(y + 11))\">\(name)</text>\n"
            x += 34 + Double(name.count) * 12 * 0.52
        }
        out += "<line x1=\"\(n(x))\" y1=\"\(n(y + 6))\" x2=\"\(n(x + 16))\" y2=\"\(n(y + 6))\" stroke=\"#7a3b10\" stroke-width=\"5\"/><text x=\"\(n(x + 22))\" y=\"\(n(y + 11))\">door</text>\n"
        x += 70
        out += "<line x1=\"\(n(x))\" y1=\"\(n(y + 6))\" x2=\"\(n(x + 16))\" y2=\"\(n(y + 6))\" stroke=\"#8a8a8a\" stroke-width=\"2\" stroke-dasharray=\"4 3\"/><text x=\"\(n(x + 22))\" y=\"\(n(y + 11))\">open</text>\n"
        x += 70
        for (channel, color) in VenueSVG.channelColors.sorted(by: { $0.key < $1.key }) {
            out += "<circle cx=\"\(n(x + 6))\" cy=\"\(n(y + 6))\" r=\"5\" fill=\"\(color)\"/><text x=\"\(n(x + 16))\" y=\"\(n(y + 11))\">sensor ch \(channel)</text>\n"
            x += 100
        }
        out += "<circle cx=\"\(n(x + 6))\" cy=\"\(n(y + 6))\" r=\"5\" fill=\"#333333\"/><text x=\"\(n(x + 16))\" y=\"\(n(y + 11))\">other / hopping</text>\n"
        return out + "</g>\n"
    }
}

/// Text escaped for XML content and attribute values.
func xml(_ s: String) -> String {
    var out = ""
    for c in s {
        switch c {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&apos;"
        default: out.append(c)
        }
    }
    return out
}

extension String {
    fileprivate func trimmingTrailingSpaces() -> String {
        var s = Substring(self)
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}
