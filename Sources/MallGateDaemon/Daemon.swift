internal import Glibc
public import Logging
internal import MallGateIdentify
internal import MallGateState
internal import MallGateVenue
internal import MallGateStore
internal import MallGateSystem
internal import MallGateWeb
internal import Prometheus
internal import ServiceLifecycle
internal import UnixSignals

/// Starts the daemon's services in one group: what `mallgate run` and `mallgate replay` call.
public enum Daemon {
    /// Why the daemon could not start: the configuration, the venue or model, or the state directory.
    public struct StartError: Error, CustomStringConvertible {
        public let description: String
    }

    /// Routes swift-log to stderr (journald priorities when under systemd). Call once per process.
    public static func bootstrapLogging(level: Logger.Level) {
        LoggingSystem.bootstrap { label in JournalLogHandler(label: label, level: level) }
    }

    /// Loads and checks everything `run` needs before anything starts: the configuration, then venue and model.
    /// - Throws: ``ConfigurationError`` (every problem, one per line) or ``PipelineModel/LoadError``.
    public static func prepare(configPath: String) throws -> (DaemonConfiguration, PipelineModel) {
        let configuration = try DaemonConfiguration.load(path: configPath)
        let model = try PipelineModel.load(configuration)
        return (configuration, model)
    }

    /// Runs the pipeline (and the metrics endpoint) until SIGTERM/SIGINT, or until the sources end when
    /// `options.exitWhenSourcesEnd`; everything is flushed before it returns.
    ///
    /// - Parameters:
    ///   - sources: replaces the configuration's sources (replay).
    ///   - serveMetrics: serve `GET /metrics` on the configured address (if enabled there).
    ///   - serveWeb: serve the web UI on the configured address (if enabled there): `mallgate run`
    ///     does, `mallgate replay` does not (it ends with its files, and must not take the running
    ///     agent's port).
    ///   - watch: runs beside the pipeline (a progress bar) and is cancelled when it stops.
    ///   - sync: upload to the collector, and pull models and venues from it, while running, when
    ///     `[upstream]` is configured (`run`; not `replay`).
    /// - Returns: what the pipeline did.
    public static func run(
        configuration: DaemonConfiguration, model: PipelineModel, sources: [SourceConfiguration]? = nil,
        options: PipelineService.Options, serveMetrics: Bool, serveWeb: Bool = false, logger: Logger,
        watch: (@Sendable (PipelineService) async -> Void)? = nil, sync: Bool = false
    ) async throws -> PipelineService.Summary? {
        MallocTuning.fixThresholds()
        var options = options
        let live = (sources ?? configuration.sources).contains { $0.isLive }
        let sink = try BufferSink(configuration: configuration, live: live, logger: logger)
        let identifier: DeviceIdentifier
        do { identifier = try makeIdentifier(configuration, logger: logger) } catch {
            try? await sink.close()
            throw error
        }
        let registry = PrometheusCollectorRegistry()
        MetricsEndpoint.bootstrap(registry)
        var syncService: SyncService?
        if sync, let upstream = configuration.upstream {
            do {
                syncService = try SyncService(
                    upstream: upstream, database: sink.database, venueID: model.venue.id, zoneIDs: model.venue.zones.map(\.id), logger: logger)
            } catch {
                try? await sink.close()
                throw error
            }
            options.syncStatus = syncService?.board
        }
        let service = PipelineService(
            configuration: configuration, model: model, identifier: identifier, sink: sink,
            sources: sources, options: options, logger: logger)
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: service, successTerminationBehavior: .gracefullyShutdownGroup)
        ]
        if serveMetrics && configuration.metrics.enabled {
            services.append(.init(service: MetricsEndpoint.service(
                registry: registry, host: configuration.metrics.host, port: configuration.metrics.port, logger: logger)))
        }
        if serveWeb, configuration.web.enabled, let code = configuration.web.accessCode {
            let firstVisit = (try? await sink.database.lastRowID(.visits)) ?? 0
            let backend = PipelineWebBackend(service: service, identifier: identifier, database: sink.database, live: live, firstVisit: firstVisit)
            // A web UI that cannot listen is logged, not fatal: capture goes on without it.
            services.append(.init(
                service: WebUI(options: .init(host: configuration.web.host, port: configuration.web.port, accessCode: code.value), backend: backend, logger: logger),
                successTerminationBehavior: .ignore, failureTerminationBehavior: .ignore))
        }
        // Like uploading, pulling belongs to `run`: a replay reprocesses captures offline.
        if sync, let puller = ArtifactPullService(configuration: configuration, pipeline: service, logger: logger) {
            // Returns only on shutdown; if it ever stops early the pipeline keeps running.
            services.append(.init(service: puller, successTerminationBehavior: .ignore, failureTerminationBehavior: .ignore))
        }
        // Last in the list, so graceful shutdown (in reverse order) stops it before the pipeline closes the buffer.
        if let syncService { services.append(.init(service: syncService)) }
        let group = ServiceGroup(configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            if let watch {
                tasks.addTask { await watch(service) }
            }
            try await group.run()
            tasks.cancelAll()
        }
        return service.summary
    }
}

extension Daemon {
    /// The identify stage: the venue's key from `STATE/identity.key` (created 0600 on first run),
    /// the opt-out list from `[privacy] opt_out_file`, and the rotation.
    /// - Throws: ``StartError`` naming the key or opt-out file and what is wrong with it.
    static func makeIdentifier(_ configuration: DaemonConfiguration, logger: Logger) throws(StartError) -> DeviceIdentifier {
        let key: IdentityKey
        do {
            let loaded = try IdentityKeyFile.loadOrCreate(stateDirectory: configuration.stateDirectory)
            key = loaded.key
            if loaded.created {
                logger.notice("Created a new identity key; device ids start afresh.", metadata: ["file": "\(configuration.stateDirectory)/\(IdentityKeyFile.fileName)"])
            }
        } catch {
            throw StartError(description: "\(error)")
        }
        var optOut = OptOutList(key: key)
        if let path = configuration.privacy.optOutFile {
            do { optOut = try OptOutFile.load(path: path, key: key) } catch {
                throw StartError(description: "\(error); fix or remove the file named by [privacy] opt_out_file in \(configuration.file)")
            }
            logger.info("Opt-out list loaded.", metadata: ["entries": "\(optOut.count)"])
        }
        let rotation: Rotation =
            switch configuration.privacy.rotation {
            case .never: .never
            case .daily: .daily
            case .weekly: .weekly
            }
        return DeviceIdentifier(key: key, rotation: rotation, optOut: optOut)
    }
}

/// Reads the metrics page of a running daemon: a plain HTTP/1.0 GET with a short timeout.
///
/// `mallgate status` only needs to know whether the endpoint answers and a few totals; a
/// few lines of socket code avoid starting an event loop for one request.
public enum MetricsProbe {
    /// The body of `GET /metrics` at `host:port`, or nil when nothing answers within `timeoutSeconds`.
    public static func fetch(host: String, port: Int, timeoutSeconds: Int = 1) -> String? {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &result) == 0, let info = result else { return nil }
        defer { freeaddrinfo(result) }
        let fd = socket(info.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        guard connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 else { return nil }
        let request = Array("GET /metrics HTTP/1.0\r\nHost: \(host)\r\n\r\n".utf8)
        guard send(fd, request, request.count, Int32(MSG_NOSIGNAL)) == request.count else { return nil }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16384)
        while true {
            let n = recv(fd, &chunk, chunk.count, 0)
            if n <= 0 { break }
            bytes += chunk[0..<n]
        }
        let text = String(decoding: bytes, as: UTF8.self)
        guard text.hasPrefix("HTTP/1.") , text.split(separator: " ").dropFirst().first == "200",
              let split = text.firstRange(of: "\r\n\r\n") else { return nil }
        return String(text[split.upperBound...])
    }

    /// The sum of a metric's samples (all label sets) in a Prometheus text page.
    public static func total(_ name: String, in page: String) -> Double? {
        var sum: Double?
        for line in page.split(separator: "\n") where line.hasPrefix(name) {
            let rest = line.dropFirst(name.count)
            guard rest.first == " " || rest.first == "{" else { continue }
            if let value = line.split(separator: " ").last.flatMap({ Double($0) }) { sum = (sum ?? 0) + value }
        }
        return sum
    }
}
