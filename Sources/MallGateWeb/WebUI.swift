internal import Glibc
internal import Hummingbird
public import Logging
internal import MallGateDecode
internal import NIOCore
public import ServiceLifecycle
internal import Synchronization

/// The web UI as a service of the agent's group: the Hummingbird server and the task that
/// hands watched devices' windows to calibration and "where am I".
///
/// Every page and API call but the login page needs a session (an HttpOnly, SameSite=Strict
/// cookie given for the access code). A typed MAC is hashed by the identify stage as soon as it
/// arrives and only the keyed id is kept, server-side: no response carries an id or a MAC.
public final class WebUI: Service, Sendable {
    /// Where to listen and the access code.
    public struct Options: Sendable {
        public var host: String
        public var port: Int
        public var accessCode: String
        public init(host: String = "127.0.0.1", port: Int = 8380, accessCode: String) {
            self.host = host
            self.port = port
            self.accessCode = accessCode
        }
    }

    let options: Options
    let backend: any WebBackend
    let logger: Logger
    let sessions: WebSessions
    let whereAmI = WhereAmITracker()
    let training: TrainingJob
    let rates = RateMeter()
    /// The calibration recorder, created on first use (its directory comes from the backend's layout).
    let recorder = Mutex<CalibrationRecorder?>(nil)
    /// Set on graceful shutdown: open event streams end so the server can stop.
    let stopping = Atomic<Bool>(false)
    /// The pipeline's windows of watched devices, in order, to one consumer.
    let windows: AsyncStream<WatchedWindow>
    let windowSink: AsyncStream<WatchedWindow>.Continuation
    /// Wall clock for sessions and login attempts, ns; tests pass their own.
    let clock: @Sendable () -> Int64

    /// - Parameters:
    ///   - training: the trainer's settings (tests use small ones).
    ///   - clock: wall time in ns for session expiry and the login brake.
    public convenience init(options: Options, backend: any WebBackend, logger: Logger) {
        self.init(options: options, backend: backend, logger: logger, training: TrainingJob(), clock: { WebUI.wallNanoseconds() })
    }

    init(options: Options, backend: any WebBackend, logger: Logger, training: TrainingJob, clock: @escaping @Sendable () -> Int64) {
        self.options = options
        self.backend = backend
        self.logger = logger
        self.training = training
        self.clock = clock
        sessions = WebSessions(accessCode: options.accessCode)
        (windows, windowSink) = AsyncStream.makeStream(of: WatchedWindow.self, bufferingPolicy: .bufferingNewest(4096))
    }

    public func run() async throws {
        let app = application()
        logger.notice("Web UI listening.", metadata: ["listen": "\(options.host):\(options.port)"])
        try await withGracefulShutdownHandler {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await self.consumeWindows() }
                try await app.run()
                group.cancelAll()
            }
        } onGracefulShutdown: {
            self.stopping.store(true, ordering: .relaxed)
            self.windowSink.finish()
        }
    }

    /// The Hummingbird application (routes, session check); what tests drive without a socket.
    func application() -> some ApplicationProtocol {
        Application(
            router: router(),
            configuration: .init(address: .hostname(options.host, port: options.port), serverName: "mallgate"),
            logger: logger)
    }

    func consumeWindows() async {
        for await w in windows {
            let layout = await backend.layout()
            await calibrationRecorder(layout).receive(w, venue: layout.venue)
            await whereAmI.receive(w)
        }
    }

    func calibrationRecorder(_ layout: WebLayout) -> CalibrationRecorder {
        recorder.withLock { r in
            if let r { return r }
            let made = CalibrationRecorder(directory: layout.stateDirectory + "/" + CalibrationFiles.directoryName)
            r = made
            return made
        }
    }

    /// Tells the pipeline which devices to watch: the calibration phone and every "where am I" device.
    func updateWatch() async {
        let layout = await backend.layout()
        var devices = await sessions.watchedDevices(now: clock())
        await whereAmI.keep(devices)
        if let phone = await calibrationRecorder(layout).watchedDevice { devices.insert(phone) }
        let sink = windowSink
        await backend.watch(devices) { sink.yield($0) }
    }

    /// Hashes a typed MAC with the agent's key; the text is dropped right here.
    /// - Throws: a 400 when it is not a MAC address, a 403 when the device opted out.
    func deviceID(typed text: String) async throws -> UInt64 {
        guard let mac = MACAddress(string: String(text.filter { !$0.isWhitespace })) else {
            throw HTTPError(.badRequest, message: "That is not a MAC address: write six pairs of hex digits, e.g. 00:00:5e:00:53:01.")
        }
        guard let id = await backend.deviceID(of: mac) else {
            throw HTTPError(.forbidden, message: "This device opted out of being counted; it cannot be followed.")
        }
        return id
    }

    static func wallNanoseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }
}

/// Frames per second per sensor, from the counters of probe requests through the pipeline
/// (``WebSensorHealth/probeRequests``) sampled about once a second. A live capture keeps only
/// probe requests, so for a radio these are its frames; a paced replay shows its pace.
actor RateMeter {
    private var last: (time: ContinuousClock.Instant, frames: [String: UInt64])?
    private var rates: [String: Double] = [:]

    func rates(_ sensors: [WebSensorHealth]) -> [String: Double] {
        let now = ContinuousClock.now
        let frames = Dictionary(sensors.map { ($0.id, $0.probeRequests) }, uniquingKeysWith: { a, _ in a })
        guard let last else {
            self.last = (now, frames)
            return [:]
        }
        let elapsed = now - last.time
        guard elapsed >= .milliseconds(900) else { return rates }
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        rates = frames.mapValues { _ in 0 }
        for (id, count) in frames {
            let before = last.frames[id] ?? 0
            rates[id] = count >= before ? Double(count - before) / seconds : 0
        }
        self.last = (now, frames)
        return rates
    }
}
