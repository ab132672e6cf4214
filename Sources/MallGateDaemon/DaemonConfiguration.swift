internal import Glibc
internal import MallGateVisits

/// The daemon's whole configuration, one `Sendable` value per concern, loaded and validated once.
///
/// One typed value (rather than lookups scattered through the code) means every key is
/// checked at start — and by `mallgate config check`, which runs the same loader — so a
/// typo fails the service before it runs, not hours later when the code path is reached.
/// Keys, defaults and meanings are listed in firmware-configs/gateway.toml and docs/daemon.md.
public struct DaemonConfiguration: Sendable, Equatable {
    /// The configuration file this was read from (for messages and reloads).
    public var file: String
    /// The venue layout (JSON), absolute or relative to the configuration file.
    public var venuePath: String
    /// The localization model (`.mgm` from `mallgate train`) for that venue.
    public var modelPath: String
    /// Where the daemon keeps its state: status file, database, keys.
    public var stateDirectory: String
    public var sources: [SourceConfiguration]
    /// Where results are uploaded; nil when the gateway keeps them locally.
    public var upstream: UpstreamConfiguration?
    public var privacy: PrivacyConfiguration
    public var retention: RetentionConfiguration
    public var windows: WindowConfiguration
    public var visits: VisitConfiguration
    public var metrics: MetricsConfiguration
    public var health: HealthConfiguration
    /// The web UI (installation view, calibration, training, "where am I", dashboard); off by default.
    public var web: WebConfiguration = .init()

    public init(
        file: String, venuePath: String, modelPath: String, stateDirectory: String, sources: [SourceConfiguration],
        upstream: UpstreamConfiguration? = nil, privacy: PrivacyConfiguration = .init(), retention: RetentionConfiguration = .init(),
        windows: WindowConfiguration = .init(), visits: VisitConfiguration = .init(), metrics: MetricsConfiguration = .init(),
        health: HealthConfiguration = .init()
    ) {
        self.file = file
        self.venuePath = venuePath
        self.modelPath = modelPath
        self.stateDirectory = stateDirectory
        self.sources = sources
        self.upstream = upstream
        self.privacy = privacy
        self.retention = retention
        self.windows = windows
        self.visits = visits
        self.metrics = metrics
        self.health = health
    }
}

/// One `[[sources]]` entry: where frames come from.
public struct SourceConfiguration: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// A pcap/pcapng file replayed once, losslessly.
        case file(path: String)
        /// A directory of capture files, one per sensor (base name = sensor id), merged in time order.
        case directory(path: String)
        /// Several capture files, one per sensor (base name = sensor id), merged in time order:
        /// what `mallgate replay` makes of its arguments (not a configuration file kind).
        case files(paths: [String])
        /// A pcap stream (FIFO, pipe from tcpdump/ssh) read as it arrives.
        case stream(path: String)
        /// A monitor-mode radio, with the channels it listens on.
        case interface(name: String, channels: [Int], dwellMilliseconds: Int, monitorMode: Bool)
        /// A UDP listener for remote sensors speaking TZSP.
        case tzsp(port: UInt16, bindAddress: String, allowedSenders: [String])
        /// TZSP from several remote sensors on one port, each datagram attributed by its sender's address.
        case tzspSenders(port: UInt16, bindAddress: String, senders: [TZSPSender])
    }

    public var kind: Kind
    /// The sensor id (a sensor of the venue); empty for a directory, whose files name their sensors.
    public var sensor: String
    /// Replay pacing of a file or directory (1 at recorded speed, 10 ten times faster); nil as fast
    /// as possible. Lets a demo or a browser test watch a recorded venue unfold live under `mallgate run`.
    public var speed: Double?

    public init(kind: Kind, sensor: String, speed: Double? = nil) {
        self.kind = kind
        self.sensor = sensor
        self.speed = speed
    }

    /// Whether the source is a live one: it never waits for the pipeline (drops when behind) and is retried when it fails.
    public var isLive: Bool {
        switch kind {
        case .file, .files, .directory: false
        case .stream, .interface, .tzsp, .tzspSenders: true
        }
    }

    /// The venue sensors this source delivers: its `sensor`, or each sensor of a TZSP sender map
    /// (empty for a directory, whose sensors are its files' names).
    public var sensorNames: [String] {
        if case .tzspSenders(_, _, let senders) = kind {
            var names: [String] = []
            for sender in senders where !names.contains(sender.sensor) { names.append(sender.sensor) }
            return names
        }
        return sensor.isEmpty ? [] : [sensor]
    }

}

/// One remote TZSP sensor: the address its datagrams come from and the venue sensor it is.
public struct TZSPSender: Sendable, Equatable {
    public var address: String
    public var sensor: String
    public init(address: String, sensor: String) {
        self.address = address
        self.sensor = sensor
    }
}

/// The upstream collector (issue 6); the token is resolved from a file or an environment variable.
public struct UpstreamConfiguration: Sendable, Equatable {
    public var url: String
    public var token: Secret
    /// This gateway's name at the collector (`mallgate-collector gateway add NAME`); default: the host name.
    public var gatewayID: String = UpstreamConfiguration.hostName()
    /// The most buffer rows sealed into one upload batch.
    public var batchRows: Int = 5000
    /// How often new rows are sealed into batches and the outbox is looked at when idle.
    public var intervalSeconds: Double = 30
    /// TCP connect and TLS handshake timeout.
    public var connectTimeoutSeconds: Double = 10
    /// Longest silence while sending a batch or waiting for the answer.
    public var responseTimeoutSeconds: Double = 30
    /// A whole upload, connect to the answer's last byte.
    public var requestTimeoutSeconds: Double = 120
    /// Backoff ceiling after repeated failures (it starts at 1 s and doubles, with jitter).
    public var backoffMaxSeconds: Double = 300
    /// PEM CA bundle to trust instead of the system's (a private PKI or a self-signed collector).
    public var caFile: String?
    /// Mutual TLS: the gateway's PEM certificate chain and unencrypted key.
    public var clientCertificateFile: String?
    public var clientKeyFile: String?
    /// Verify the collector's certificate (off only in a lab).
    public var verifyTLS = true

    /// How often to ask the collector for a newer model file or venue layout; 0 turns pulling off.
    public var pullIntervalSeconds: Int = 300

    public init(url: String, token: Secret, pullIntervalSeconds: Int = 300) {
        self.url = url
        self.token = token
        self.pullIntervalSeconds = pullIntervalSeconds
    }

    /// The collector's base URL: `url` without a trailing `/` or `/v1` (paths are added per endpoint).
    public var baseURL: String {
        var base = Substring(url)
        while base.hasSuffix("/") { base = base.dropLast() }
        if base.hasSuffix("/v1") { base = base.dropLast(3) }
        return String(base)
    }

    /// `gethostname(2)`, or `gateway` when it cannot be read.
    public static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "gateway" }
        let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return name.isEmpty ? "gateway" : name
    }
}

/// A secret that never prints itself: logs and `config check` show where it came from, not what it is.
public struct Secret: Sendable, Equatable, CustomStringConvertible {
    public let value: String
    /// Where it came from: `file /etc/mallgate/token` or `environment MALLGATE_TOKEN`.
    public let origin: String
    public init(value: String, origin: String) {
        self.value = value
        self.origin = origin
    }
    public var description: String { "<secret from \(origin)>" }
}

/// Anonymisation settings for the identify stage.
public struct PrivacyConfiguration: Sendable, Equatable {
    /// How often device ids are re-keyed, so that ids cannot be linked across periods.
    public enum Rotation: String, Sendable, CaseIterable {
        case never, daily, weekly
    }
    public var rotation: Rotation = .never
    /// The opt-out list: HMAC hashes of the MACs of people who asked to be left out, one per
    /// line (MallGateState `OptOutFile`, written by the opt-out tooling); nil for none.
    public var optOutFile: String?
    /// Group randomized MACs into pseudo-devices (one phone whose MAC changes counts once).
    public var pseudoDevices = true
    public init(rotation: Rotation = .never, optOutFile: String? = nil, pseudoDevices: Bool = true) {
        self.rotation = rotation
        self.optOutFile = optOutFile
        self.pseudoDevices = pseudoDevices
    }
}

/// How much the local buffer may hold.
public struct RetentionConfiguration: Sendable, Equatable {
    /// The database's size cap, in mebibytes: synced rows are pruned first, then the oldest unsynced.
    public var maxDatabaseMegabytes: Int = 512
    public init(maxDatabaseMegabytes: Int = 512) { self.maxDatabaseMegabytes = maxDatabaseMegabytes }
}

/// Fingerprint windows and the venue-graph smoothing.
public struct WindowConfiguration: Sendable, Equatable {
    public var lengthSeconds: Double = 10
    public var stepSeconds: Double = 5
    /// A device heard by no sensor this long is forgotten.
    public var idleTimeoutSeconds: Double = 60
    /// Smooth each device's zone sequence over the venue's connections.
    public var smoothing = true
    /// Smoothing: probability per step that a device moves to a connected zone.
    public var moveProbability: Double = 0.05
    public init() {}
}

/// Store visits and counts. Defaults are the visit stage's own (``StoreVisitTracker/Options``),
/// so `mallgate run`, `replay` and `locate` count visits alike.
public struct VisitConfiguration: Sendable, Equatable {
    private static let stage = StoreVisitTracker.Options()
    public var minimumDwellSeconds: Double = stage.minimumDwellSeconds
    public var exitTimeoutSeconds: Double = stage.exitTimeoutSeconds
    /// Not heard at all this long ends a visit and forgets the device (an idle phone may not probe for minutes).
    public var silenceTimeoutSeconds: Double = stage.silenceTimeoutSeconds
    /// A device's place changes after this many consecutive windows placed elsewhere (or one confident burst).
    public var enterWindows: Int = stage.enterWindows
    /// Length of the per-store count intervals (footfall, passers-by), seconds.
    public var countIntervalSeconds: Int = 900
    public init() {}
}

/// The Prometheus endpoint.
public struct MetricsConfiguration: Sendable, Equatable {
    public var enabled = true
    public var host = "127.0.0.1"
    public var port = 9464
    public init() {}
    /// `host:port`, as written in the configuration.
    public var listen: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// Liveness: silent sensors, the status file, the systemd watchdog.
public struct HealthConfiguration: Sendable, Equatable {
    /// A sensor heard nothing this long is reported silent (an event, a metric, a log line).
    public var sensorSilentAfterSeconds: Double = 300
    /// How often the status file in the state directory is rewritten.
    public var statusIntervalSeconds: Double = 5
    /// First wait before reopening a failed live source; doubles up to ``retryMaxSeconds``.
    public var retryInitialSeconds: Double = 1
    public var retryMaxSeconds: Double = 60
    public init() {}
}

/// The web UI: off unless enabled, and then only with an access code from a file.
public struct WebConfiguration: Sendable, Equatable {
    public var enabled = false
    public var host = "127.0.0.1"
    public var port = 8380
    /// The file the access code was read from (install.sh writes a random one, mode 0640 root:mallgate).
    public var accessCodeFile: String?
    /// Or the environment variable it was read from.
    public var accessCodeEnvironment: String?
    /// The code itself; nil when none is configured (or it is unusable and the UI is off).
    public var accessCode: Secret?
    public init() {}
    /// `host:port`, as written in the configuration.
    public var listen: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
