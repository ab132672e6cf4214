public import MallGateVenue

/// The venue's floor plans for the pages: ``VenueSVG``'s drawing with the attributes the
/// scripts and tests find things by (`data-zone-id`, `data-store-id`, `data-sensor-id`).
public enum WebVenueMap {
    /// The SVG element of `floor` (no XML prologue, ready to be inlined); nil for an unknown floor.
    public static func svg(_ venue: Venue, floor: String) -> String? {
        guard var svg = VenueSVG.render(venue, floor: floor) else { return nil }
        if let start = svg.firstRange(of: "<svg") { svg = String(svg[start.lowerBound...]) }
        for zone in venue.zones where zone.floor == floor {
            let id = escape(zone.id)
            let store = zone.kind == .store ? " data-store-id=\"\(id)\" class=\"store\"" : " class=\"zone\""
            svg = svg.replacing("<polygon id=\"zone-\(id)\"", with: "<polygon id=\"zone-\(id)\" data-zone-id=\"\(id)\"\(store)")
        }
        for sensor in venue.sensors where sensor.floor == floor {
            let id = escape(sensor.id)
            svg = svg.replacing("<circle id=\"sensor-\(id)\"", with: "<circle id=\"sensor-\(id)\" data-sensor-id=\"\(id)\" class=\"sensor\"")
        }
        return svg
    }

    /// The venue as the pages need it: floors, zones (with a label point for paths), sensors.
    struct Summary: Sendable, Codable {
        struct FloorInfo: Sendable, Codable { var id: String; var name: String; var index: Int }
        struct ZoneInfo: Sendable, Codable { var id: String; var name: String; var kind: String; var floor: String; var category: String? }
        struct SensorInfo: Sendable, Codable { var id: String; var floor: String; var channels: [Int] }
        var id: String
        var name: String
        var floors: [FloorInfo]
        var zones: [ZoneInfo]
        var sensors: [SensorInfo]
        /// The zone ids the running model places devices in (calibration's zone list).
        var modelZones: [String]
    }

    static func summary(_ layout: WebLayout) -> Summary {
        let v = layout.venue
        return Summary(
            id: v.id, name: v.name,
            floors: v.floors.sorted { $0.index < $1.index }.map { .init(id: $0.id, name: $0.name, index: $0.index) },
            zones: v.zones.map { .init(id: $0.id, name: $0.name, kind: $0.kind.rawValue, floor: $0.floor, category: $0.category) },
            sensors: v.sensors.map { .init(id: $0.id, floor: $0.floor, channels: $0.channels.channels) },
            modelZones: layout.modelZones)
    }

    /// Text escaped as ``VenueSVG`` escapes it, so the ids match.
    static func escape(_ s: String) -> String {
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
}
