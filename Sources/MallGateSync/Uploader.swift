// Drains the outbox to the collector: oldest first, one batch at a time over a kept-alive
// connection, with backoff between failed rounds. Capture never waits for this: the outbox
// is the buffer between them.
public import AsyncHTTPClient
public import Logging
public import MallGateWire
import NIOCore
import NIOHTTP1
import NIOSSL

/// What the uploader has done so far, for `mallgate status` and metrics.
public struct UploaderState: Sendable, Equatable {
    public var delivered: Int = 0
    /// Of `delivered`: the collector already had them (a resend after a lost answer).
    public var duplicates: Int = 0
    public var parked: Int = 0
    public var failedAttempts: Int = 0
    /// Unix ms of the last delivered batch.
    public var lastDeliveryUnixMs: Int64?
    /// The last failure's reason, cleared by the next delivery.
    public var lastError: String?
    public var highestDeliveredSequence: UInt64 = 0
}

/// One upload attempt as the uploader's observer sees it (metrics, progress bars).
public struct UploadAttempt: Sendable, Equatable {
    public var sequence: UInt64
    /// Rows in the batch (`OutboxBatch.rowCount`).
    public var rows: Int
    /// Bytes of the HTTP body (gzip(BatchEnvelope)); 0 when it was not sent.
    public var bodyBytes: Int
    public var outcome: DeliveryOutcome

    /// A short stable word for a failure's cause, the `reason` label of failure metrics:
    /// `network`, `http_408`, `http_429`, `http_5xx`, `unauthorized`, `rejected`; nil when delivered.
    public var failureReason: String? {
        switch outcome {
        case .delivered: return nil
        case .unauthorized: return "unauthorized"
        case .rejected: return "rejected"
        case .retry(let reason, _):
            if reason.hasPrefix("HTTP 408") { return "http_408" }
            if reason.hasPrefix("HTTP 429") { return "http_429" }
            if reason.hasPrefix("HTTP 5") { return "http_5xx" }
            if reason.hasPrefix("HTTP ") { return "http_other" }
            return "network"
        }
    }
}

/// How one drain round ended.
public enum DrainResult: Sendable, Equatable {
    /// The outbox has nothing pending.
    case drained
    /// A batch could not be delivered now; wait this long before the next round.
    case retryLater(Duration, reason: String)
}

/// Uploads outbox batches to the collector and records each one's fate in the outbox.
///
/// Delivery is three-way (STYLE.md §8): 2xx → `markDelivered`; 408/429/5xx and network
/// failures → the batch stays pending and the round ends with a backoff; other 4xx → `park`
/// with the collector's reason. 401 is a credentials problem, not the batch's: it waits at
/// the longest backoff without parking. A batch whose bytes no longer match their hash, or
/// that is over the body limit, is parked without being sent.
public actor Uploader {
    public let configuration: UploaderConfiguration
    private let outbox: any OutboxQueue
    private let client: HTTPClient
    private let ownsClient: Bool
    private let logger: Logger
    private let sleep: @Sendable (Duration) async throws -> Void
    private let random: @Sendable () -> Double
    private let nowUnixMs: @Sendable () -> Int64
    private var backoff: Backoff
    public private(set) var state = UploaderState()
    private let observe: @Sendable (UploadAttempt) -> Void

    /// - Parameters:
    ///   - sleep: how to wait between rounds (injected: tests pass a manual or shortened clock).
    ///   - random: 0..<1 for backoff jitter.
    ///   - nowUnixMs: wall-clock time, for `Retry-After` dates and the state's timestamps.
    ///   - httpClient: a client to share; when nil the uploader makes one from the configuration
    ///     (TLS, timeouts) and shuts it down in `shutdown()`.
    ///   - observe: told about every attempt, after its outcome is recorded in the outbox.
    /// - Throws: `SyncError` when TLS files cannot be read.
    public init(
        configuration: UploaderConfiguration,
        outbox: any OutboxQueue,
        httpClient: HTTPClient? = nil,
        logger: Logger = Logger(label: "mallgate.sync"),
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) },
        random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) },
        nowUnixMs: @escaping @Sendable () -> Int64,
        observe: @escaping @Sendable (UploadAttempt) -> Void = { _ in }
    ) throws {
        self.observe = observe
        self.configuration = configuration
        self.outbox = outbox
        self.logger = logger
        self.sleep = sleep
        self.random = random
        self.nowUnixMs = nowUnixMs
        self.backoff = configuration.backoff
        if let httpClient {
            self.client = httpClient
            self.ownsClient = false
        } else {
            self.client = HTTPClient(
                eventLoopGroupProvider: .singleton,
                configuration: try Self.clientConfiguration(configuration))
            self.ownsClient = true
        }
    }

    /// The AsyncHTTPClient configuration for these options: timeouts, no redirects, TLS.
    /// - Throws: `SyncError` when a CA bundle, certificate or key cannot be loaded.
    public static func clientConfiguration(_ configuration: UploaderConfiguration) throws -> HTTPClient.Configuration {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.certificateVerification = configuration.tls.verifyPeer ? .fullVerification : .none
        if let path = configuration.tls.caBundlePath {
            do {
                tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(path))
            } catch {
                throw SyncError(.tls("cannot read CA bundle \(path) (\(error)); give a PEM file of CA certificates"))
            }
        }
        switch (configuration.tls.clientCertificatePath, configuration.tls.clientKeyPath) {
        case (nil, nil):
            break
        case (let certificate?, let key?):
            do {
                tls.certificateChain = try NIOSSLCertificate.fromPEMFile(certificate).map { .certificate($0) }
            } catch {
                throw SyncError(.tls("cannot read client certificate \(certificate) (\(error)); give a PEM certificate chain"))
            }
            do {
                tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: key, format: .pem))
            } catch {
                throw SyncError(.tls("cannot read client key \(key) (\(error)); give an unencrypted PEM private key"))
            }
        default:
            throw SyncError(.tls("mutual TLS needs both a client certificate and its key"))
        }
        return HTTPClient.Configuration(
            tlsConfiguration: tls,
            redirectConfiguration: .disallow,
            timeout: HTTPClient.Configuration.Timeout(
                connect: Self.timeAmount(configuration.connectTimeout),
                read: Self.timeAmount(configuration.responseTimeout),
                write: Self.timeAmount(configuration.uploadTimeout)),
            connectionPool: HTTPClient.Configuration.ConnectionPool(idleTimeout: .seconds(60)),
            decompression: .disabled)
    }

    /// Runs until cancelled: drain, then wait (idle poll or backoff), again.
    public func run() async {
        while !Task.isCancelled {
            let result = await drainOnce()
            let pause: Duration
            switch result {
            case .drained: pause = configuration.idlePollInterval
            case .retryLater(let delay, _): pause = delay
            }
            do { try await sleep(pause) } catch { return }
        }
    }

    /// Sends pending batches until the outbox is empty or one must wait.
    /// - Returns: `.drained`, or `.retryLater` with the backoff to wait.
    public func drainOnce() async -> DrainResult {
        while !Task.isCancelled {
            let batches: [OutboxBatch]
            do {
                batches = try await outbox.pending(limit: max(1, configuration.batchesPerRound))
            } catch {
                return failRound(reason: "outbox: cannot read pending batches (\(error))", retryAfter: nil, longest: false)
            }
            if batches.isEmpty { return .drained }
            for batch in batches {
                let (outcome, bodyBytes) = await attempt(batch)
                defer { observe(UploadAttempt(sequence: batch.sequence, rows: batch.rowCount, bodyBytes: bodyBytes, outcome: outcome)) }
                do {
                    switch outcome {
                    case .delivered(let duplicate):
                        try await outbox.markDelivered(batch.sequence)
                        backoff.reset()
                        state.delivered += 1
                        if duplicate { state.duplicates += 1 }
                        state.lastDeliveryUnixMs = nowUnixMs()
                        state.lastError = nil
                        state.highestDeliveredSequence = max(state.highestDeliveredSequence, batch.sequence)
                    case .rejected(let reason):
                        try await outbox.park(batch.sequence, reason: reason)
                        state.parked += 1
                        logger.error("Batch parked: the collector refused it.", metadata: ["sequence": "\(batch.sequence)", "reason": "\(reason)"])
                    case .retry(let reason, let retryAfter):
                        return failRound(reason: reason, retryAfter: retryAfter, longest: false, sequence: batch.sequence)
                    case .unauthorized(let reason):
                        return failRound(
                            reason: reason + " (check upstream token and gateway id; batches are kept)",
                            retryAfter: nil, longest: true, sequence: batch.sequence)
                    }
                } catch {
                    return failRound(reason: "outbox: cannot record batch \(batch.sequence)'s state (\(error))", retryAfter: nil, longest: false)
                }
            }
        }
        return .retryLater(.zero, reason: "cancelled")
    }

    /// Shuts down the HTTP client the uploader made (not one passed in).
    public func shutdown() async throws {
        if ownsClient { try await client.shutdown() }
    }

    // MARK: - One attempt

    /// Uploads one batch and classifies the answer; never throws (failures are outcomes).
    public func send(_ batch: OutboxBatch) async -> DeliveryOutcome {
        await attempt(batch).outcome
    }

    /// ``send(_:)`` and the body size it sent (0 when it sent nothing).
    func attempt(_ batch: OutboxBatch) async -> (outcome: DeliveryOutcome, bodyBytes: Int) {
        let wire = WireBatch(
            gatewayID: configuration.gatewayID, venueID: batch.venueID, sequence: batch.sequence,
            createdUnixMs: batch.createdUnixMs, payload: batch.payload, contentSHA256: batch.contentSHA256)
        guard wire.hashMatches else {
            return (.rejected(reason: "local: the payload no longer matches its SHA-256 (outbox corruption); not sent"), 0)
        }
        let body = wire.encodedBody()
        guard body.count <= configuration.maxBodyBytes else {
            return (.rejected(reason: "local: the compressed batch is \(body.count) bytes, over the \(configuration.maxBodyBytes)-byte limit; not sent"), 0)
        }
        var request = HTTPClientRequest(url: configuration.batchesURL)
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(configuration.token)")
        request.headers.add(name: "Content-Type", value: "application/x-protobuf")
        request.headers.add(name: "Content-Encoding", value: "gzip")
        request.headers.add(name: "X-MallGate-Sequence", value: String(batch.sequence))
        if !configuration.keepAlive { request.headers.add(name: "Connection", value: "close") }
        request.body = .bytes(ByteBuffer(bytes: body))
        do {
            let response = try await client.execute(request, timeout: Self.timeAmount(configuration.requestTimeout), logger: logger)
            // A BatchAck is small; a proxy's error page may not be, and only its start matters.
            var answer = try await response.body.collect(upTo: 1 << 20)
            let bytes = answer.readBytes(length: answer.readableBytes) ?? []
            let retryAfter = RetryAfter.parse(response.headers.first(name: "Retry-After"), nowUnixSeconds: nowUnixMs() / 1000)
            return (DeliveryOutcome.classify(status: Int(response.status.code), retryAfter: retryAfter, body: bytes), body.count)
        } catch {
            return (.retry(reason: "network: \(error)", retryAfter: nil), body.count)
        }
    }

    private func failRound(reason: String, retryAfter: Duration?, longest: Bool, sequence: UInt64? = nil) -> DrainResult {
        state.failedAttempts += 1
        state.lastError = reason
        var delay = backoff.nextDelay(retryAfter: retryAfter, unit: random())
        if longest { delay = configuration.backoff.maximum }
        logger.warning(
            "Upload failed; retrying later.",
            metadata: ["sequence": "\(sequence.map(String.init) ?? "-")", "reason": "\(reason)", "retry_in": "\(delay)"])
        return .retryLater(delay, reason: reason)
    }

    static func timeAmount(_ duration: Duration) -> TimeAmount {
        let (seconds, attoseconds) = duration.components
        return .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
