internal import MallGateSystem
internal import Glibc

/// Why a configuration file was refused: every problem found, each naming the file, line and key.
///
/// All problems are collected (not only the first), so a technician fixes the file in
/// one pass; `mallgate config check` prints one line per problem.
public struct ConfigurationError: Error, Sendable, CustomStringConvertible {
    /// One problem: `file:line: key: what is wrong and what to do`.
    public struct Problem: Sendable, Equatable, CustomStringConvertible {
        public let file: String
        /// nil when the problem has no line (a required key that is missing, an unreadable file).
        public let line: Int?
        /// The key's path, e.g. `windows.step_seconds` or `sources[1].interface`; empty for the file itself.
        public let key: String
        public let message: String

        public var description: String {
            let place = line.map { "\(file):\($0)" } ?? file
            return key.isEmpty ? "\(place): \(message)" : "\(place): \(key): \(message)"
        }
    }

    public let problems: [Problem]

    init(_ problems: [Problem]) { self.problems = problems }

    public var description: String { problems.map(\.description).joined(separator: "\n") }
}

extension DaemonConfiguration {
    /// Reads and validates the configuration file at `path`.
    ///
    /// - Parameters:
    ///   - environment: where `token_env` is looked up (the process environment by default; tests pass their own).
    /// - Throws: ``ConfigurationError`` listing every problem, sorted by line.
    public static func load(path: String, environment: [String: String] = ProcessEnvironment.current) throws(ConfigurationError) -> DaemonConfiguration {
        guard let bytes = readWholeFile(path) else {
            throw ConfigurationError([.init(file: path, line: nil, key: "", message: "cannot read the configuration file (\(String(cString: strerror(errno)))); check the path given to --config")])
        }
        return try parse(text: String(decoding: bytes, as: UTF8.self), file: path, environment: environment)
    }

    /// Validates configuration text; relative paths are taken relative to `file`'s directory.
    /// - Throws: ``ConfigurationError`` listing every problem, sorted by line.
    public static func parse(text: String, file: String, environment: [String: String] = ProcessEnvironment.current) throws(ConfigurationError) -> DaemonConfiguration {
        let document: TOMLDocument
        do {
            document = try TOMLDocument(text: text)
        } catch {
            throw ConfigurationError([.init(file: file, line: error.line, key: "", message: "TOML syntax error: \(error.message) (column \(error.column))")])
        }
        let log = ProblemLog(file: file, lines: document.lines)
        let baseDirectory = file.contains("/") ? String(file[..<file.lastIndex(of: "/")!]) : "."
        func resolve(_ path: String) -> String { path.hasPrefix("/") ? path : baseDirectory + "/" + path }

        var root = TableReader(path: "", entries: document.root, log: log)
        let venue = root.string("venue", required: "give the path of the venue layout (JSON)").map(resolve)
        let model = root.string("model", required: "give the path of the model from `mallgate train` (.mgm)").map(resolve)
        let state = root.string("state_directory", required: "give a writable directory, e.g. /var/lib/mallgate").map(resolve)

        var sources: [SourceConfiguration] = []
        if let list = root.arrayOfTables("sources", required: "add at least one [[sources]] table") {
            if list.isEmpty { log.add("sources", "add at least one [[sources]] table") }
            for (index, entries) in list.enumerated() {
                var reader = TableReader(path: "sources[\(index)]", entries: entries, log: log)
                if let source = readSource(&reader, resolve: resolve) { sources.append(source) }
                reader.finish()
            }
            var seen: [String: Int] = [:]
            for (index, source) in sources.enumerated() {
                for sensor in source.sensorNames {
                    let key = source.sensor.isEmpty ? "sources[\(index)].senders" : "sources[\(index)].sensor"
                    if let first = seen[sensor], first != index {
                        log.add(key, "sensor \"\(sensor)\" is already used by sources[\(first)]; each sensor has one source")
                    } else {
                        seen[sensor] = index
                    }
                }
            }
        }

        var upstream: UpstreamConfiguration?
        if var reader = root.table("upstream") {
            upstream = readUpstream(&reader, environment: environment, resolve: resolve)
            reader.finish()
        }
        var privacy = PrivacyConfiguration()
        if var reader = root.table("privacy") {
            if let text = reader.string("rotation") {
                if let rotation = PrivacyConfiguration.Rotation(rawValue: text) { privacy.rotation = rotation } else {
                    reader.problem("rotation", "must be one of never, daily, weekly (got \"\(text)\")")
                }
            }
            privacy.optOutFile = reader.string("opt_out_file").map(resolve)
            if let v = reader.bool("pseudo_devices") { privacy.pseudoDevices = v }
            reader.finish()
        }
        var retention = RetentionConfiguration()
        if var reader = root.table("retention") {
            if let mb = reader.integer("max_database_mb", range: 16...1_048_576, unit: "MiB") { retention.maxDatabaseMegabytes = mb }
            reader.finish()
        }
        var windows = WindowConfiguration()
        if var reader = root.table("windows") {
            if let v = reader.number("length_seconds", range: 1...600) { windows.lengthSeconds = v }
            if let v = reader.number("step_seconds", range: 0.5...600) {
                if v > windows.lengthSeconds {
                    reader.problem("step_seconds", "must not exceed windows.length_seconds (\(format(windows.lengthSeconds))), or readings fall between windows (got \(format(v)))")
                } else {
                    windows.stepSeconds = v
                }
            }
            if let v = reader.number("idle_timeout_seconds", range: 1...86_400) { windows.idleTimeoutSeconds = v }
            if let v = reader.bool("smoothing") { windows.smoothing = v }
            if let v = reader.number("move_probability", range: 0.0001...0.9999) { windows.moveProbability = v }
            reader.finish()
        }
        var visits = VisitConfiguration()
        if var reader = root.table("visits") {
            if let v = reader.number("min_dwell_seconds", range: 0...86_400) { visits.minimumDwellSeconds = v }
            if let v = reader.number("exit_timeout_seconds", range: 1...86_400) { visits.exitTimeoutSeconds = v }
            if let v = reader.number("silence_timeout_seconds", range: 1...86_400) {
                if v < visits.exitTimeoutSeconds {
                    reader.problem("silence_timeout_seconds", "must not be shorter than visits.exit_timeout_seconds (\(format(visits.exitTimeoutSeconds))): an idle phone in a store probes rarely (got \(format(v)))")
                } else {
                    visits.silenceTimeoutSeconds = v
                }
            }
            if let v = reader.integer("enter_windows", range: 1...100, unit: "windows") { visits.enterWindows = v }
            if let v = reader.integer("count_interval_seconds", range: 60...86_400, unit: "seconds") {
                if 86_400 % v != 0 {
                    reader.problem("count_interval_seconds", "must divide a day evenly (e.g. 300, 900, 3600), so intervals line up across days (got \(v))")
                } else {
                    visits.countIntervalSeconds = v
                }
            }
            reader.finish()
        }
        var metrics = MetricsConfiguration()
        if var reader = root.table("metrics") {
            if let v = reader.bool("enabled") { metrics.enabled = v }
            if let text = reader.string("listen") {
                if let (host, port) = parseListenAddress(text) {
                    metrics.host = host
                    metrics.port = port
                } else {
                    reader.problem("listen", "must be HOST:PORT with a port 1–65535, e.g. 127.0.0.1:9464 or [::1]:9464 (got \"\(text)\")")
                }
            }
            reader.finish()
        }
        var health = HealthConfiguration()
        if var reader = root.table("health") {
            if let v = reader.number("sensor_silent_after_seconds", range: 5...86_400) { health.sensorSilentAfterSeconds = v }
            if let v = reader.number("status_interval_seconds", range: 0.1...3600) { health.statusIntervalSeconds = v }
            if let v = reader.number("retry_initial_seconds", range: 0.01...3600) { health.retryInitialSeconds = v }
            if let v = reader.number("retry_max_seconds", range: 0.01...86_400) { health.retryMaxSeconds = v }
            reader.finish()
        }
        var web = WebConfiguration()
        if var reader = root.table("web") {
            web = readWeb(&reader, environment: environment, resolve: resolve)
            reader.finish()
        }
        root.finish()

        guard log.problems.isEmpty, let venue, let model, let state else {
            throw ConfigurationError(log.problems.enumerated().sorted { a, b in
                (a.element.line ?? 0, a.offset) < (b.element.line ?? 0, b.offset)
            }.map(\.element))
        }
        var configuration = DaemonConfiguration(
            file: file, venuePath: venue, modelPath: model, stateDirectory: state, sources: sources, upstream: upstream,
            privacy: privacy, retention: retention, windows: windows, visits: visits, metrics: metrics, health: health)
        configuration.web = web
        return configuration
    }

    /// `[web]`: enabled, listen, and the access code from a file (`access_code_file`) or an
    /// environment variable (`access_code_env`); an enabled UI without a usable code is refused.
    ///
    /// The code itself is not accepted in the configuration file, for the reason the upload token
    /// is not: configuration files get copied into tickets and repositories.
    private static func readWeb(_ reader: inout TableReader, environment: [String: String], resolve: (String) -> String) -> WebConfiguration {
        var web = WebConfiguration()
        if let v = reader.bool("enabled") { web.enabled = v }
        if let text = reader.string("listen") {
            if let (host, port) = parseListenAddress(text) {
                web.host = host
                web.port = port
            } else {
                reader.problem("listen", "must be HOST:PORT with a port 1–65535, e.g. 127.0.0.1:8380 or 0.0.0.0:8380 (got \"\(text)\")")
            }
        }
        if reader.has("access_code") {
            reader.problem("access_code", "do not write the access code in the configuration file; put it in a file named by access_code_file (install.sh writes /etc/mallgate/web-access-code) or an environment variable named by access_code_env")
            _ = reader.raw("access_code")
        }
        web.accessCodeFile = reader.string("access_code_file").map(resolve)
        web.accessCodeEnvironment = reader.string("access_code_env")
        if web.accessCodeFile != nil && web.accessCodeEnvironment != nil {
            reader.problem("access_code_env", "give either access_code_file or access_code_env, not both")
            return web
        }
        let found: (code: String, origin: String, key: String)
        if let path = web.accessCodeFile {
            guard let bytes = readWholeFile(path) else {
                // A missing code only matters when the UI is on; an unreadable named file is still worth a word then.
                if web.enabled {
                    reader.problem("access_code_file", "cannot read \(path) (\(String(cString: strerror(errno)))); create it with the access code (install.sh writes one), readable by the mallgate user")
                }
                return web
            }
            found = (String(decoding: bytes, as: UTF8.self).trimmingWhitespace(), "file \(path)", "access_code_file")
        } else if let name = web.accessCodeEnvironment {
            guard let value = environment[name]?.trimmingWhitespace(), !value.isEmpty else {
                if web.enabled {
                    reader.problem("access_code_env", "environment variable \(name) is not set or empty; set it in the service's environment (systemd: Environment= or LoadCredential=)")
                }
                return web
            }
            found = (value, "environment \(name)", "access_code_env")
        } else {
            if web.enabled {
                reader.problem("enabled", "the web UI needs an access code: set access_code_file = \"/etc/mallgate/web-access-code\" (install.sh writes a random code there) or access_code_env = \"NAME\", or set enabled = false")
            }
            return web
        }
        // Eight characters at least: with five guesses a minute per client, a short code would fall in days.
        if found.code.count < 8 {
            if web.enabled {
                reader.problem(found.key, "\(found.origin) holds \(found.code.isEmpty ? "no code" : "a code shorter than 8 characters"); use a random code of at least 8 characters")
            }
        } else {
            web.accessCode = Secret(value: found.code, origin: found.origin)
        }
        return web
    }

    private static func readSource(_ reader: inout TableReader, resolve: (String) -> String) -> SourceConfiguration? {
        let kinds = ["file", "directory", "stream", "interface", "tzsp"]
        guard let kind = reader.string("kind", required: "say what the source is: \(kinds.joined(separator: ", "))") else { return nil }
        switch kind {
        case "file", "stream":
            let path = reader.string("path", required: "give the \(kind == "file" ? "capture file" : "FIFO or stream") to read")
            let sensor = reader.string("sensor", required: "give the venue's sensor id these frames come from")
            let speed = kind == "file" ? reader.number("speed", range: 0.001...1_000_000) : nil
            guard let path, let sensor else { return nil }
            return SourceConfiguration(kind: kind == "file" ? .file(path: resolve(path)) : .stream(path: resolve(path)), sensor: sensor, speed: speed)
        case "directory":
            let speed = reader.number("speed", range: 0.001...1_000_000)
            guard let path = reader.string("path", required: "give a directory of capture files named after their sensors") else { return nil }
            return SourceConfiguration(kind: .directory(path: resolve(path)), sensor: "", speed: speed)
        case "interface":
            let name = reader.string("interface", required: "give the monitor-mode radio, e.g. wlan1")
            let sensor = reader.string("sensor", required: "give the venue's sensor id of this radio")
            var channels: [Int] = []
            if let list = reader.integers("channels") {
                channels = list
                if list.isEmpty { reader.problem("channels", "list at least one channel, e.g. [1, 6, 11], or leave the key out to keep the radio's channel") }
                for c in list where !(1...196).contains(c) {
                    reader.problem("channels", "\(c) is not a Wi-Fi channel number (1–14 at 2.4 GHz, 32–196 at 5 GHz)")
                }
            }
            let dwell = reader.integer("dwell_ms", range: 50...60_000, unit: "ms") ?? 250
            let monitor = reader.bool("monitor_mode") ?? true
            guard let name, let sensor else { return nil }
            return SourceConfiguration(kind: .interface(name: name, channels: channels, dwellMilliseconds: dwell, monitorMode: monitor), sensor: sensor)
        case "tzsp":
            let port = reader.integer("port", range: 1...65535, unit: "") ?? 37008
            let bind = reader.string("bind") ?? "::"
            if reader.has("senders") {
                // Many sensors on one port, told apart by address.
                for key in ["sensor", "allowed_senders"] where reader.has(key) {
                    _ = reader.raw(key)
                    reader.problem(key, "give either `senders` (one port, a sensor per sender address) or `sensor` with `allowed_senders`, not both")
                }
                guard var table = reader.table("senders") else { return nil }
                var senders: [TZSPSender] = []
                for (address, _) in table.entries {
                    guard let sensor = table.string(address, required: "give the venue sensor id this address sends for") else { continue }
                    if IPv4Or6.isAddress(address) {
                        senders.append(TZSPSender(address: address, sensor: sensor))
                    } else {
                        table.problem(address, "\"\(address)\" is not an IPv4 or IPv6 address; write each sensor's address like \"10.20.0.11\" = \"L0-s01-ap\"")
                    }
                }
                if table.entries.isEmpty { reader.problem("senders", "list at least one sender: \"ADDRESS\" = \"SENSOR\"") }
                table.finish()
                guard !senders.isEmpty else { return nil }
                return SourceConfiguration(kind: .tzspSenders(port: UInt16(port), bindAddress: bind, senders: senders), sensor: "")
            }
            let sensor = reader.string("sensor", required: "give the venue's sensor id these datagrams come from, or a `senders` table (address = sensor) for several sensors on one port")
            let senders = reader.strings("allowed_senders") ?? []
            guard let sensor else { return nil }
            return SourceConfiguration(kind: .tzsp(port: UInt16(port), bindAddress: bind, allowedSenders: senders), sensor: sensor)
        default:
            reader.problem("kind", "unknown source kind \"\(kind)\"\(suggestion(kind, kinds)); use one of \(kinds.joined(separator: ", "))")
            reader.ignoreRemaining()
            return nil
        }
    }

    private static func readUpstream(_ reader: inout TableReader, environment: [String: String], resolve: (String) -> String) -> UpstreamConfiguration? {
        let url = reader.string("url", required: "give the collector's URL, e.g. https://collector.example.com, or remove [upstream]")
        if let url {
            let lower = url.lowercased()
            let loopback = ["http://127.0.0.1", "http://localhost", "http://[::1]"].contains { lower.hasPrefix($0) }
            if !lower.hasPrefix("https://") && !loopback {
                reader.problem("url", "must be an https:// URL (plain http only to a collector on this machine); got \"\(url)\"")
            } else if url.count <= (lower.hasPrefix("https://") ? 8 : 7) {
                reader.problem("url", "has no host (got \"\(url)\")")
            }
        }
        if reader.has("token") {
            reader.problem("token", "do not write the token in the configuration file; put it in a file named by token_file (mode 0600) or an environment variable named by token_env")
            _ = reader.raw("token")
        }
        let file = reader.string("token_file").map(resolve)
        let variable = reader.string("token_env")
        var secret: Secret?
        switch (file, variable) {
        case (nil, nil):
            reader.problem("", "give the upload token with token_file = \"/etc/mallgate/token\" or token_env = \"MALLGATE_TOKEN\"")
        case (.some, .some):
            reader.problem("token_env", "give either token_file or token_env, not both")
        case (let path?, nil):
            if let bytes = readWholeFile(path) {
                let token = String(decoding: bytes, as: UTF8.self).trimmingWhitespace()
                if token.isEmpty { reader.problem("token_file", "\(path) is empty; write the gateway's token into it") } else {
                    secret = Secret(value: token, origin: "file \(path)")
                }
            } else {
                reader.problem("token_file", "cannot read \(path) (\(String(cString: strerror(errno)))); create it with the gateway's token, readable by the mallgate user")
            }
        case (nil, let name?):
            if let value = environment[name]?.trimmingWhitespace(), !value.isEmpty {
                secret = Secret(value: value, origin: "environment \(name)")
            } else {
                reader.problem("token_env", "environment variable \(name) is not set or empty; set it in the service's environment (systemd: Environment= or LoadCredential=)")
            }
        }
        var upstream = UpstreamConfiguration(url: url ?? "", token: secret ?? Secret(value: "", origin: ""))
        if let v = reader.string("gateway_id") {
            if v.isEmpty || v.contains(where: { $0.isWhitespace || $0 == "/" }) {
                reader.problem("gateway_id", "must be the gateway's name at the collector (no spaces or slashes), as given to `mallgate-collector gateway add` (got \"\(v)\")")
            } else {
                upstream.gatewayID = v
            }
        }
        if let v = reader.integer("batch_rows", range: 100...100_000, unit: "rows") { upstream.batchRows = v }
        if let v = reader.number("interval_seconds", range: 1...3600) { upstream.intervalSeconds = v }
        if let v = reader.number("connect_timeout_seconds", range: 1...300) { upstream.connectTimeoutSeconds = v }
        if let v = reader.number("response_timeout_seconds", range: 1...600) { upstream.responseTimeoutSeconds = v }
        if let v = reader.number("request_timeout_seconds", range: 1...3600) {
            if v < upstream.connectTimeoutSeconds {
                reader.problem("request_timeout_seconds", "must not be shorter than upstream.connect_timeout_seconds (\(format(upstream.connectTimeoutSeconds))): the whole upload includes the connection (got \(format(v)))")
            } else {
                upstream.requestTimeoutSeconds = v
            }
        }
        if let v = reader.number("backoff_max_seconds", range: 1...86_400) { upstream.backoffMaxSeconds = v }
        for (key, keyPath) in [("ca_file", \UpstreamConfiguration.caFile), ("client_certificate_file", \.clientCertificateFile), ("client_key_file", \.clientKeyFile)] {
            guard let path = reader.string(key).map(resolve) else { continue }
            if access(path, R_OK) != 0 {
                reader.problem(key, "cannot read \(path) (\(String(cString: strerror(errno)))); give a PEM file readable by the mallgate user")
            } else {
                upstream[keyPath: keyPath] = path
            }
        }
        if (upstream.clientCertificateFile == nil) != (upstream.clientKeyFile == nil), reader.has("client_certificate_file") != reader.has("client_key_file") {
            reader.problem(reader.has("client_key_file") ? "client_key_file" : "client_certificate_file", "mutual TLS needs both client_certificate_file and client_key_file")
        }
        if let v = reader.bool("verify_tls") { upstream.verifyTLS = v }
        upstream.pullIntervalSeconds = reader.integer("pull_interval_seconds", range: 0...604_800, unit: "seconds (0 turns pulling off)") ?? 300
        guard url != nil, secret != nil else { return nil }
        return upstream
    }

    /// `host:port` or `[v6]:port` → (host, port); nil when malformed.
    public static func parseListenAddress(_ text: String) -> (String, Int)? {
        var host: Substring
        var portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else { return nil }
            host = text[text.index(after: text.startIndex)..<close]
            portText = text[text.index(close, offsetBy: 2)...]
        } else {
            guard let colon = text.lastIndex(of: ":") else { return nil }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            if host.contains(":") { return nil }
        }
        guard !host.isEmpty, let port = Int(portText), (1...65535).contains(port) else { return nil }
        return (String(host), port)
    }
}

/// The process's environment, for `token_env`.
public enum ProcessEnvironment {
    public static var current: [String: String] {
        var result: [String: String] = [:]
        var pointer = environ
        while let entry = pointer.pointee {
            let text = String(cString: entry)
            if let equals = text.firstIndex(of: "=") { result[String(text[..<equals])] = String(text[text.index(after: equals)...]) }
            pointer += 1
        }
        return result
    }
}

/// Problems found so far, with the document's key lines to place them.
final class ProblemLog {
    let file: String
    let lines: TOMLKeyLines
    var problems: [ConfigurationError.Problem] = []

    init(file: String, lines: TOMLKeyLines) {
        self.file = file
        self.lines = lines
    }

    /// Records a problem at `key`; it is placed on the key's line, or on its table's when the key is absent.
    func add(_ key: String, _ message: String, placedAt: String? = nil) {
        problems.append(.init(file: file, line: lines.line(of: placedAt ?? key), key: key, message: message))
    }
}

/// Whether a string is a literal IPv4 or IPv6 address (what the TZSP source can match senders against).
enum IPv4Or6 {
    static func isAddress(_ text: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, text, &v4) == 1 || inet_pton(AF_INET6, text, &v6) == 1
    }
}

/// Reads typed keys from one table and reports, at the end, the keys nobody asked for.
struct TableReader {
    let path: String
    let entries: [(String, TOMLDocument.Value)]
    let log: ProblemLog
    private var asked: [String] = []

    init(path: String, entries: [(String, TOMLDocument.Value)], log: ProblemLog) {
        self.path = path
        self.entries = entries
        self.log = log
    }

    func full(_ key: String) -> String { path.isEmpty ? key : key.isEmpty ? path : path + "." + key }

    /// Records a problem at this table's `key` (empty: the table itself).
    func problem(_ key: String, _ message: String) { log.add(full(key), message) }

    func has(_ key: String) -> Bool { entries.contains { $0.0 == key } }

    mutating func raw(_ key: String) -> TOMLDocument.Value? {
        asked.append(key)
        return entries.first { $0.0 == key }?.1
    }

    /// Marks every key as read (after an error that makes the rest meaningless).
    mutating func ignoreRemaining() { asked += entries.map(\.0) }

    private mutating func value(_ key: String, required: String?) -> TOMLDocument.Value? {
        guard let value = raw(key) else {
            if let required {
                // A missing key has no line of its own: point at its table's header, if any.
                log.problems.append(.init(file: log.file, line: path.isEmpty ? nil : log.lines.line(of: path), key: full(key), message: "missing; \(required)"))
            }
            return nil
        }
        return value
    }

    private func wrongType(_ key: String, _ expected: String, _ value: TOMLDocument.Value) {
        problem(key, "expected \(expected), got \(value.typeName)")
    }

    mutating func string(_ key: String, required: String? = nil) -> String? {
        guard let v = value(key, required: required) else { return nil }
        guard case .string(let s) = v else { wrongType(key, "a string", v); return nil }
        if s.isEmpty && required != nil { problem(key, "is empty; \(required!)"); return nil }
        return s
    }

    mutating func bool(_ key: String) -> Bool? {
        guard let v = value(key, required: nil) else { return nil }
        guard case .bool(let b) = v else { wrongType(key, "true or false", v); return nil }
        return b
    }

    mutating func number(_ key: String, range: ClosedRange<Double>) -> Double? {
        guard let v = value(key, required: nil) else { return nil }
        let x: Double
        switch v {
        case .double(let d): x = d
        case .integer(let i): x = Double(i)
        default: wrongType(key, "a number", v); return nil
        }
        guard range.contains(x) else {
            problem(key, "must be between \(format(range.lowerBound)) and \(format(range.upperBound)) (got \(format(x)))")
            return nil
        }
        return x
    }

    mutating func integer(_ key: String, range: ClosedRange<Int>, unit: String) -> Int? {
        guard let v = value(key, required: nil) else { return nil }
        guard case .integer(let i) = v else { wrongType(key, "an integer", v); return nil }
        guard range.contains(i) else {
            problem(key, "must be between \(range.lowerBound) and \(range.upperBound)\(unit.isEmpty ? "" : " " + unit) (got \(i))")
            return nil
        }
        return i
    }

    mutating func integers(_ key: String) -> [Int]? {
        guard let v = value(key, required: nil) else { return nil }
        guard case .array(let items) = v else { wrongType(key, "an array of integers", v); return nil }
        var result: [Int] = []
        for item in items {
            guard case .integer(let i) = item else { wrongType(key, "an array of integers", item); return nil }
            result.append(i)
        }
        return result
    }

    mutating func strings(_ key: String) -> [String]? {
        guard let v = value(key, required: nil) else { return nil }
        guard case .array(let items) = v else { wrongType(key, "an array of strings", v); return nil }
        var result: [String] = []
        for item in items {
            guard case .string(let s) = item else { wrongType(key, "an array of strings", item); return nil }
            result.append(s)
        }
        return result
    }

    mutating func table(_ key: String) -> TableReader? {
        guard let v = value(key, required: nil) else { return nil }
        guard case .table(let entries) = v else { wrongType(key, "a table ([\(full(key))])", v); return nil }
        return TableReader(path: full(key), entries: entries, log: log)
    }

    mutating func arrayOfTables(_ key: String, required: String) -> [[(String, TOMLDocument.Value)]]? {
        guard let v = value(key, required: required) else { return nil }
        guard case .array(let items) = v else { wrongType(key, "an array of tables ([[\(key)]])", v); return nil }
        var tables: [[(String, TOMLDocument.Value)]] = []
        for item in items {
            guard case .table(let entries) = item else { wrongType(key, "an array of tables ([[\(key)]])", item); return nil }
            tables.append(entries)
        }
        return tables
    }

    /// Reports every key no reader asked for, with the closest known key as a suggestion.
    func finish() {
        for (key, _) in entries where !asked.contains(key) {
            problem(key, "unknown key\(suggestion(key, asked)); known keys here: \(asked.joined(separator: ", "))")
        }
    }
}

/// ` (did you mean "listen"?)` when a known key is within a small edit distance, else empty.
func suggestion(_ word: String, _ candidates: [String]) -> String {
    var best: (String, Int)?
    for candidate in candidates {
        let d = editDistance(word, candidate)
        if d <= max(2, candidate.count / 3), best == nil || d < best!.1 { best = (candidate, d) }
    }
    return best.map { " (did you mean \"\($0.0)\"?)" } ?? ""
}

/// Levenshtein distance over characters.
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous = Array(0...b.count)
    var current = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
        current[0] = i
        for j in 1...b.count {
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        swap(&previous, &current)
    }
    return previous[b.count]
}

/// 10 → "10", 0.5 → "0.5": numbers as a person writes them in the file.
func format(_ x: Double) -> String {
    x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : String(x)
}

extension String {
    func trimmingWhitespace() -> String {
        var s = Substring(self)
        while let first = s.first, first.isWhitespace { s = s.dropFirst() }
        while let last = s.last, last.isWhitespace { s = s.dropLast() }
        return String(s)
    }
}

