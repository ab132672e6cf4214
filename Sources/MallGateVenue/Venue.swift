/// A mall as MallGate sees it: floors, zones (stores, corridors, entrances, vertical links),
/// how zones connect, and where the sensors are.
///
/// Every later stage needs the layout: the simulator walks people through it, the
/// localizer's classes are its zones and its smoothing follows its connections, and
/// visits are counted per store. Coordinates are metres in a local frame per venue
/// (x east, y north, origin anywhere), optionally tied to the globe by ``origin``.
/// The file format is JSON (docs/venue-format.md); this struct is its schema.
public struct Venue: Codable, Sendable, Equatable {
    /// The format version this file was written for; readers refuse versions they do not know.
    public var formatVersion: Int
    /// A stable identifier (e.g. `"westfield-demo"`), written into model files and upstream batches.
    public var id: String
    public var name: String
    /// Where the local frame sits on Earth, when known (from IMDF, or surveyed).
    public var origin: GeoReference?
    public var floors: [Floor]
    public var zones: [Zone]
    public var connections: [Connection]
    public var sensors: [Sensor]
    /// Radio propagation defaults for this building (wall and slab losses); used by the
    /// simulator and by the layout-only model.
    public var radio: RadioEnvironment

    public static let currentFormatVersion = 1

    public init(
        id: String, name: String, origin: GeoReference? = nil, floors: [Floor], zones: [Zone],
        connections: [Connection], sensors: [Sensor], radio: RadioEnvironment = RadioEnvironment()
    ) {
        self.formatVersion = Venue.currentFormatVersion
        self.id = id
        self.name = name
        self.origin = origin
        self.floors = floors
        self.zones = zones
        self.connections = connections
        self.sensors = sensors
        self.radio = radio
    }
}

/// A point in the venue's local frame, in metres; written `[x, y]` in JSON.
public struct Point: Codable, Sendable, Hashable {
    public var x: Double
    public var y: Double
    public init(_ x: Double, _ y: Double) {
        self.x = x
        self.y = y
    }
    public init(from decoder: any Decoder) throws {
        var container = try decoder.unkeyedContainer()
        x = try container.decode(Double.self)
        y = try container.decode(Double.self)
        guard container.isAtEnd else {
            // The point's own path, not the path of its third element.
            throw DecodingError.dataCorrupted(
                DecodingError.Context(codingPath: decoder.codingPath, debugDescription: "a point is [x, y] in metres: two numbers"))
        }
    }
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.unkeyedContainer()
        try container.encode(x)
        try container.encode(y)
    }
}

/// A simple polygon (no holes), vertices in order, not repeating the first at the end;
/// written `[[x, y], …]` in JSON.
public struct Polygon: Codable, Sendable, Hashable {
    public var points: [Point]
    public init(_ points: [Point]) { self.points = points }
    public init(from decoder: any Decoder) throws {
        points = try [Point](from: decoder)
    }
    public func encode(to encoder: any Encoder) throws {
        try points.encode(to: encoder)
    }
}

/// Ties the local frame to WGS84: the latitude/longitude of local (0, 0) and the
/// bearing of the local +y axis, in degrees clockwise from north.
public struct GeoReference: Codable, Sendable, Equatable {
    public var latitude: Double
    public var longitude: Double
    public var bearing: Double
    public init(latitude: Double, longitude: Double, bearing: Double = 0) {
        self.latitude = latitude
        self.longitude = longitude
        self.bearing = bearing
    }
}

/// One storey of the building.
public struct Floor: Codable, Sendable, Equatable {
    /// Referenced by zones and sensors (e.g. `"L0"`).
    public var id: String
    /// Storey number: 0 ground, 1 first, -1 basement (IMDF `ordinal`).
    public var index: Int
    public var name: String
    /// Height of the floor surface above the ground floor's, in metres.
    public var elevation: Double
    /// The floor's outline; when absent, the union of its zones is the floor.
    public var outline: Polygon?
    public init(id: String, index: Int, name: String, elevation: Double, outline: Polygon? = nil) {
        self.id = id
        self.index = index
        self.name = name
        self.elevation = elevation
        self.outline = outline
    }
}

/// What a zone is; localization reports zones, visits are counted for stores.
public enum ZoneKind: String, Codable, Sendable, CaseIterable {
    case store
    /// A walkway (or a segment of one; long corridors are cut into segments so
    /// "outside store X" is a place of its own).
    case corridor
    /// Where people enter and leave the venue (a corridor end with doors to the street or parking).
    case entrance
    case escalator
    case lift
    case stairs
    /// Other open areas: a food court, an atrium.
    case area
}

/// A region of one floor: a store, a corridor segment, an entrance, a vertical link.
public struct Zone: Codable, Sendable, Equatable {
    public var id: String
    public var kind: ZoneKind
    /// The ``Floor/id`` it is on.
    public var floor: String
    public var name: String
    /// For stores: e.g. `"fashion"`, `"electronics"`, `"food"` (IMDF occupant category).
    public var category: String?
    public var polygon: Polygon
    public init(id: String, kind: ZoneKind, floor: String, name: String, category: String? = nil, polygon: Polygon) {
        self.id = id
        self.kind = kind
        self.floor = floor
        self.name = name
        self.category = category
        self.polygon = polygon
    }
}

/// How two zones connect; people (and the localizer's smoothing) move only along these.
public struct Connection: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable {
        /// A store's door onto a corridor (or another zone): `at` is the door's position on the boundary.
        case door
        /// Two walkable zones sharing an open boundary (corridor segments, corridor ↔ entrance).
        case open
        /// Between floors: an escalator, lift or stairs zone on one floor and its counterpart on another.
        case vertical
    }
    public var kind: Kind
    /// Zone ids; connections are two-way.
    public var from: String
    public var to: String
    /// Where the door or opening is (on `from`'s floor); required for doors.
    public var at: Point?
    /// Door or opening width in metres.
    public var width: Double?
    /// For vertical links: seconds to travel between the floors.
    public var travelSeconds: Double?
    public init(kind: Kind, from: String, to: String, at: Point? = nil, width: Double? = nil, travelSeconds: Double? = nil) {
        self.kind = kind
        self.from = from
        self.to = to
        self.at = at
        self.width = width
        self.travelSeconds = travelSeconds
    }
}

/// A radio listening to probe requests, and where its frames come from.
public struct Sensor: Codable, Sendable, Equatable {
    public var id: String
    public var floor: String
    public var position: Point
    /// Antenna height above its floor, in metres.
    public var height: Double
    /// Channel plan: one channel, or a hop list with a dwell time.
    public var channels: SensorChannels
    /// Where the frames come from at run time; nil for a sensor only used in planning or simulation.
    public var input: SensorInput?
    /// Added to every RSSI this radio reports, in dB, to even out radios that read louder or quieter.
    public var rssiOffset: Double
    public init(
        id: String, floor: String, position: Point, height: Double = 3, channels: SensorChannels,
        input: SensorInput? = nil, rssiOffset: Double = 0
    ) {
        self.id = id
        self.floor = floor
        self.position = position
        self.height = height
        self.channels = channels
        self.input = input
        self.rssiOffset = rssiOffset
    }
}

/// A sensor's channel plan: `{"fixed": 6}` or `{"hop": [1, 6, 11], "dwellMs": 250}`.
public struct SensorChannels: Codable, Sendable, Equatable {
    public var fixed: Int?
    public var hop: [Int]?
    public var dwellMs: Int?
    public init(fixed: Int) {
        self.fixed = fixed
    }
    public init(hop: [Int], dwellMs: Int) {
        self.hop = hop
        self.dwellMs = dwellMs
    }
    /// The channels this sensor listens on (one for a fixed plan).
    public var channels: [Int] { fixed.map { [$0] } ?? hop ?? [] }
}

/// Where a sensor's frames come from: exactly one of these is set.
///
/// `{"interface": "wlan1"}`, `{"tzsp": {"port": 37008, "sender": "192.0.2.7"}}`,
/// `{"file": "captures/s1.pcap"}` (paths relative to the venue file), `{"stream": "-"}`.
public struct SensorInput: Codable, Sendable, Equatable {
    public struct TZSP: Codable, Sendable, Equatable {
        public var port: Int
        public var sender: String?
        public init(port: Int, sender: String? = nil) {
            self.port = port
            self.sender = sender
        }
    }
    public var interface: String?
    public var tzsp: TZSP?
    public var file: String?
    public var stream: String?
    public init(interface: String? = nil, tzsp: TZSP? = nil, file: String? = nil, stream: String? = nil) {
        self.interface = interface
        self.tzsp = tzsp
        self.file = file
        self.stream = stream
    }
}

/// Radio propagation constants of a building, in dB; defaults are typical of a mall.
///
/// Glass shopfronts cost little, side walls between stores more, concrete floor slabs
/// most: these are what make "inside the store" and "outside its door" distinguishable.
public struct RadioEnvironment: Codable, Sendable, Equatable {
    /// Received power at 1 m from a typical phone, in dBm.
    public var referencePowerDBm: Double
    /// Log-distance path-loss exponent (2 free space; 2.5–3.5 indoors).
    public var pathLossExponent: Double
    /// Loss through a shopfront (a store edge facing a corridor or open area).
    public var shopfrontLossDB: Double
    /// Loss through a wall between two stores, or a store's back wall.
    public var wallLossDB: Double
    /// Loss through one floor slab.
    public var floorLossDB: Double
    /// Standard deviation of slow (shadow) fading, in dB.
    public var shadowingSigmaDB: Double
    /// Weakest signal a sensor decodes, in dBm.
    public var sensitivityDBm: Double
    public init(
        referencePowerDBm: Double = -40, pathLossExponent: Double = 2.8, shopfrontLossDB: Double = 3,
        wallLossDB: Double = 9, floorLossDB: Double = 18, shadowingSigmaDB: Double = 4, sensitivityDBm: Double = -92
    ) {
        self.referencePowerDBm = referencePowerDBm
        self.pathLossExponent = pathLossExponent
        self.shopfrontLossDB = shopfrontLossDB
        self.wallLossDB = wallLossDB
        self.floorLossDB = floorLossDB
        self.shadowingSigmaDB = shadowingSigmaDB
        self.sensitivityDBm = sensitivityDBm
    }
}

// MARK: - Decoding with defaults

// Keys documented as optional in docs/venue-format.md fall back to these defaults, so a
// hand-written file states only what differs; the writer always writes every key.

extension Venue {
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        formatVersion = try c.decode(Int.self, forKey: .formatVersion)
        id = try c.decode(String.self, forKey: .id)
        name = try c.decode(String.self, forKey: .name)
        origin = try c.decodeIfPresent(GeoReference.self, forKey: .origin)
        floors = try c.decode([Floor].self, forKey: .floors)
        zones = try c.decode([Zone].self, forKey: .zones)
        connections = try c.decodeIfPresent([Connection].self, forKey: .connections) ?? []
        sensors = try c.decodeIfPresent([Sensor].self, forKey: .sensors) ?? []
        radio = try c.decodeIfPresent(RadioEnvironment.self, forKey: .radio) ?? RadioEnvironment()
    }
}

extension GeoReference {
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        latitude = try c.decode(Double.self, forKey: .latitude)
        longitude = try c.decode(Double.self, forKey: .longitude)
        bearing = try c.decodeIfPresent(Double.self, forKey: .bearing) ?? 0
    }
}

extension Sensor {
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        floor = try c.decode(String.self, forKey: .floor)
        position = try c.decode(Point.self, forKey: .position)
        height = try c.decodeIfPresent(Double.self, forKey: .height) ?? 3
        channels = try c.decode(SensorChannels.self, forKey: .channels)
        input = try c.decodeIfPresent(SensorInput.self, forKey: .input)
        rssiOffset = try c.decodeIfPresent(Double.self, forKey: .rssiOffset) ?? 0
    }
}

extension RadioEnvironment {
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = RadioEnvironment()
        referencePowerDBm = try c.decodeIfPresent(Double.self, forKey: .referencePowerDBm) ?? d.referencePowerDBm
        pathLossExponent = try c.decodeIfPresent(Double.self, forKey: .pathLossExponent) ?? d.pathLossExponent
        shopfrontLossDB = try c.decodeIfPresent(Double.self, forKey: .shopfrontLossDB) ?? d.shopfrontLossDB
        wallLossDB = try c.decodeIfPresent(Double.self, forKey: .wallLossDB) ?? d.wallLossDB
        floorLossDB = try c.decodeIfPresent(Double.self, forKey: .floorLossDB) ?? d.floorLossDB
        shadowingSigmaDB = try c.decodeIfPresent(Double.self, forKey: .shadowingSigmaDB) ?? d.shadowingSigmaDB
        sensitivityDBm = try c.decodeIfPresent(Double.self, forKey: .sensitivityDBm) ?? d.sensitivityDBm
    }
}
