internal import Glibc
public import MallGateDecode

// Stand-ins for the stages built in parallel, so the daemon runs end to end today.
// At merge: StandInDeviceIdentifier → MallGateIdentify, JSONLinesSink → MallGateStore.

/// Identify stand-in: a keyed 64-bit mix of the MAC with a random per-process key.
///
/// Ids are stable within one run and unlinkable across runs (the key is never stored),
/// and no raw MAC leaves the call. No opt-out, no rotation, no pseudo-devices: those
/// are MallGateIdentify's, which replaces this at merge.
public struct StandInDeviceIdentifier: DeviceIdentifying {
    private let key0: UInt64
    private let key1: UInt64

    public init() {
        var generator = SystemRandomNumberGenerator()  // getrandom(2): the kernel's CSPRNG
        key0 = generator.next()
        key1 = generator.next()
    }

    /// A fixed key, for tests.
    public init(key0: UInt64, key1: UInt64) {
        self.key0 = key0
        self.key1 = key1
    }

    public mutating func deviceID(mac: MACAddress, timeNanoseconds: Int64) -> UInt64? {
        // SplitMix64's finaliser over the keyed MAC: a bijection, so distinct MACs never collide.
        var z = (mac.rawValue ^ key0) &+ key1
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Store stand-in: appends positions, visits and events as JSON lines to files in the state directory.
///
/// Gives tests and demos real output to read until MallGateStore's SQLite buffer replaces it.
/// Files: positions.jsonl, visits.jsonl, events.jsonl. Device ids are written as 16 hex digits.
public actor JSONLinesSink: PipelineSink {
    private let directory: String
    private var files: [String: OpenFile] = [:]

    /// A FILE that closes itself; used only from the actor.
    private final class OpenFile: @unchecked Sendable {
        let pointer: UnsafeMutablePointer<FILE>
        init(_ pointer: UnsafeMutablePointer<FILE>) { self.pointer = pointer }
        deinit { fclose(pointer) }
    }

    public struct OpenError: Error, CustomStringConvertible {
        public let description: String
    }

    /// Opens (appending) the three files in `directory`, creating it if needed.
    public init(directory: String) throws(OpenError) {
        self.directory = directory
        if let failure = makeDirectories(directory) {
            throw OpenError(description: "\(directory): cannot create the state directory (\(String(cString: strerror(failure)))); check state_directory and its permissions")
        }
        for name in ["positions", "visits", "events"] {
            guard let f = fopen(directory + "/" + name + ".jsonl", "a") else {
                throw OpenError(description: "\(directory)/\(name).jsonl: cannot open for writing (\(String(cString: strerror(errno))))")
            }
            files[name] = OpenFile(f)
        }
    }

    public func write(_ batch: PipelineOutput) async throws {
        if !batch.positions.isEmpty {
            var text = ""
            for p in batch.positions {
                text += "{\"device\":\"\(hex16(p.device))\",\"time_ns\":\(p.timeNanoseconds),\"zone\":\(jsonString(p.zone)),\"floor\":\(jsonString(p.floor)),\"store\":\(p.isStore),\"confidence\":\(String((p.confidence * 1000).rounded() / 1000))}\n"
            }
            fputs(text, files["positions"]!.pointer)
        }
        if !batch.visits.isEmpty {
            var text = ""
            for v in batch.visits {
                text += "{\"device\":\"\(hex16(v.device))\",\"store\":\(jsonString(v.store)),\"enter_ns\":\(v.enterNanoseconds),\"exit_ns\":\(v.exitNanoseconds),\"dwell_seconds\":\(Int(v.dwellSeconds.rounded()))}\n"
            }
            fputs(text, files["visits"]!.pointer)
        }
        if !batch.events.isEmpty {
            var text = ""
            for e in batch.events {
                text += "{\"time_ns\":\(e.timeNanoseconds),\"kind\":\"\(e.kind.rawValue)\",\"sensor\":\(jsonString(e.sensor)),\"detail\":\(jsonString(e.detail))}\n"
            }
            fputs(text, files["events"]!.pointer)
        }
    }

    public func flush() async throws {
        for (_, f) in files {
            fflush(f.pointer)
            fsync(fileno(f.pointer))
        }
    }

    public func statistics() async -> SinkStatistics {
        var total: Int64 = 0
        // Append-mode files sit at their end: the position is the size.
        for (_, f) in files { total += Int64(ftell(f.pointer)) }
        return SinkStatistics(databaseBytes: total)
    }
}

/// 16 lowercase hex digits.
func hex16(_ value: UInt64) -> String {
    let digits = String(value, radix: 16)
    return String(repeating: "0", count: 16 - digits.count) + digits
}

/// A JSON string literal.
func jsonString(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        default:
            if scalar.value < 0x20 {
                let h = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - h.count) + h
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
    }
    return out + "\""
}

/// Creates `path` and missing parents (`mkdir -p`); returns errno on failure.
func makeDirectories(_ path: String) -> Int32? {
    var prefix = path.hasPrefix("/") ? "/" : ""
    for component in path.split(separator: "/") {
        prefix += component
        if mkdir(prefix, 0o755) != 0 && errno != EEXIST { return errno }
        prefix += "/"
    }
    return nil
}
