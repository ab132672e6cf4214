import Glibc
import MallGateTestSupport

/// The simulator's ground truth and the venue file are read here without MallGate's code
/// (``CSVTable`` from MallGateTestSupport): the expectations of the browser test come from them.

/// RFC 3339 (`2026-11-29T11:29:13.353Z` or without fraction, UTC) as seconds since the epoch.
func epochSeconds(_ text: String) -> Double? {
    let parts = text.split(whereSeparator: { "-T:Z+".contains($0) })
    guard parts.count >= 6, text.hasSuffix("Z") || text.hasSuffix("+00:00") else { return nil }
    var t = tm()
    guard let year = Int32(parts[0]), let month = Int32(parts[1]), let day = Int32(parts[2]),
        let hour = Int32(parts[3]), let minute = Int32(parts[4]), let second = Double(parts[5])
    else { return nil }
    t.tm_year = year - 1900
    t.tm_mon = month - 1
    t.tm_mday = day
    t.tm_hour = hour
    t.tm_min = minute
    t.tm_sec = 0
    return Double(timegm(&t)) + second
}

/// RFC 3339 UTC, whole seconds, for `mallgate simulate --start`.
func rfc3339(_ seconds: Double) -> String {
    var t = time_t(seconds)
    var parts = tm()
    gmtime_r(&t, &parts)
    func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
    return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))Z"
}

/// The venue's floors, zones and sensors, from its JSON by a plain scan (ids and kinds only).
struct VenueFacts {
    struct Zone: Equatable { var id: String; var kind: String; var floor: String }
    var floors: [String] = []
    var zones: [Zone] = []
    var sensors: [(id: String, floor: String)] = []
    /// Zone id → its name (pages may show either).
    var names: [String: String] = [:]

    var stores: [Zone] { zones.filter { $0.kind == "store" } }

    /// Reads the venue with python3's json module: an independent reader of the same file.
    init?(path: String) {
        let script = """
            import json, sys
            d = json.load(open(sys.argv[1]))
            t = chr(9)
            for f in d['floors']: print('floor' + t + f['id'])
            for z in d['zones']: print(t.join(['zone', z['id'], z['kind'], z['floor'], z.get('name', z['id'])]))
            for s in d['sensors']: print('sensor' + t + s['id'] + t + s['floor'])
            """
        let result = shell("python3 -c \(sh(script)) \(sh(path))")
        guard result.status == 0 else { return nil }
        for line in result.output.split(separator: "\n") {
            let f = line.split(separator: "\t").map(String.init)
            switch f.first {
            case "floor" where f.count == 2: floors.append(f[1])
            case "zone" where f.count == 5:
                zones.append(Zone(id: f[1], kind: f[2], floor: f[3]))
                names[f[1]] = f[4]
            case "sensor" where f.count == 3: sensors.append((f[1], f[2]))
            default: return nil
            }
        }
    }
}

/// Every spelling of a MAC a leak might take: colons, dashes, bare hex, upper and lower case.
func spellings(_ mac: String) -> [String] {
    let hex = mac.lowercased().filter { $0.isHexDigit }
    let pairs = stride(from: 0, to: hex.count, by: 2).map { i in
        String(hex[hex.index(hex.startIndex, offsetBy: i)..<hex.index(hex.startIndex, offsetBy: i + 2)])
    }
    let forms = [pairs.joined(separator: ":"), pairs.joined(separator: "-"), pairs.joined(separator: "."), hex]
    return forms + forms.map { $0.uppercased() }
}

/// The lines of `patterns` (fixed strings) that occur in `file`, by grep -F.
func occurrences(of patterns: [String], in file: String) -> [String] {
    guard !patterns.isEmpty else { return [] }
    let list = makeTemporaryDirectory("patterns") + "/patterns.txt"
    writeText(list, patterns.joined(separator: "\n") + "\n")
    return shell("grep -a -o -F -f \(sh(list)) \(sh(file)) | sort -u").output.split(separator: "\n").map(String.init)
}
