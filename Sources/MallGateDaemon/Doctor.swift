internal import FoundationEssentials
internal import Glibc
public import MallGateSync

/// One finding of `mallgate doctor`: what was checked, how it stands, and what to do about it.
///
/// A technician on site reads one line per check; fleet tooling reads the same values as JSON,
/// so both get the fix, not only the symptom.
public struct DoctorCheck: Sendable, Equatable, Codable {
    /// How a check came out; only ``fail`` makes `mallgate doctor` exit non-zero.
    public enum Status: String, Sendable, Codable, Comparable {
        case ok, warn, fail

        /// The word printed at the start of the line: `ok`, `warn`, `FAIL` (capitals so it stands out).
        public var label: String { self == .fail ? "FAIL" : rawValue }

        private var rank: Int { self == .ok ? 0 : self == .warn ? 1 : 2 }
        public static func < (a: Status, b: Status) -> Bool { a.rank < b.rank }
    }

    /// Stable id for fleet tooling: `config`, `model`, `interface.wlan1`, `capabilities`, `clock`, `disk`, `database`, `kernel-drops`, `upstream`.
    public var id: String
    public var status: Status
    /// What was found, naming the file, interface or host.
    public var message: String
    /// What to do; empty when nothing needs doing.
    public var fix: String

    public init(id: String, status: Status, message: String, fix: String = "") {
        self.id = id
        self.status = status
        self.message = message
        self.fix = fix
    }

    /// `ok    id: message` and, when there is one, `; fix: …`.
    public var line: String {
        let head = status.label.padding(4) + "  " + id + ": " + message
        return fix.isEmpty ? head : head + " — fix: " + fix
    }
}

/// Everything `mallgate doctor` found, in the order checked.
public struct DoctorReport: Sendable, Equatable, Codable {
    public var checks: [DoctorCheck]

    public init(checks: [DoctorCheck]) { self.checks = checks }

    /// Whether any check failed: the exit status of `mallgate doctor`.
    public var failed: Bool { checks.contains { $0.status == .fail } }

    /// The check with this id, if it ran.
    public subscript(id: String) -> DoctorCheck? { checks.first { $0.id == id } }

    /// One line per check, for a terminal.
    public var text: String { checks.map { $0.line + "\n" }.joined() }

    /// One JSON object `{"checks":[{"id","status","message","fix"}…],"failed":Bool}`, for fleet tooling.
    public var json: String {
        struct Document: Encodable {
            var checks: [DoctorCheck]
            var failed: Bool
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(Document(checks: checks, failed: failed)) else { return "{\"checks\":[],\"failed\":true}" }
        return String(decoding: data, as: UTF8.self)
    }
}

/// Whether the system clock is disciplined by NTP, as the kernel sees it.
public enum ClockSync: Sendable, Equatable {
    case synchronised
    /// `detail` says how it was found out (e.g. `adjtimex: STA_UNSYNC set`).
    case unsynchronised(detail: String)
    case unknown(detail: String)
}

/// Every system probe `mallgate doctor` makes, injectable so tests induce faults without root or hardware.
///
/// The defaults read the real machine; a test replaces a path (a fake sysfs or /proc tree in a
/// temporary directory) or a closure (an unsynchronised clock, a nearly full disk).
public struct DoctorEnvironment: Sendable {
    /// Where network interfaces are listed: `/sys/class/net` (each interface a directory with a `type` file).
    public var netClassDirectory: String = "/sys/class/net"
    /// The process status file whose `CapEff:` line gives the effective capabilities: `/proc/self/status`.
    public var processStatusFile: String = "/proc/self/status"
    /// Whether the clock is synchronised (default: `adjtimex(2)`).
    public var clockSync: @Sendable () -> ClockSync = DoctorEnvironment.adjtimexClockSync
    /// Free bytes for an unprivileged user on the filesystem holding a path (`statvfs`), nil when it cannot be asked.
    public var freeBytes: @Sendable (String) -> UInt64? = DoctorEnvironment.statvfsFreeBytes
    /// Whether a directory exists and this process may create files in it.
    public var isWritableDirectory: @Sendable (String) -> Bool = DoctorEnvironment.accessWritableDirectory
    /// `PRAGMA quick_check` of a SQLite database: its output, or nil when no checker is available.
    public var sqliteQuickCheck: @Sendable (String) -> String? = DoctorEnvironment.sqliteCLIQuickCheck
    /// Opens a TCP connection to host:port within the timeout: nil on success, else why it failed.
    public var tcpConnect: @Sendable (_ host: String, _ port: Int, _ timeoutSeconds: Double) -> String? = DoctorEnvironment.posixTCPConnect
    /// Unix time now, in seconds (to age the daemon's status file).
    public var now: @Sendable () -> Double = { DaemonStatus.now() }
    /// Where `token_env` is looked up when the configuration is loaded.
    public var processEnvironment: [String: String] = ProcessEnvironment.current
    /// How long the upstream connection may take.
    public var upstreamTimeoutSeconds: Double = 3
    /// `iw dev NAME info` for a radio: its output, or nil when iw is missing or the radio unknown.
    public var radioInfo: @Sendable (String) -> String? = DoctorEnvironment.iwDeviceInfo
    /// `iw reg get`: the regulatory domain, or nil when iw is missing.
    public var regulatoryDomain: @Sendable () -> String? = DoctorEnvironment.iwRegulatoryDomain
    /// Asks the collector whose token this is (`GET /v1/whoami`, with the upload's TLS settings).
    public var upstreamProbe: @Sendable (_ upstream: UpstreamConfiguration, _ timeoutSeconds: Double) -> UpstreamProbeResult = DoctorEnvironment.whoami

    /// The real probe: async-http-client with the uploader's TLS configuration.
    @Sendable public static func whoami(_ upstream: UpstreamConfiguration, _ timeoutSeconds: Double) -> UpstreamProbeResult {
        UpstreamProbe.whoami(SyncService.uploaderConfiguration(upstream), timeout: .milliseconds(Int64(timeoutSeconds * 1000)))
    }

    public init() {}
}

/// `mallgate doctor`'s checks: what fails in the field, each with its fix.
public enum Doctor {
    /// Free space below this in the state directory fails the check: the daemon cannot buffer a day of a busy mall.
    public static let minimumFreeBytes: UInt64 = 64 << 20

    /// Runs every check for the configuration file at `configurationPath`.
    ///
    /// When the configuration itself cannot be loaded, that is the only check reported: the
    /// others need its paths and sources.
    public static func run(configurationPath: String, environment: DoctorEnvironment = .init()) -> DoctorReport {
        let configuration: DaemonConfiguration
        do {
            configuration = try DaemonConfiguration.load(path: configurationPath, environment: environment.processEnvironment)
        } catch {
            let problems = error.problems.map(\.description).joined(separator: "; ")
            return DoctorReport(checks: [DoctorCheck(
                id: "config", status: .fail, message: problems,
                fix: "correct the file as each problem says, then run `mallgate config check \(configurationPath)`")])
        }
        var checks = [DoctorCheck(id: "config", status: .ok, message: "\(configurationPath) is valid (\(configuration.sources.count) source(s))")]
        checks.append(checkModel(configuration))
        checks += checkInterfaces(configuration, environment)
        checks += checkChannels(configuration, environment)
        checks.append(checkCapabilities(configuration, environment))
        checks.append(checkClock(environment))
        checks.append(checkDisk(configuration, environment))
        checks.append(checkDatabase(configuration, environment))
        checks.append(checkKernelDrops(configuration, environment))
        if let upstream = configuration.upstream { checks.append(checkUpstream(upstream, environment)) }
        return DoctorReport(checks: checks)
    }
}

extension String {
    /// The string padded with spaces on the right to `width` characters.
    func padding(_ width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
}
