/// What a run wrote, counted by the simulator itself: per sensor frames and RSSI, devices,
/// MACs, visits; and the sanity table (median RSSI by distance).
public struct SimulationSummary: Sendable {
    /// A walkway position within this distance of a store's door names that store in `near_store`.
    public static let nearDoorMetres = 4.0

    public struct Sensor: Sendable {
        public var id: String
        /// The capture's file name in the output directory.
        public var file: String
        public var channels: [Int]
        /// Probe requests written (every record in the file is one).
        public var probeRequests: Int
        public var bytes: Int
        /// Sum of the written combined RSSI values, in dBm (a checksum readers can compare).
        public var rssiSum: Int64
        public var rssiMin: Int?
        public var rssiMax: Int?
    }

    public struct DistanceRow: Sendable {
        public var label: String
        public var frames: Int
        public var medianDBm: Int?
        public var lowerQuartileDBm: Int?
        public var upperQuartileDBm: Int?
    }

    public var venueID = ""
    public var seed: UInt64 = 0
    public var start = Instant(secondsSinceEpoch: 0)
    /// Seconds of capture (longer than the configured duration when the calibration walk needed it).
    public var simulatedSeconds = 0.0
    public var sensors: [Sensor] = []
    public var visitors = 0
    public var staff = 0
    public var technicians = 0
    /// People whose phone probes (carries a phone with Wi-Fi on).
    public var probingDevices = 0
    /// Probing devices at least one sensor heard at least once.
    public var devicesHeard = 0
    public var macs = 0
    public var macsHeard = 0
    public var randomizedMACs = 0
    public var randomizedMACsHeard = 0
    public var bursts = 0
    /// Probe requests phones sent (on all channels), heard or not.
    public var framesSent = 0
    public var visits = 0
    public var positionRows = 0
    public var labels = 0
    public var rssiByDistance: [DistanceRow] = []
    /// Every file written, with the output directory.
    public var files: [String] = []

    public var probeRequestsWritten: Int { sensors.reduce(0) { $0 + $1.probeRequests } }

    /// The sanity table a radio engineer asks for, as Markdown.
    public func report() -> String {
        var s = "Venue `\(venueID)`, seed \(seed), \(start.rfc3339()) + \(decimal(simulatedSeconds, 0)) s.\n\n"
        s += "| people | visitors | staff | technician | probing devices | devices heard | MACs used | MACs heard | randomized MACs heard | share randomized (heard) | bursts | probe requests sent | written (all sensors) |\n"
        s += "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n"
        let share = macsHeard > 0 ? Double(randomizedMACsHeard) / Double(macsHeard) * 100 : 0
        s += "| \(visitors + staff + technicians) | \(visitors) | \(staff) | \(technicians) | \(probingDevices) | \(devicesHeard) | \(macs) | \(macsHeard) | \(randomizedMACsHeard) | \(decimal(share, 1)) % | \(bursts) | \(framesSent) | \(probeRequestsWritten) |\n\n"
        s += "Median RSSI by distance (all sensors, frames written; distance 3-D from phone to antenna):\n\n"
        s += "| distance | frames | median dBm | quartiles dBm |\n|---|---:|---:|---|\n"
        for row in rssiByDistance {
            let q = row.lowerQuartileDBm.map { "\($0) … \(row.upperQuartileDBm!)" } ?? "–"
            s += "| \(row.label) | \(row.frames) | \(row.medianDBm.map(String.init) ?? "–") | \(q) |\n"
        }
        s += "\nFrames heard per sensor:\n\n| sensor | channels | probe requests | min dBm | mean dBm | max dBm |\n|---|---|---:|---:|---:|---:|\n"
        for sensor in sensors {
            let mean = sensor.probeRequests > 0 ? decimal(Double(sensor.rssiSum) / Double(sensor.probeRequests), 1) : "–"
            s += "| \(sensor.id) | \(sensor.channels.map(String.init).joined(separator: ",")) | \(sensor.probeRequests) | \(sensor.rssiMin.map(String.init) ?? "–") | \(mean) | \(sensor.rssiMax.map(String.init) ?? "–") |\n"
        }
        return s
    }

    /// The summary as JSON (summary.json).
    public func json() -> String {
        func str(_ s: String) -> String {
            var out = "\""
            for ch in s.unicodeScalars {
                switch ch {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                case "\n": out += "\\n"
                default:
                    if ch.value < 0x20 { out += "\\u00" + (ch.value < 16 ? "0" : "") + String(ch.value, radix: 16) } else { out.unicodeScalars.append(ch) }
                }
            }
            return out + "\""
        }
        func opt(_ v: Int?) -> String { v.map(String.init) ?? "null" }
        var s = "{\n"
        s += "  \"venue\": \(str(venueID)),\n  \"seed\": \(seed),\n  \"start\": \(str(start.rfc3339())),\n"
        s += "  \"simulatedSeconds\": \(decimal(simulatedSeconds, 3)),\n"
        s += "  \"visitors\": \(visitors),\n  \"staff\": \(staff),\n  \"technicians\": \(technicians),\n"
        s += "  \"probingDevices\": \(probingDevices),\n  \"devicesHeard\": \(devicesHeard),\n"
        s += "  \"macs\": \(macs),\n  \"macsHeard\": \(macsHeard),\n  \"randomizedMACs\": \(randomizedMACs),\n  \"randomizedMACsHeard\": \(randomizedMACsHeard),\n"
        s += "  \"bursts\": \(bursts),\n  \"probeRequestsSent\": \(framesSent),\n  \"probeRequestsWritten\": \(probeRequestsWritten),\n"
        s += "  \"visits\": \(visits),\n  \"positionRows\": \(positionRows),\n  \"labels\": \(labels),\n"
        s += "  \"sensors\": [\n"
        s += sensors.map { x in
            "    {\"id\": \(str(x.id)), \"file\": \(str(x.file)), \"channels\": [\(x.channels.map(String.init).joined(separator: ", "))], \"frames\": \(x.probeRequests), \"probeRequests\": \(x.probeRequests), \"bytes\": \(x.bytes), \"rssiSum\": \(x.rssiSum), \"rssiMin\": \(opt(x.rssiMin)), \"rssiMax\": \(opt(x.rssiMax))}"
        }.joined(separator: ",\n")
        s += "\n  ],\n  \"rssiByDistance\": [\n"
        s += rssiByDistance.map { r in
            "    {\"distance\": \(str(r.label)), \"frames\": \(r.frames), \"medianDBm\": \(opt(r.medianDBm)), \"lowerQuartileDBm\": \(opt(r.lowerQuartileDBm)), \"upperQuartileDBm\": \(opt(r.upperQuartileDBm))}"
        }.joined(separator: ",\n")
        s += "\n  ]\n}\n"
        return s
    }
}
