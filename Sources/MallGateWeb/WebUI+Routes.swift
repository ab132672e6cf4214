internal import FoundationEssentials
internal import Hummingbird
internal import HTTPTypes
internal import Logging
internal import MallGateVenue
internal import NIOCore
internal import Synchronization

/// A request's context: Hummingbird's, plus the client's address for the login brake.
struct WebRequestContext: RequestContext, RemoteAddressRequestContext {
    var coreContext: CoreRequestContextStorage
    let remoteAddress: SocketAddress?
    /// The session token, once the session check accepted it.
    var session: String?

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }
}

/// Lets the login page and the stylesheet through; everything else needs a live session:
/// pages are sent to the login page, API calls get a 401.
struct SessionCheck: RouterMiddleware {
    typealias Context = WebRequestContext
    static let cookieName = "mallgate_session"
    static let open: Set<String> = ["/login", "/app.css"]
    let sessions: WebSessions
    let clock: @Sendable () -> Int64

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        if Self.open.contains(path) { return try await next(request, context) }
        let token = request.cookies[Self.cookieName]?.value
        guard await sessions.isValid(token, now: clock()) else {
            if path.hasPrefix("/api/") {
                return WebUI.json(status: .unauthorized, ["error": "log in first: no valid session"])
            }
            return Response(status: .seeOther, headers: [.location: "/login", .cacheControl: "no-store"])
        }
        var context = context
        context.session = token
        return try await next(request, context)
    }
}

extension WebUI {
    struct MACInput: Decodable { var mac: String }
    struct ZoneInput: Decodable { var zone: String }

    func router() -> Router<WebRequestContext> {
        let router = Router(context: WebRequestContext.self)
        router.add(middleware: SessionCheck(sessions: sessions, clock: clock))

        router.get("/login") { request, _ in
            let query = request.uri.queryParameters
            var message = ""
            if query.get("failed") != nil {
                message = "<p id=\"login-error\" class=\"error\" role=\"alert\">Wrong access code. Try again.</p>"
            } else if let wait = query.get("wait", as: Int.self) {
                message = "<p id=\"login-error\" class=\"error\" role=\"alert\">Too many wrong codes. Wait \(wait) seconds, then try again.</p>"
            }
            return WebUI.page(WebPages.login.replacing("<!--LOGIN-MESSAGE-->", with: message))
        }
        router.post("/login") { request, context in
            let body = try await request.body.collect(upTo: 4096)
            let form = WebUI.formFields(String(buffer: body))
            let client = context.remoteAddress?.ipAddress ?? ""
            switch await self.sessions.login(code: form["code"] ?? "", client: client, now: self.clock()) {
            case .accepted(let token):
                var response = Response(status: .seeOther, headers: [.location: "/", .cacheControl: "no-store"])
                response.setCookie(Cookie(name: SessionCheck.cookieName, value: token, maxAge: Int(WebSessions.lifetimeNanoseconds / 1_000_000_000), path: "/", httpOnly: true, sameSite: .strict))
                self.logger.notice("Web UI login.", metadata: ["client": "\(client)"])
                return response
            case .wrongCode:
                self.logger.warning("Web UI login refused: wrong access code.", metadata: ["client": "\(client)"])
                return Response(status: .seeOther, headers: [.location: "/login?failed=1", .cacheControl: "no-store"])
            case .throttled(let seconds):
                return Response(status: .tooManyRequests, headers: [.location: "/login?wait=\(seconds)", .retryAfter: "\(seconds)", .contentType: "text/html; charset=utf-8"],
                                body: .init(byteBuffer: ByteBuffer(string: WebPages.login.replacing("<!--LOGIN-MESSAGE-->", with: "<p id=\"login-error\" class=\"error\" role=\"alert\">Too many wrong codes. Wait \(seconds) seconds, then try again.</p>"))))
            }
        }
        router.post("/logout") { _, context in
            if let token = context.session { await self.sessions.logout(token) }
            var response = Response(status: .seeOther, headers: [.location: "/login"])
            response.setCookie(Cookie(name: SessionCheck.cookieName, value: "", maxAge: 0, path: "/", httpOnly: true, sameSite: .strict))
            return response
        }

        router.get("/app.css") { _, _ in WebUI.asset(WebPages.css, type: "text/css; charset=utf-8") }
        router.get("/app.js") { _, _ in WebUI.asset(WebPages.js, type: "text/javascript; charset=utf-8") }
        router.get("/") { _, _ in WebUI.page(WebPages.installation) }
        router.get("/calibrate") { _, _ in WebUI.page(WebPages.calibrate) }
        router.get("/train") { _, _ in WebUI.page(WebPages.train) }
        router.get("/whereami") { _, _ in WebUI.page(WebPages.whereAmI) }
        router.get("/dashboard") { _, _ in WebUI.page(WebPages.dashboard) }

        // The venue and its plans.
        router.get("/api/venue") { _, _ in
            WebUI.json(WebVenueMap.summary(await self.backend.layout()))
        }
        router.get("/api/venue/svg") { request, _ in
            let layout = await self.backend.layout()
            let floor = request.uri.queryParameters.get("floor") ?? layout.venue.floors.min { $0.index < $1.index }?.id ?? ""
            guard let svg = WebVenueMap.svg(layout.venue, floor: floor) else {
                throw HTTPError(.notFound, message: "The venue has no floor \"\(floor)\".")
            }
            return Response(status: .ok, headers: [.contentType: "image/svg+xml; charset=utf-8", .cacheControl: "no-store"], body: .init(byteBuffer: ByteBuffer(string: svg)))
        }

        // Live state: once, and as a stream of Server-Sent Events.
        router.get("/api/live") { _, _ in WebUI.json(await self.liveEvent()) }
        router.get("/api/events") { _, context in
            let session = context.session
            return Response(
                status: .ok,
                headers: [.contentType: "text/event-stream", .cacheControl: "no-store", HTTPField.Name("X-Accel-Buffering")!: "no"],
                body: ResponseBody { writer in
                    try await writer.write(ByteBuffer(string: "retry: 2000\n\n"))
                    while !self.stopping.load(ordering: .relaxed), !Task.isCancelled, await self.sessions.isValid(session, now: self.clock()) {
                        let event = await self.liveEvent()
                        try await writer.write(ByteBuffer(string: "event: live\ndata: \(WebUI.encode(event))\n\n"))
                        try await Task.sleep(for: .seconds(1))
                    }
                    try await writer.finish(nil)
                })
        }

        // Calibration.
        router.get("/api/calibration") { _, _ in WebUI.json(await self.calibrationState()) }
        router.post("/api/calibration/phone") { request, context in
            let input = try await request.decode(as: MACInput.self, context: context)
            let id = try await self.deviceID(typed: input.mac)
            let layout = await self.backend.layout()
            await self.calibrationRecorder(layout).setDevice(id)
            await self.updateWatch()
            return WebUI.json(await self.calibrationState())
        }
        router.post("/api/calibration/start") { request, context in
            let input = try await request.decode(as: ZoneInput.self, context: context)
            let layout = await self.backend.layout()
            guard layout.venue.zones.contains(where: { $0.id == input.zone }) else {
                throw HTTPError(.badRequest, message: "The venue has no zone \"\(input.zone)\"; pick one on the map.")
            }
            let now = await self.backend.live().nowNanoseconds
            do { try await self.calibrationRecorder(layout).start(zone: input.zone, now: now) } catch {
                throw HTTPError(.conflict, message: "\(error)")
            }
            return WebUI.json(await self.calibrationState())
        }
        router.post("/api/calibration/stop") { _, _ in
            let layout = await self.backend.layout()
            let now = await self.backend.live().nowNanoseconds
            do { try await self.calibrationRecorder(layout).stop(now: now) } catch {
                throw HTTPError(.internalServerError, message: "\(error)")
            }
            return WebUI.json(await self.calibrationState())
        }

        // Training.
        router.get("/api/train") { _, _ in WebUI.json(await self.training.state(layout: await self.backend.layout())) }
        router.post("/api/train/start") { _, _ in
            let layout = await self.backend.layout()
            await self.training.start(layout: layout, calibrationFile: await self.calibrationRecorder(layout).fingerprintsPath)
            return WebUI.json(await self.training.state(layout: layout))
        }
        router.post("/api/train/accept") { _, _ in
            let layout = await self.backend.layout()
            if let problem = await self.training.accept(layout: layout, backend: self.backend) {
                throw HTTPError(.conflict, message: problem)
            }
            self.logger.notice("Web UI: a newly trained model was installed.", metadata: ["model": "\(layout.modelPath)"])
            return WebUI.json(await self.training.state(layout: await self.backend.layout()))
        }
        router.post("/api/train/rollback") { _, _ in
            let layout = await self.backend.layout()
            if let problem = await self.training.rollback(layout: layout, backend: self.backend) {
                throw HTTPError(.conflict, message: problem)
            }
            self.logger.notice("Web UI: the previous model was restored.", metadata: ["model": "\(layout.modelPath)"])
            return WebUI.json(await self.training.state(layout: await self.backend.layout()))
        }

        // Where am I.
        router.post("/api/whereami") { request, context in
            let input = try await request.decode(as: MACInput.self, context: context)
            let id = try await self.deviceID(typed: input.mac)
            guard let token = context.session else { throw HTTPError(.unauthorized) }
            await self.sessions.setWhereAmIDevice(token, id)
            await self.updateWatch()
            return WebUI.json(await self.whereAmIState(token))
        }
        router.get("/api/whereami") { _, context in
            guard let token = context.session else { throw HTTPError(.unauthorized) }
            return WebUI.json(await self.whereAmIState(token))
        }

        // Dashboard.
        router.get("/api/dashboard") { _, _ in WebUI.json(await self.dashboard()) }
        return router
    }

    // MARK: Views

    struct LiveEvent: Codable {
        struct Sensor: Codable {
            var id: String
            var framesPerSecond: Double
            var frames: UInt64
            var lastHeard: Double?
            var kernelDrops: UInt64
            var pipelineDrops: UInt64
            var silent: Bool
            var channels: [Int]
        }
        var time: Double
        var activeDevices: Int
        var sensors: [Sensor]
        var occupancy: [String: Int]
    }

    func liveEvent() async -> LiveEvent {
        let live = await backend.live()
        let rates = await rates.rates(live.sensors)
        return LiveEvent(
            time: Double(live.nowNanoseconds) / 1e9, activeDevices: live.activeDevices,
            sensors: live.sensors.map {
                .init(id: $0.id, framesPerSecond: ((rates[$0.id] ?? 0) * 10).rounded() / 10, frames: $0.frames, lastHeard: $0.lastHeard,
                      kernelDrops: $0.kernelDrops, pipelineDrops: $0.pipelineDrops, silent: $0.silent, channels: $0.channels)
            },
            occupancy: live.occupancy)
    }

    func calibrationState() async -> CalibrationRecorder.State {
        let layout = await backend.layout()
        return await calibrationRecorder(layout).state(layout: layout)
    }

    struct WhereAmIState: Codable {
        var watching: Bool
        var zone: String?
        var zoneName: String?
        var floor: String?
        var confidence: Float?
        var time: Double?
        var path: [WhereAmITracker.Position]
    }

    func whereAmIState(_ token: String) async -> WhereAmIState {
        guard let device = await sessions.whereAmIDevice(token) else { return WhereAmIState(watching: false, path: []) }
        let path = await whereAmI.path(device)
        guard let last = path.last else { return WhereAmIState(watching: true, path: []) }
        let zone = await backend.layout().venue.zones.first { $0.id == last.zone }
        return WhereAmIState(watching: true, zone: last.zone, zoneName: zone?.name ?? last.zone, floor: zone?.floor, confidence: last.confidence, time: last.time, path: path)
    }

    struct Dashboard: Codable {
        struct Store: Codable {
            var id: String
            var name: String
            var visitorsNow: Int
            var footfall: Int
            var visitors: Int
            var passersBy: Int
            /// Visitors per passer-by (issue 4's capture rate); nil without passers-by.
            var captureRate: Double?
            var medianDwellSeconds: Double?
        }
        /// Start of "today" (midnight UTC of the pipeline clock), Unix seconds.
        var since: Double
        var stores: [Store]
    }

    func dashboard() async -> Dashboard {
        let live = await backend.live()
        let day: Int64 = 86_400 * 1_000_000_000
        let midnight = live.nowNanoseconds >= 0 ? live.nowNanoseconds / day * day : 0
        let figures = Dictionary(await backend.storeStatistics(sinceNanoseconds: midnight).map { ($0.storeID, $0) }, uniquingKeysWith: { a, _ in a })
        let stores = await backend.layout().venue.zones.filter { $0.kind == .store }.map { zone -> Dashboard.Store in
            let f = figures[zone.id]
            let passers = f?.passersBy ?? 0
            return .init(
                id: zone.id, name: zone.name, visitorsNow: live.occupancy[zone.id] ?? 0, footfall: f?.visits ?? 0, visitors: f?.visitors ?? 0,
                passersBy: passers, captureRate: passers > 0 ? Double(f?.visitors ?? 0) / Double(passers) : nil, medianDwellSeconds: f?.medianDwellSeconds)
        }
        return Dashboard(since: Double(midnight) / 1e9, stores: stores)
    }

    // MARK: Responses

    static func encode(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard let data = try? encoder.encode(value) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }

    static func json(status: HTTPResponse.Status = .ok, _ value: some Encodable) -> Response {
        Response(status: status, headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"], body: .init(byteBuffer: ByteBuffer(string: encode(value))))
    }

    /// A page: never cached, never framed, scripts only from this server.
    static func page(_ html: String) -> Response {
        Response(
            status: .ok,
            headers: [
                .contentType: "text/html; charset=utf-8", .cacheControl: "no-store",
                .contentSecurityPolicy: "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'",
                HTTPField.Name("X-Frame-Options")!: "DENY", HTTPField.Name("Referrer-Policy")!: "no-referrer",
            ],
            body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    static func asset(_ text: String, type: String) -> Response {
        Response(status: .ok, headers: [.contentType: type, .cacheControl: "no-cache"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    /// `application/x-www-form-urlencoded` fields (the login form).
    static func formFields(_ body: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in body.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            fields[percentDecoded(parts[0])] = parts.count > 1 ? percentDecoded(parts[1]) : ""
        }
        return fields
    }

    static func percentDecoded(_ text: Substring) -> String {
        var bytes: [UInt8] = []
        var utf8 = Array(text.utf8)[...]
        while let b = utf8.popFirst() {
            if b == UInt8(ascii: "+") {
                bytes.append(UInt8(ascii: " "))
            } else if b == UInt8(ascii: "%"), utf8.count >= 2, let v = UInt8(String(decoding: utf8.prefix(2), as: UTF8.self), radix: 16) {
                bytes.append(v)
                utf8 = utf8.dropFirst(2)
            } else {
                bytes.append(b)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
