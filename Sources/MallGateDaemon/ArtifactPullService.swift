internal import MallGateSystem
internal import CoreMetrics
internal import Glibc
public import Logging
internal import MallGateLocalize
public import MallGateState
public import MallGateSync
internal import MallGateVenue
public import ServiceLifecycle

/// Pulls model files and venue layouts the collector publishes for this gateway and switches
/// the pipeline to them (docs/daemon.md, "Installed artifacts").
///
/// A service of its own beside the pipeline and the uploader, so a slow download never
/// holds up capture or upload. An artifact is installed only when, paired with what runs (or
/// with the other new one), it passes every check the daemon's loader makes; then the pipeline
/// reloads between two batches. A refused one is logged, counted
/// (`mallgate_artifacts_refused_total`) and recorded as an event once, and the running one stays.
public final class ArtifactPullService: Service, Sendable {
    private let configuration: DaemonConfiguration
    private let upstream: UpstreamConfiguration
    private let pipeline: PipelineService
    private let logger: Logger

    /// - Returns: nil when there is no `[upstream]` or `pull_interval_seconds = 0`.
    public init?(configuration: DaemonConfiguration, pipeline: PipelineService, logger: Logger) {
        guard let upstream = configuration.upstream, upstream.pullIntervalSeconds > 0 else { return nil }
        self.configuration = configuration
        self.upstream = upstream
        self.pipeline = pipeline
        self.logger = logger
    }

    public func run() async throws {
        var pullerConfiguration = ArtifactPullerConfiguration(url: upstream.baseURL, token: upstream.token.value)
        pullerConfiguration.interval = .seconds(upstream.pullIntervalSeconds)
        // The same collector as the uploads: the same trust (CA bundle, mutual TLS, verification) and connect timeout.
        let uploader = SyncService.uploaderConfiguration(upstream)
        pullerConfiguration.tls = uploader.tls
        pullerConfiguration.connectTimeout = uploader.connectTimeout
        let store = ArtifactStore(stateDirectory: configuration.stateDirectory)
        let configuration = self.configuration
        let pipeline = self.pipeline
        let puller: ArtifactPuller
        do { puller = try ArtifactPuller(
            configuration: pullerConfiguration, store: store, logger: logger,
            inUse: {
                guard let p = pipeline.modelProvenance else { return [:] }
                return [.venue: p.venueSHA256, .model: p.modelSHA256]
            },
            verify: { venue, model in
                try PipelineModel.verifyArtifacts(configuration: configuration, running: pipeline.modelProvenance, venue: venue, model: model)
            },
            nowUnixMs: { Int64(time(nil)) * 1000 })
        } catch {
            logger.error("Cannot pull models and venue layouts; the ones in use stay.", metadata: ["error": "\(error)"])
            return
        }
        logger.info("Pulling models and venue layouts from the collector.", metadata: [
            "url": "\(pullerConfiguration.artifactURL(.model))", "interval_s": "\(upstream.pullIntervalSeconds)",
        ])
        await cancelWhenGracefulShutdown {
            await puller.run { result in await self.apply(result, store: store) }
        }
        try? await puller.shutdown()
    }

    /// Reloads after an install, records events and counts refusals.
    private func apply(_ result: ArtifactPollResult, store: ArtifactStore) async {
        for refusal in result.refused {
            DaemonMetrics.artifactsRefused(refusal.kind.rawValue).increment()
        }
        var events = result.refused.map { r in
            PipelineEvent(timeNanoseconds: Int64(time(nil)) * 1_000_000_000, kind: .artifactRefused,
                          detail: "\(r.kind) \(r.sha256.prefix(12)) from the collector refused: \(r.reason)")
        }
        events += result.installed.map { a in
            PipelineEvent(timeNanoseconds: Int64(time(nil)) * 1_000_000_000, kind: .artifactInstalled,
                          detail: "\(a.kind) \(a.manifest.sha256.prefix(12)) installed from the collector (layout \(a.manifest.layoutHashHex))")
        }
        if !events.isEmpty { await pipeline.record(events) }
        guard !result.installed.isEmpty else { return }
        for artifact in result.installed { DaemonMetrics.artifactsInstalled(artifact.kind.rawValue).increment() }
        await pipeline.reload()
        // The loader must now run what was installed; if it does not, say so (the notes say why).
        let running = pipeline.modelProvenance
        for artifact in result.installed {
            let sha = artifact.kind == .model ? running?.modelSHA256 : running?.venueSHA256
            if sha != artifact.manifest.sha256 {
                logger.error("An installed artifact is not in use after the reload.", metadata: ["kind": "\(artifact.kind)", "sha256": "\(artifact.manifest.sha256)"])
            }
        }
    }
}

extension PipelineModel {
    /// Checks a new venue and/or model before it is installed: the pair (the new venue or the
    /// running one, the new model or the running one) must load exactly as the daemon loads it.
    ///
    /// What the puller, `mallgate artifacts install` and the web UI's "accept" all call, so an
    /// artifact that would not run is never installed.
    /// - Parameters:
    ///   - running: the venue and model in use (``provenance`` of the loaded model); nil: the configuration's files.
    ///   - venue, model: the new bytes, or nil to keep the running one.
    /// - Returns: the identity of each new one, for the ``ArtifactStore`` manifest.
    /// - Throws: why the pair cannot run (``LoadError``, or ``PullRefusal`` when a running file cannot be read).
    public static func verifyArtifacts(
        configuration: DaemonConfiguration, running: PipelineModel.Provenance?, venue: [UInt8]?, model: [UInt8]?
    ) throws -> (venue: ArtifactIdentity?, model: ArtifactIdentity?) {
        guard let configured = readWholeFile(configuration.venuePath) else {
            throw PullRefusal(description: "\(configuration.venuePath): cannot read the configured venue (\(String(cString: strerror(errno))))")
        }
        let configuredVenue = try VenueFile.decode(configured, fileName: configuration.venuePath)
        func candidate(_ new: [UInt8]?, _ kind: ArtifactKind, path: String?, sha: String?, source: ArtifactSource?) throws -> PipelineModel.Candidate {
            if let new { return .init(path: "\(kind) from the collector", bytes: new, source: .pulled, sha256: ArtifactStore.sha256Hex(new)) }
            guard let path, let bytes = readWholeFile(path) else {
                throw PullRefusal(description: "the running \(kind) file cannot be read to check the new one against it")
            }
            return .init(path: path, bytes: bytes, source: source ?? .config, sha256: sha ?? ArtifactStore.sha256Hex(bytes))
        }
        let venueFile = try candidate(venue, .venue, path: running?.venuePath ?? configuration.venuePath, sha: running?.venueSHA256, source: running?.venueSource)
        let modelFile = try candidate(model, .model, path: running?.modelPath ?? configuration.modelPath, sha: running?.modelSHA256, source: running?.modelSource)
        let loaded = try PipelineModel.make(configuration, venue: venueFile, model: modelFile, configuredVenueID: configuredVenue.id)
        return (
            venue.map { ArtifactIdentity(venueID: loaded.venue.id, layoutHash: LayoutHash.fnv1a64($0)) },
            model.map { _ in ArtifactIdentity(venueID: loaded.model.venueID, layoutHash: loaded.model.layoutHash) }
        )
    }
}
