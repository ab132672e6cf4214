internal import CoreMetrics
internal import Glibc
public import Logging
internal import MallGateCapture
internal import MallGateDecode
public import MallGateIdentify
public import MallGateStore
internal import MallGateVenue
public import ServiceLifecycle
internal import Synchronization
internal import UnixSignals

/// The daemon's pipeline as a service: capture sources → ``PipelineEngine`` → ``BufferSink``.
///
/// One task per source hands its capture session's batches to the engine and the results
/// to the sink; a live source that fails is reopened with exponential backoff while the
/// others keep running. A one-second tick closes idle visits, notices silent sensors,
/// writes the status file and feeds the systemd watchdog — only after the engine has
/// answered, so a stuck pipeline stops the pings. SIGHUP reloads venue, model and
/// configuration between two batches; graceful shutdown (SIGTERM/SIGINT through the
/// ServiceGroup) stops capture, drains every queued batch, flushes the engine and closes the store.
public final class PipelineService: Service, Sendable {
    /// How the service runs.
    public struct Options: Sendable {
        /// `run` or `replay`, for the status file.
        public var mode = "run"
        /// Return when every source has ended (replay); otherwise keep running until shutdown.
        public var exitWhenSourcesEnd = false
        /// Replay pacing: nil as fast as possible, 1 at recorded speed, 2 twice as fast…
        public var speed: Double?
        /// Reload on SIGHUP.
        public var reloadOnHangup = true
        /// The sync service's state, shown in the status file and the STATUS= line (nil: no sync).
        public var syncStatus: SyncStatusBoard?
        public init() {}
    }

    /// What ``run()`` did, for the replay summary.
    public struct Summary: Sendable {
        public var counters: PipelineEngine.Counters
        public var sensors: [DaemonStatus.Sensor]
        public var elapsedSeconds: Double
        public var captureErrors: [String]
        public var devicesSeen: Int
        /// Per store: visits, visitors, passers-by and median dwell, read back from the
        /// database (rows written by this run only).
        public var stores: [StoreVisitSummary]
        /// What the store reported at the end.
        public var sink: SinkStatistics
    }

    private struct SourceTotals {
        var frames: UInt64 = 0
        var probeRequests: UInt64 = 0
        var edge: UInt64 = 0
        var kernel: UInt64 = 0
        var interface: UInt64 = 0
        var decode: UInt64 = 0
        var restarts: UInt64 = 0
        var bytesRead: UInt64 = 0
    }

    private struct State {
        var stopping = false
        var sessions: [Int: CaptureSession] = [:]
        /// Sources being opened on their own threads, answered with nil at shutdown.
        var opening: [Int: PendingOpen] = [:]
        var totals: [String: SourceTotals] = [:]
        var captureErrors: [String] = []
        var configuration: DaemonConfiguration
        var lastReloadError: String?
        var summary: Summary?
        var devices: Set<UInt64> = []
        /// Skipped probe requests already counted in the metrics: (opted out, implausible signal, unknown sensor).
        var skippedCounted: (UInt64, UInt64, UInt64) = (0, 0, 0)
        var sourcesRunning = 0
        /// Where the running venue and model came from (installed artifact or configuration).
        var provenance: PipelineModel.Provenance?
    }

    public let engine: PipelineEngine
    private let sink: BufferSink
    private let sources: [SourceConfiguration]
    private let options: Options
    private let notifier: SystemdNotifier
    private let logger: Logger
    private let state: Mutex<State>
    private let started = wallSeconds()

    /// - Parameters:
    ///   - configuration: the loaded configuration; `sources` overrides its sources (replay).
    ///   - model: the venue and model from ``PipelineModel/load(_:)``.
    ///   - identifier: the identify stage (key, rotation, opt-out list).
    ///   - sink: the store stage.
    public init(
        configuration: DaemonConfiguration, model: PipelineModel, identifier: DeviceIdentifier, sink: BufferSink,
        sources: [SourceConfiguration]? = nil, options: Options = Options(), notifier: SystemdNotifier = SystemdNotifier(), logger: Logger
    ) {
        engine = PipelineEngine(model: model, configuration: configuration, identifier: identifier)
        self.sink = sink
        self.sources = sources ?? configuration.sources
        self.options = options
        self.notifier = notifier
        self.logger = logger
        var initial = State(configuration: configuration)
        initial.provenance = model.provenance
        state = Mutex(initial)
        startNotes = model.notes
    }

    private let startNotes: [String]

    /// Where the running venue and model came from; nil when built in memory.
    public var modelProvenance: PipelineModel.Provenance? { state.withLock { $0.provenance } }

    /// Writes events to the store beside the pipeline's own (the artifact puller's installs and refusals).
    public func record(_ events: [PipelineEvent]) async {
        await write(PipelineOutput(events: events))
    }

    /// Totals so far, for a progress bar: bytes read from capture files, and probe requests processed.
    public func progress() -> (bytesRead: UInt64, probeRequests: UInt64) {
        state.withLock { s in
            var bytes: UInt64 = 0
            var probes: UInt64 = 0
            for (_, t) in s.totals {
                bytes += t.bytesRead
                probes += t.probeRequests
            }
            return (bytes, probes)
        }
    }

    /// What the last ``run()`` did; nil before it returns.
    public var summary: Summary? { state.withLock { $0.summary } }

    /// The configuration in use (after reloads); why the last reload was refused, nil when it worked.
    public var currentConfiguration: DaemonConfiguration { state.withLock { $0.configuration } }
    public var lastReloadError: String? { state.withLock { $0.lastReloadError } }

    public func run() async throws {
        let start = monotonicNanoseconds()
        // Rows before this mark were written by earlier runs: the summary leaves them out.
        let firstVisit = (try? await sink.database.lastRowID(.visits)) ?? 0
        await write(PipelineOutput(events: [PipelineEvent(timeNanoseconds: wallNanoseconds(), kind: .started, detail: "mallgate \(options.mode) started")]))
        logger.info("Pipeline started.", metadata: ["sources": "\(sources.count)", "mode": "\(options.mode)", "model": "\(state.withLock { $0.provenance }?.description ?? "-")"])
        await reportNotes(startNotes)
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { auxiliary in
                auxiliary.addTask { await self.tickLoop() }
                if options.reloadOnHangup { auxiliary.addTask { await self.hangupLoop() } }
                notifier.send("READY=1\nSTATUS=capturing from \(sources.count) source(s)")
                await withTaskGroup(of: Void.self) { group in
                    for (index, source) in sources.enumerated() {
                        group.addTask { await self.supervise(index: index, source) }
                    }
                }
                if !options.exitWhenSourcesEnd {
                    // Every source ended (files in `run`): stay up, serving metrics, until told to stop.
                    while !isStopping() { try? await Task.sleep(for: .milliseconds(200)) }
                }
                auxiliary.cancelAll()
            }
        } onGracefulShutdown: {
            self.stop()
        }
        notifier.send("STOPPING=1")
        while let part = await engine.flushWindows(limit: PipelineEngine.windowsPerPart) { await write(part) }
        // A replay's captures are over: visits still open end with them, as in `locate`.
        var out = await engine.flush(captureEnd: options.exitWhenSourcesEnd ? await engine.latestCaptureNanoseconds : nil)
        out.events.append(PipelineEvent(timeNanoseconds: wallNanoseconds(), kind: .stopped, detail: "mallgate \(options.mode) stopped"))
        await write(out)
        await writeStatus(intervalSeconds: 0)
        let counters = await engine.counters
        let sensors = await statusSensors()
        let elapsed = Double(monotonicNanoseconds() - start) / 1e9
        let stores: [StoreVisitSummary]
        do { stores = try await sink.database.visitSummary(afterID: firstVisit) } catch {
            logger.error("Cannot read the visits back from the store.", metadata: ["error": "\(error)"])
            stores = []
        }
        let sinkStatistics = await sink.statistics()
        do { try await sink.close() } catch {
            logger.error("The store could not be closed cleanly.", metadata: ["error": "\(error)"])
        }
        state.withLock { s in
            s.summary = Summary(
                counters: counters, sensors: sensors, elapsedSeconds: elapsed, captureErrors: s.captureErrors,
                devicesSeen: s.devices.count, stores: stores, sink: sinkStatistics)
        }
        logger.info("Pipeline stopped; everything flushed.", metadata: ["positions": "\(counters.positions)", "visits": "\(counters.visits)"])
    }

    /// Stops every source; queued batches are still processed and flushed by ``run()``.
    public func stop() {
        let (sessions, opening) = state.withLock { s in
            s.stopping = true
            defer { s.opening = [:] }
            return (Array(s.sessions.values), Array(s.opening.values))
        }
        for session in sessions { session.stop() }
        for pending in opening { pending.answer(nil) }
    }

    private func isStopping() -> Bool { state.withLock { $0.stopping } }

    // MARK: Sources

    /// Runs one source until it ends (replay) or until shutdown (live, reopened with backoff after failures).
    private func supervise(index: Int, _ source: SourceConfiguration) async {
        let configuration = state.withLock { s in
            s.sourcesRunning += 1
            return s.configuration
        }
        defer { state.withLock { $0.sourcesRunning -= 1 } }
        var delay = configuration.health.retryInitialSeconds
        let name = source.sensor.isEmpty ? source.label : source.sensor
        var attempt = 0
        while !isStopping() {
            attempt += 1
            let opened: (any FrameSource, ChannelHopper?)
            do {
                guard let result = try await openOffThePool(index: index, source) else { return }
                opened = result
            } catch {
                logger.error("Cannot open a capture source; retrying.", metadata: ["sensor": "\(name)", "error": "\(error)", "retry_in_s": "\(format(delay))"])
                await write(PipelineOutput(events: [PipelineEvent(timeNanoseconds: wallNanoseconds(), kind: .sourceFailed, sensor: name, detail: "\(error)")]))
                if !source.isLive {
                    state.withLock { $0.captureErrors.append("\(error)") }
                    return
                }
                DaemonMetrics.sourceRestarts(name).increment()
                state.withLock { $0.totals[name, default: SourceTotals()].restarts += 1 }
                await pause(seconds: delay)
                delay = min(delay * 2, configuration.health.retryMaxSeconds)
                continue
            }
            let session = CaptureSession(sources: [(opened.0, source.isLive)])
            let hopper = opened.1.map { hopper in Task { try await hopper.run() } }
            let proceed = state.withLock { s in
                s.sessions[index] = session
                return !s.stopping
            }
            if !proceed { session.stop() }
            if attempt > 1 { logger.notice("Capture source reopened.", metadata: ["sensor": "\(name)"]) }
            var previous = session.statistics()
            var pace: (capture: Int64, wall: Int64)?
            for await var batch in session.start() {
                if let speed = source.speed ?? options.speed, let first = batch.first {
                    // A file source hands over thousands of frames at once (minutes of capture):
                    // paced as one, the pipeline clock would jump by minutes. Each slice of about
                    // 100 ms of wall time goes in when it is due, so a paced replay looks live.
                    let now = monotonicNanoseconds()
                    if pace == nil { pace = (first.timestampNanoseconds, now) }
                    let start = pace!
                    func due(_ o: Observation) -> Int64 { start.wall + Int64(Double(o.timestampNanoseconds - start.capture) / speed) }
                    var from = batch.startIndex
                    while from < batch.endIndex {
                        let sliceDue = due(batch[from])
                        var to = batch.index(after: from)
                        while to < batch.endIndex && due(batch[to]) < sliceDue + 100_000_000 { to = batch.index(after: to) }
                        let wait = sliceDue - monotonicNanoseconds()
                        if wait > 0 { try? await Task.sleep(for: .nanoseconds(wait)) }
                        await write(await engine.process(Array(batch[from..<to]), sensors: session.sensors))
                        from = to
                    }
                } else {
                    await write(await engine.process(batch, sensors: session.sensors))
                }
                session.recycle(&batch)
                previous = account(session.statistics(), since: previous)
                delay = configuration.health.retryInitialSeconds
            }
            hopper?.cancel()
            previous = account(session.statistics(), since: previous)
            let errors = session.errors()
            state.withLock { s in
                s.sessions[index] = nil
                s.captureErrors += errors.map(\.description)
            }
            for error in errors {
                logger.error("Capture source reported an error.", metadata: ["sensor": "\(error.sensor?.rawValue ?? name)", "error": "\(error)"])
                await write(PipelineOutput(events: [PipelineEvent(timeNanoseconds: wallNanoseconds(), kind: .sourceFailed, sensor: error.sensor?.rawValue ?? name, detail: error.description)]))
            }
            if !source.isLive || isStopping() { return }
            logger.warning("Live capture source ended; reopening.", metadata: ["sensor": "\(name)", "retry_in_s": "\(format(delay))"])
            DaemonMetrics.sourceRestarts(name).increment()
            state.withLock { $0.totals[name, default: SourceTotals()].restarts += 1 }
            await pause(seconds: delay)
            delay = min(delay * 2, configuration.health.retryMaxSeconds)
        }
    }

    /// Sleeps up to `seconds`, returning early when the service stops.
    private func pause(seconds: Double) async {
        let end = monotonicNanoseconds() + Int64(seconds * 1e9)
        while !isStopping(), monotonicNanoseconds() < end {
            try? await Task.sleep(for: .milliseconds(min(100, max(1, Int((end - monotonicNanoseconds()) / 1_000_000)))))
        }
    }

    /// Adds the counter increases since `previous` to the metrics and totals; returns `current`.
    private func account(_ current: [SensorStatistics], since previous: [SensorStatistics]) -> [SensorStatistics] {
        state.withLock { s in
            for (now, before) in zip(current, previous) {
                let sensor = now.source.sensor.rawValue
                func delta(_ a: UInt64, _ b: UInt64) -> UInt64 { a >= b ? a - b : a }
                let frames = delta(now.source.framesRead, before.source.framesRead)
                let probes = delta(now.decode.probeRequests, before.decode.probeRequests)
                let edge = delta(now.droppedAtEdge, before.droppedAtEdge)
                let kernel = delta(now.source.kernelDropped ?? 0, before.source.kernelDropped ?? 0)
                let interface = delta(now.source.interfaceDropped ?? 0, before.source.interfaceDropped ?? 0)
                let decode = delta(now.decode.droppedTotal, before.decode.droppedTotal)
                var t = s.totals[sensor, default: SourceTotals()]
                t.frames += frames
                t.probeRequests += probes
                t.edge += edge
                t.kernel += kernel
                t.interface += interface
                t.decode += decode
                t.bytesRead += delta(now.source.bytesRead, before.source.bytesRead)
                s.totals[sensor] = t
                if frames > 0 { DaemonMetrics.frames(sensor).increment(by: Int64(frames)) }
                if probes > 0 { DaemonMetrics.probeRequests(sensor).increment(by: Int64(probes)) }
                if edge > 0 { DaemonMetrics.dropped(sensor, "pipeline_behind").increment(by: Int64(edge)) }
                if kernel > 0 { DaemonMetrics.dropped(sensor, "kernel").increment(by: Int64(kernel)) }
                if interface > 0 { DaemonMetrics.dropped(sensor, "interface").increment(by: Int64(interface)) }
                if decode > 0 { DaemonMetrics.dropped(sensor, "decode").increment(by: Int64(decode)) }
                let rejected = delta(now.source.datagramsRejected, before.source.datagramsRejected)
                if rejected > 0 { DaemonMetrics.dropped(sensor, "tzsp_sender_not_allowed").increment(by: Int64(rejected)) }
            }
        }
        return current
    }

    /// Opens `source` on a thread of its own and waits for it, or for shutdown (nil).
    ///
    /// Opening blocks: a stream source until a writer opens the FIFO and sends the pcap header
    /// (which may be never), a live interface while the driver switches mode. On the
    /// cooperative pool — two threads on a two-core board — a few quiet sources would hold
    /// every thread, and the metrics, the tick and SIGTERM with them. A source that opens
    /// after shutdown was answered is dropped, which closes it.
    private func openOffThePool(index: Int, _ source: SourceConfiguration) async throws -> (any FrameSource, ChannelHopper?)? {
        let pending = PendingOpen()
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<(any FrameSource, ChannelHopper?), any Error>?, Never>) in
            pending.wait(continuation)
            let registered = state.withLock { s in
                guard !s.stopping else { return false }
                s.opening[index] = pending
                return true
            }
            guard registered else { return pending.answer(nil) }
            let label = source.label
            startThread(name: "open \(label)") {
                pending.answer(Result { try Self.open(source) })
            }
        }
        state.withLock { _ = $0.opening.removeValue(forKey: index) }
        return try result?.get()
    }

    /// Opens the frame source a configuration entry describes (and the channel hopper of a radio).
    /// - Throws: ``CaptureError`` from the source, or ``SourceOpenError`` for an empty directory.
    static func open(_ source: SourceConfiguration) throws -> (any FrameSource, ChannelHopper?) {
        let sensor = SensorID(source.sensor)
        switch source.kind {
        case .file(let path):
            return (try PcapFileSource(path: path, sensor: sensor), nil)
        case .files(let paths):
            let files = paths.map { ($0, SensorID(sensorName(ofCapture: $0))) }
            return files.count == 1 ? (try PcapFileSource(path: files[0].0, sensor: files[0].1), nil) : (try MergedReplaySource(files: files), nil)
        case .directory(let path):
            let files = captureFiles(in: path)
            guard !files.isEmpty else {
                throw SourceOpenError(description: "\(path): no .pcap, .pcapng or .cap file in this directory; point the source at the directory of capture files, one per sensor")
            }
            return (try MergedReplaySource(files: files.map { ($0, SensorID(sensorName(ofCapture: $0))) }), nil)
        case .stream(let path):
            return (try PcapStreamSource(path: path, sensor: sensor), nil)
        case .interface(let name, let channels, let dwell, let monitor):
            var options = LiveCaptureOptions()
            options.monitorMode = monitor
            let live = try LiveInterfaceSource(interface: name, sensor: sensor, options: options)
            guard !channels.isEmpty else { return (live, nil) }
            let plan = channels.count == 1
                ? ChannelPlan.fixed(.number(channels[0]))
                : try ChannelPlan.hopping(channels.map { .number($0) }, dwell: .milliseconds(dwell))
            return (live, ChannelHopper(interface: name, sensor: sensor, plan: plan))
        case .tzsp(let port, let bind, let allowed):
            return (try TZSPSource(port: port, bindAddress: bind, allowedSenders: allowed, sensor: sensor), nil)
        case .tzspSenders(let port, let bind, let senders):
            return (try TZSPSource(port: port, bindAddress: bind, senders: senders.map { (address: $0.address, sensor: SensorID($0.sensor)) }), nil)
        }
    }

    // MARK: Results

    /// Hands results to the sink and the metrics; a sink failure is logged and counted, never fatal.
    private func write(_ out: PipelineOutput) async {
        guard !out.isEmpty else { return }
        if !out.positions.isEmpty {
            DaemonMetrics.positions.increment(by: Int64(out.positions.count))
            if options.exitWhenSourcesEnd {
                state.withLock { s in for p in out.positions { s.devices.insert(p.device) } }
            }
        }
        if !out.visits.isEmpty {
            let passes = out.visits.reduce(0) { $0 + ($1.passerBy ? 1 : 0) }
            if out.visits.count > passes { DaemonMetrics.visits.increment(by: Int64(out.visits.count - passes)) }
            if passes > 0 { DaemonMetrics.passersBy.increment(by: Int64(passes)) }
        }
        for event in out.events where event.kind == .sensorSilent || event.kind == .sensorBack {
            logger.warning("\(event.detail.prefix(1).uppercased() + event.detail.dropFirst()).", metadata: ["sensor": "\(event.sensor)", "event": "\(event.kind.rawValue)"])
            DaemonMetrics.silent(event.sensor).record(event.kind == .sensorSilent ? 1 : 0)
        }
        do { try await sink.write(out) } catch {
            DaemonMetrics.sinkErrors.increment()
            logger.error("The store refused a batch.", metadata: ["error": "\(error)", "positions": "\(out.positions.count)", "visits": "\(out.visits.count)"])
        }
    }

    // MARK: Tick, watchdog, status

    private func tickLoop() async {
        var lastBeat: UInt64 = 0
        var lastPing = Int64.min
        var lastStatus = monotonicNanoseconds()
        var lastProbes: UInt64 = 0
        var lastFrames: UInt64 = 0
        var lastPositions: UInt64 = 0
        let live = sources.contains { $0.isLive }
        while !Task.isCancelled {
            // Once a second, or as often as the status file is due when that is more often.
            let period = min(1, state.withLock { $0.configuration.health.statusIntervalSeconds })
            try? await Task.sleep(for: .milliseconds(Int(period * 1000)))
            if Task.isCancelled { break }
            let now = live ? wallNanoseconds() : (await engine.latestCaptureNanoseconds ?? 0)
            while let part = await engine.advanceWindows(now: now, limit: PipelineEngine.windowsPerPart) { await write(part) }
            let out = await engine.tick(now: now)
            await write(out)
            let beat = await engine.heartbeat
            let mono = monotonicNanoseconds()
            // The watchdog hears from the pipeline, not from this timer: the engine must have answered.
            if let interval = notifier.watchdogIntervalNanoseconds, beat != lastBeat, lastPing == .min || mono - lastPing >= interval / 2 {
                notifier.send("WATCHDOG=1")
                lastPing = mono
            }
            lastBeat = beat
            let configuration = state.withLock { $0.configuration }
            let seconds = Double(mono - lastStatus) / 1e9
            if seconds >= configuration.health.statusIntervalSeconds {
                let counters = await engine.counters
                let frames = state.withLock { $0.totals.values.reduce(UInt64(0)) { $0 + $1.frames } }
                let rates = (Double(frames - min(frames, lastFrames)) / seconds, Double(counters.probeRequests - lastProbes) / seconds, Double(counters.positions - lastPositions) / seconds)
                (lastFrames, lastProbes, lastPositions) = (frames, counters.probeRequests, counters.positions)
                lastStatus = mono
                let sink = await writeStatus(rates: rates, intervalSeconds: seconds)
                notifier.send("STATUS=\(Int(rates.0.rounded())) frames/s, \(await engine.activeDevices) devices" + Self.backlogText(sink, options.syncStatus?.current))
            }
        }
    }

    func statusSensors() async -> [DaemonStatus.Sensor] {
        let health = await engine.sensors
        let totals = state.withLock { $0.totals }
        return Set(health.keys).union(totals.keys).sorted().map { name in
            let h = health[name]
            let t = totals[name] ?? SourceTotals()
            return DaemonStatus.Sensor(
                name: name, frames: t.frames, probeRequests: t.probeRequests, droppedAtEdge: t.edge, kernelDropped: t.kernel,
                lastHeard: h?.lastHeardNanoseconds.map { Double($0) / 1e9 }, silent: h?.silent ?? false, restarts: t.restarts)
        }
    }

    /// `, backlog 1200 rows (3 batches)` and `, 2 parked` for the STATUS= line; empty when the store cannot say.
    static func backlogText(_ sink: SinkStatistics, _ sync: SyncStatus?) -> String {
        if let sync {
            return ", backlog \(sync.backlogRows) rows (\(sync.pendingBatches) batches)" + (sync.parkedBatches > 0 ? ", \(sync.parkedBatches) parked" : "")
        }
        return sink.outboxBacklogRows.map { ", backlog \($0) rows" } ?? ""
    }

    @discardableResult
    private func writeStatus(rates: (Double, Double, Double) = (0, 0, 0), intervalSeconds: Double) async -> SinkStatistics {
        let counters = await engine.counters
        let (optedOut, implausible, unknown) = state.withLock { s in
            defer { s.skippedCounted = (counters.optedOut, counters.implausibleSignal, counters.unknownSensor) }
            return (
                counters.optedOut - s.skippedCounted.0, counters.implausibleSignal - s.skippedCounted.1,
                counters.unknownSensor - s.skippedCounted.2
            )
        }
        if optedOut > 0 { DaemonMetrics.skipped("opted_out").increment(by: Int64(optedOut)) }
        if implausible > 0 { DaemonMetrics.skipped("implausible_signal").increment(by: Int64(implausible)) }
        if unknown > 0 { DaemonMetrics.skipped("unknown_sensor").increment(by: Int64(unknown)) }
        let sensors = await statusSensors()
        // Sensor health goes to the store with the status (every few seconds), not with every batch.
        let health = sensors.map { s in
            MallGateStore.SensorHealth(
                sensor: s.name, lastHeardNanoseconds: s.lastHeard.map { Int64($0 * 1e9) }, frames: Int64(s.frames),
                drops: Int64(s.droppedAtEdge), kernelDrops: Int64(s.kernelDropped),
                status: s.silent ? "silent" : s.lastHeard == nil ? (s.restarts > 0 ? "retrying" : "never-heard") : "ok")
        }
        do { try await self.sink.write(PipelineOutput(), sensors: health) } catch {
            DaemonMetrics.sinkErrors.increment()
            logger.error("The store refused the sensor health rows.", metadata: ["error": "\(error)"])
        }
        let sink = await self.sink.statistics()
        let devices = await engine.activeDevices
        DaemonMetrics.activeDevices.record(devices)
        for s in sensors {
            if let heard = s.lastHeard { DaemonMetrics.lastHeard(s.name).record(heard) }
            DaemonMetrics.silent(s.name).record(s.silent ? 1 : 0)
        }
        if let bytes = sink.databaseBytes { DaemonMetrics.databaseBytes.record(bytes) }
        if let rows = sink.outboxBacklogRows { DaemonMetrics.outboxBacklogRows.record(rows) }
        if let age = sink.outboxOldestAgeSeconds { DaemonMetrics.outboxOldestAge.record(age) }
        if let full = sink.diskFull { DaemonMetrics.diskFull.record(full ? 1 : 0) }
        let (configuration, reloadError, running) = state.withLock { ($0.configuration, $0.lastReloadError, $0.sourcesRunning) }
        let status = DaemonStatus(
            pid: getpid(), updated: wallSeconds(), started: started, mode: options.mode, venue: configuration.venuePath,
            metrics: configuration.metrics.enabled ? configuration.metrics.listen : nil, sensors: sensors, sourcesRunning: running,
            framesPerSecond: rates.0, probeRequestsPerSecond: rates.1, positionsPerSecond: rates.2,
            probeRequests: counters.probeRequests, positions: counters.positions, visits: counters.visits,
            activeDevices: devices, devicesPerStore: await engine.devicesPerStore, sink: sink, reloads: counters.reloads,
            lastReloadError: reloadError, sync: options.syncStatus?.current)
        if let error = status.write(to: configuration.stateDirectory) {
            logger.warning("Cannot write the status file.", metadata: ["error": "\(error)"])
        }
        return sink
    }

    // MARK: Reload

    /// Logs and records why installed artifacts were passed over by ``PipelineModel/load(_:)``.
    private func reportNotes(_ notes: [String]) async {
        guard !notes.isEmpty else { return }
        for note in notes { logger.warning("Installed artifact not used.", metadata: ["reason": "\(note)"]) }
        await write(PipelineOutput(events: notes.map { PipelineEvent(timeNanoseconds: wallNanoseconds(), kind: .artifactRefused, detail: $0) }))
    }

    private func hangupLoop() async {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        for await _ in signals {
            if Task.isCancelled { break }
            await reload()
        }
    }

    /// Reloads configuration, venue and model; on any failure keeps the running ones and says why.
    public func reload() async {
        let current = state.withLock { $0.configuration }
        notifier.send("RELOADING=1")
        defer { notifier.send("READY=1") }
        logger.info("Reloading configuration, venue and model.", metadata: ["config": "\(current.file)"])
        let next: DaemonConfiguration
        let model: PipelineModel
        do {
            next = try DaemonConfiguration.load(path: current.file)
            model = try PipelineModel.load(next)
        } catch {
            let reason = "\(error)".split(separator: "\n").joined(separator: "; ")
            logger.error("Reload refused; keeping the running configuration.", metadata: ["reason": "\(reason)"])
            DaemonMetrics.reloadFailures.increment()
            state.withLock { $0.lastReloadError = reason }
            await write(PipelineOutput(events: [PipelineEvent(timeNanoseconds: wallNanoseconds(), kind: .reloadFailed, detail: reason)]))
            return
        }
        if next.sources != current.sources || next.metrics != current.metrics || next.stateDirectory != current.stateDirectory {
            logger.warning("Sources, metrics and state_directory changes apply at the next restart; the rest is reloaded now.")
        }
        var applied = next
        applied.sources = current.sources
        applied.metrics = current.metrics
        applied.stateDirectory = current.stateDirectory
        let out = await engine.replace(model: model, configuration: applied)
        state.withLock {
            $0.configuration = applied
            $0.lastReloadError = nil
            $0.provenance = model.provenance
        }
        await write(out)
        DaemonMetrics.reloads.increment()
        logger.notice("Reloaded.", metadata: ["venue": "\(model.venue.id)", "model": "\(model.provenance?.modelPath ?? next.modelPath)", "artifacts": "\(model.provenance?.description ?? "-")"])
        await reportNotes(model.notes)
    }
}

/// A source that cannot be opened for a reason of the daemon's own (libpcap's are ``CaptureError``s).
struct SourceOpenError: Error, CustomStringConvertible {
    let description: String
}

extension SourceConfiguration {
    /// A short name for logs when the source has no single sensor.
    var label: String {
        switch kind {
        case .file(let path), .directory(let path), .stream(let path): path
        case .files(let paths): paths.joined(separator: ",")
        case .interface(let name, _, _, _): name
        case .tzsp(let port, _, _), .tzspSenders(let port, _, _): "tzsp:\(port)"
        }
    }
}

/// The sensor of a capture file: its base name without the extension (`s3.pcap` → `s3`).
public func sensorName(ofCapture path: String) -> String {
    let base = path.split(separator: "/").last.map(String.init) ?? path
    let stem = base.split(separator: ".", omittingEmptySubsequences: false).dropLast().joined(separator: ".")
    return stem.isEmpty ? base : stem
}

/// The capture files (`.pcap`, `.pcapng`, `.cap`) in `directory`, sorted; empty when none or unreadable.
public func captureFiles(in directory: String) -> [String] {
    guard let dir = opendir(directory) else { return [] }
    defer { closedir(dir) }
    var names: [String] = []
    while let entry = readdir(dir) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        if name.hasSuffix(".pcap") || name.hasSuffix(".pcapng") || name.hasSuffix(".cap") { names.append(name) }
    }
    return names.sorted().map { directory.hasSuffix("/") ? directory + $0 : directory + "/" + $0 }
}

/// One source being opened off the pool: answered once, by the opening thread or by shutdown.
final class PendingOpen: Sendable {
    typealias Opened = (any FrameSource, ChannelHopper?)
    private let continuation = Mutex<CheckedContinuation<Result<Opened, any Error>?, Never>?>(nil)

    func wait(_ continuation: CheckedContinuation<Result<Opened, any Error>?, Never>) {
        self.continuation.withLock { $0 = continuation }
    }

    /// Resumes the waiting task with `result`; later answers are dropped.
    func answer(_ result: Result<Opened, any Error>?) {
        let waiting = continuation.withLock { c in
            defer { c = nil }
            return c
        }
        waiting?.resume(returning: result)
    }
}
