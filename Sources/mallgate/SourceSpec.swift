import MallGateCapture
#if canImport(Glibc)
import Glibc
#endif

/// One SOURCE argument of `mallgate parse`: where frames come from and which sensor heard them.
///
/// Forms: `PATH` (pcap/pcapng file or FIFO), `-` (standard input), `iface:NAME`
/// (a live radio), `tzsp:[ADDRESS:]PORT` (a TZSP sniffer), each optionally prefixed
/// by `SENSOR=` to name the sensor. The default sensor name is the file's base name,
/// the interface name, `stdin`, or `tzsp-PORT`.
struct SourceSpec: Equatable {
    enum Kind: Equatable {
        case file(path: String)
        case stream(path: String)
        case interface(name: String)
        case tzsp(bindAddress: String, port: UInt16)
    }

    var sensor: String
    var kind: Kind

    init(sensor: String, kind: Kind) {
        self.sensor = sensor
        self.kind = kind
    }

    struct Invalid: Error, CustomStringConvertible {
        var description: String
    }

    static func parse(_ argument: String) throws(Invalid) -> SourceSpec {
        var rest = Substring(argument)
        var sensor: String?
        // `SENSOR=` prefix, unless the `=` belongs to a path (it then contains a `/` first).
        if let eq = rest.firstIndex(of: "="), !rest[..<eq].contains("/") {
            let name = String(rest[..<eq])
            guard !name.isEmpty else { throw Invalid(description: "\"\(argument)\": empty sensor name before '='") }
            guard name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." }) else {
                throw Invalid(description: "\"\(argument)\": sensor name \"\(name)\" may only hold letters, digits, '-', '_' and '.'")
            }
            sensor = name
            rest = rest[rest.index(after: eq)...]
        }
        guard !rest.isEmpty else { throw Invalid(description: "\"\(argument)\": no source after the sensor name") }

        if rest.hasPrefix("iface:") {
            let name = String(rest.dropFirst("iface:".count))
            guard !name.isEmpty, name.count < 16, !name.contains("/") else {
                throw Invalid(description: "\"\(argument)\": \"\(name)\" is not an interface name (1–15 characters, no '/')")
            }
            return SourceSpec(sensor: sensor ?? name, kind: .interface(name: name))
        }
        if rest.hasPrefix("tzsp:") {
            let target = rest.dropFirst("tzsp:".count)
            var address = "::"
            var portText = target
            if let colon = target.lastIndex(of: ":") {
                address = String(target[..<colon]).trimmingBrackets()
                portText = target[target.index(after: colon)...]
            }
            guard let port = UInt16(portText), port > 0 else {
                throw Invalid(description: "\"\(argument)\": \"\(portText)\" is not a UDP port (1–65535); write tzsp:37008 or tzsp:0.0.0.0:37008")
            }
            return SourceSpec(sensor: sensor ?? "tzsp-\(port)", kind: .tzsp(bindAddress: address, port: port))
        }
        let path = String(rest)
        if path == "-" { return SourceSpec(sensor: sensor ?? "stdin", kind: .stream(path: "-")) }
        var info = stat()
        if stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFIFO {
            return SourceSpec(sensor: sensor ?? baseName(path), kind: .stream(path: path))
        }
        return SourceSpec(sensor: sensor ?? baseName(path), kind: .file(path: path))
    }

    /// `captures/entrance.pcapng` → `entrance`.
    static func baseName(_ path: String) -> String {
        let file = path.split(separator: "/").last.map(String.init) ?? path
        guard let dot = file.lastIndex(of: "."), dot != file.startIndex else { return file }
        return String(file[..<dot])
    }
}

extension String {
    fileprivate func trimmingBrackets() -> String {
        hasPrefix("[") && hasSuffix("]") ? String(dropFirst().dropLast()) : self
    }
}
