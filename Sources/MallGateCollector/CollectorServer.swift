// The collector's HTTP surface (Hummingbird): batch intake, the per-store report, metrics.
// Every refusal is answered with a BatchAck carrying the reason, so a gateway can park the
// batch with something an operator can read.
public import Hummingbird
public import Logging
import MallGateWire
import MallGateVenue
import NIOCore
import HTTPTypes
import Prometheus

/// Limits and options of the HTTP server.
public struct CollectorConfiguration: Sendable {
    public var host: String = "127.0.0.1"
    public var port: Int = 8470
    /// Largest compressed body accepted (413 above it).
    public var maxBodyBytes: Int = 8 << 20
    /// Largest inflated envelope accepted (413 above it; stops gzip bombs).
    public var maxInflatedBytes: Int = 64 << 20
    /// When set, `GET /v1/venues/...` needs `Authorization: Bearer <readToken>`.
    public var readToken: String?

    public init() {}
}

/// Receives batches, checks them and hands them to a `CollectorStore`.
public struct CollectorServer: Sendable {
    public let store: any CollectorStore
    public let configuration: CollectorConfiguration
    public let metrics: CollectorMetrics
    let nowUnixMs: @Sendable () -> Int64

    public init(
        store: any CollectorStore, configuration: CollectorConfiguration = CollectorConfiguration(),
        metrics: CollectorMetrics = CollectorMetrics(), nowUnixMs: @escaping @Sendable () -> Int64
    ) {
        self.store = store
        self.configuration = configuration
        self.metrics = metrics
        self.nowUnixMs = nowUnixMs
    }

    /// The routes: `POST /v1/batches`, `GET /v1/venues/{venue}/stores`, `GET /v1/artifacts/{model,venue}`, `GET /v1/whoami`, `GET /metrics`, `GET /healthz`.
    public func makeRouter() -> Router<BasicRequestContext> {
        let router = Router()
        router.post("/v1/batches") { request, context in
            try await self.receive(request, context: context)
        }
        router.get("/v1/venues/:venue/stores") { request, context in
            try await self.report(request, context: context)
        }
        router.get("/v1/artifacts/:kind") { request, context in
            try await self.artifact(request, context: context)
        }
        router.get("/metrics") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                body: .init(byteBuffer: ByteBuffer(bytes: self.metrics.render())))
        }
        router.get("/healthz") { _, _ in "ok\n" }
        router.get("/v1/whoami") { request, _ in
            try await self.whoami(request)
        }
        return router
    }

    /// The server on the configured address; `onServerRunning` sees the bound channel (tests read the port).
    public func makeApplication(
        logger: Logger = Logger(label: "mallgate.collector"),
        onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        Application(
            router: makeRouter(),
            configuration: ApplicationConfiguration(address: .hostname(configuration.host, port: configuration.port), serverName: "mallgate-collector"),
            onServerRunning: onServerRunning,
            logger: logger)
    }

    /// Runs the server until SIGTERM or SIGINT, then shuts down gracefully (the CLI's `serve`).
    public func runUntilSignalled(logger: Logger = Logger(label: "mallgate.collector")) async throws {
        try await makeApplication(logger: logger).runService()
    }

    /// Runs the server until the surrounding task is cancelled (no signal handling: for tests
    /// and embedding; the CLI uses `makeApplication().runService()`).
    /// - Parameter onListening: called with the bound port once the server accepts connections.
    public func run(
        logger: Logger = Logger(label: "mallgate.collector"),
        onListening: @escaping @Sendable (Int) async -> Void = { _ in }
    ) async throws {
        try await makeApplication(logger: logger) { channel in
            await onListening(channel.localAddress?.port ?? 0)
        }.run()
    }

    // MARK: - POST /v1/batches

    func receive(_ request: Request, context: BasicRequestContext) async throws -> Response {
        let headerSequence = request.headers[HTTPField.Name("X-MallGate-Sequence")!].flatMap { UInt64($0) } ?? 0
        // 1. Who is it? Strangers get nothing parsed.
        guard let token = Self.bearerToken(request.headers[.authorization]),
              let gateway = try await store.activeGateway(tokenSHA256: GatewayToken.hash(token))
        else {
            metrics.rejection("auth")
            return Self.ack(.unauthorized, sequence: headerSequence, reason: "unknown or revoked token; register the gateway with `mallgate-collector gateway add` and configure its token")
        }
        // 2. Size, before reading more than the limit.
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > configuration.maxBodyBytes {
            metrics.rejection("too_large")
            return Self.ack(.contentTooLarge, sequence: headerSequence, reason: "body is \(length) bytes, over the \(configuration.maxBodyBytes)-byte limit; split the batch")
        }
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: configuration.maxBodyBytes)
        } catch is NIOTooManyBytesError {
            metrics.rejection("too_large")
            return Self.ack(.contentTooLarge, sequence: headerSequence, reason: "body is over the \(configuration.maxBodyBytes)-byte limit; split the batch")
        }
        metrics.requestBytes.increment(by: Int64(body.readableBytes))
        guard request.headers[.contentEncoding]?.lowercased() == "gzip" else {
            metrics.rejection("encoding")
            return Self.ack(.unsupportedMediaType, sequence: headerSequence, reason: "Content-Encoding must be gzip (the body is gzip(BatchEnvelope))")
        }
        // 3. Is it a batch?
        let batch: WireBatch
        do {
            batch = try WireBatch(body: Array(buffer: body), inflatedLimit: configuration.maxInflatedBytes)
        } catch {
            metrics.rejection(error.isTooLarge ? "too_large" : "bad_body")
            return Self.ack(error.isTooLarge ? .contentTooLarge : .badRequest, sequence: headerSequence, reason: error.description)
        }
        let rows: BatchRows
        do {
            rows = try BatchRows(payload: batch.payload)
        } catch {
            metrics.rejection("bad_body")
            return Self.ack(.badRequest, sequence: batch.sequence, reason: error.description)
        }
        // 4. Is it theirs to send?
        guard batch.gatewayID == gateway.name else {
            metrics.rejection("gateway_mismatch")
            return Self.ack(.forbidden, sequence: batch.sequence, reason: "batch names gateway \"\(batch.gatewayID)\" but the token belongs to \"\(gateway.name)\"; fix upstream.gateway_id")
        }
        guard batch.venueID == gateway.venueID else {
            metrics.rejection("venue")
            return Self.ack(.forbidden, sequence: batch.sequence, reason: "gateway \(gateway.name) is registered for venue \"\(gateway.venueID)\", not \"\(batch.venueID)\"")
        }
        // 5. Store once.
        let verified = VerifiedBatch(
            gateway: gateway.name, venueID: batch.venueID, sequence: batch.sequence, contentSHA256: ContentHash.hex(batch.contentSHA256),
            createdUnixMs: batch.createdUnixMs, receivedUnixMs: nowUnixMs(), rows: rows)
        let started = ContinuousClock.now
        let outcome = try await store.ingest(verified)
        let highest = try await store.highestSequence(gateway: gateway.name)
        switch outcome {
        case .stored(let count, let gap):
            metrics.ingestSeconds.record(ContinuousClock.now - started)
            metrics.stored.increment()
            metrics.rows("position", rows.positions.count)
            metrics.rows("visit", rows.visits.count)
            metrics.rows("store_count", rows.storeCounts.count)
            metrics.rows("health_event", rows.healthEvents.count)
            var reason = ""
            if let gap {
                metrics.gaps.increment()
                reason = "stored; sequences \(gap.lowerBound)…\(gap.upperBound) were never received (recorded as a gap)"
                context.logger.notice("Sequence gap.", metadata: ["gateway": "\(gateway.name)", "first": "\(gap.lowerBound)", "last": "\(gap.upperBound)"])
            }
            return Self.ack(.ok, BatchAcknowledgement(sequence: batch.sequence, status: .stored, reason: reason, highestSequence: highest, rowsStored: UInt64(count)))
        case .duplicate:
            metrics.duplicates.increment()
            return Self.ack(.ok, BatchAcknowledgement(sequence: batch.sequence, status: .duplicate, reason: "already have it", highestSequence: highest))
        case .conflict(let stored):
            metrics.rejection("conflict")
            return Self.ack(.conflict, sequence: batch.sequence, reason: "sequence \(batch.sequence) is stored with content \(stored), this batch is \(ContentHash.hex(batch.contentSHA256)); a gateway must never reuse a sequence (was its state directory reset?)")
        }
    }

    static func bearerToken(_ header: String?) -> String? {
        guard let header, header.count > 7, header.prefix(7).lowercased() == "bearer " else { return nil }
        let token = header.dropFirst(7).trimmingCharacters(in: " ")
        return token.isEmpty ? nil : token
    }

    static func ack(_ status: HTTPResponse.Status, sequence: UInt64, reason: String) -> Response {
        ack(status, BatchAcknowledgement(sequence: sequence, status: .rejected, reason: reason))
    }

    static func ack(_ status: HTTPResponse.Status, _ ack: BatchAcknowledgement) -> Response {
        var headers: HTTPFields = [.contentType: "application/x-protobuf"]
        if status == .unauthorized { headers[.wwwAuthenticate] = "Bearer" }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: ack.encoded())))
    }

    // MARK: - GET /v1/whoami

    /// The gateway a bearer token belongs to, as `{"gateway":…,"venue":…}`: a cheap authenticated
    /// request with no side effects, so `mallgate doctor` can tell a wrong or revoked token from a
    /// network problem without uploading anything.
    func whoami(_ request: Request) async throws -> Response {
        guard let token = Self.bearerToken(request.headers[.authorization]),
              let gateway = try await store.activeGateway(tokenSHA256: GatewayToken.hash(token))
        else {
            metrics.rejection("auth")
            return Response(
                status: .unauthorized, headers: [.wwwAuthenticate: "Bearer", .contentType: "text/plain; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: "unknown or revoked token; register the gateway with `mallgate-collector gateway add`\n")))
        }
        let body = "{\"gateway\":\(jsonQuoted(gateway.name)),\"venue\":\(jsonQuoted(gateway.venueID))}\n"
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    // MARK: - GET /v1/venues/{venue}/stores

    func report(_ request: Request, context: BasicRequestContext) async throws -> Response {
        if let readToken = configuration.readToken, Self.bearerToken(request.headers[.authorization]) != readToken {
            return Response(status: .unauthorized, headers: [.wwwAuthenticate: "Bearer"], body: .init(byteBuffer: ByteBuffer(string: "read token required\n")))
        }
        let venue = context.parameters.get("venue") ?? ""
        let query = request.uri.queryParameters
        func integer(_ name: String, _ fallback: Int64) throws -> Int64 {
            guard let text = query.get(name) else { return fallback }
            guard let value = Int64(text) else {
                throw HTTPError(.badRequest, message: "query parameter \(name)=\(text) is not an integer (Unix milliseconds for from/to, seconds for bucket)")
            }
            return value
        }
        let from = try integer("from", 0)
        let to = try integer("to", Int64.max)
        let bucket: Int64
        switch query.get("bucket") {
        case nil, "hour"?: bucket = 3600
        case "day"?: bucket = 86_400
        case "15m"?: bucket = 900
        default: bucket = try integer("bucket", 3600)
        }
        guard bucket > 0 else { throw HTTPError(.badRequest, message: "bucket must be positive") }
        let rows = try await store.storeReport(venueID: venue, fromMs: from, toMs: to, bucketSeconds: bucket)
        switch query.get("format") ?? "json" {
        case "csv":
            return Response(
                status: .ok, headers: [.contentType: "text/csv; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: StoreReport.csv(rows))))
        case "json":
            return Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(string: StoreReport.json(venue: venue, bucketSeconds: bucket, rows))))
        case let other:
            throw HTTPError(.badRequest, message: "format=\(other) is not json or csv")
        }
    }
}

extension Substring {
    func trimmingCharacters(in set: Character) -> String {
        var view = self
        while view.first == set { view.removeFirst() }
        while view.last == set { view.removeLast() }
        return String(view)
    }
}
