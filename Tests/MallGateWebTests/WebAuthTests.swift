import Hummingbird
import HummingbirdTesting
import MallGateTestSupport
import MallGateVenue
@testable import MallGateWeb
import Synchronization
import Testing

/// Access control: without the code, nothing but the login page; with it, a session cookie
/// that opens the pages and the API; guessing is slowed per client.
struct WebAuthTests {
    static let code = "correct-horse-42"
    static let pages = ["/", "/calibrate", "/train", "/whereami", "/dashboard"]
    static let apis = ["/api/venue", "/api/venue/svg?floor=L0", "/api/live", "/api/events", "/api/calibration", "/api/train", "/api/whereami", "/api/dashboard"]

    static func makeUI(_ name: String, logs: LogStore = LogStore(), clock: ManualClock = ManualClock(1_000_000_000_000)) throws -> (WebUI, FakeBackend) {
        let backend = try FakeBackend(stateDirectory: makeTemporaryDirectory(name))
        let ui = WebUI(options: .init(accessCode: code), backend: backend, logger: logs.logger, training: TrainingJob(), clock: { clock.now })
        return (ui, backend)
    }

    static func form(_ code: String) -> (HTTPFields, ByteBuffer) {
        ([.contentType: "application/x-www-form-urlencoded"], ByteBuffer(string: "code=" + code.replacing("-", with: "%2D")))
    }

    /// Logs in and returns the `Cookie` header value.
    static func logIn(_ client: some TestClientProtocol) async throws -> String {
        let (headers, body) = form(code)
        let response = try await client.execute(uri: "/login", method: .post, headers: headers, body: body)
        #expect(response.status == .seeOther)
        #expect(response.headers[.location] == "/")
        let setCookie = try #require(response.headers[.setCookie])
        let pair = try #require(setCookie.split(separator: ";").first)
        return String(pair)
    }

    @Test func withoutASessionPagesGoToLoginAndTheAPIRefuses() async throws {
        let (ui, _) = try Self.makeUI("nosession")
        try await ui.application().test(.router) { client in
            for page in Self.pages {
                let r = try await client.execute(uri: page, method: .get)
                #expect(r.status == .seeOther, "\(page)")
                #expect(r.headers[.location] == "/login", "\(page)")
                #expect(!String(buffer: r.body).contains("venue-map"), "\(page)")
            }
            for api in Self.apis {
                let r = try await client.execute(uri: api, method: .get)
                #expect(r.status == .unauthorized, "\(api)")
            }
            for api in ["/api/calibration/phone", "/api/calibration/start", "/api/train/start", "/api/train/accept", "/api/whereami"] {
                let r = try await client.execute(uri: api, method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: "{\"mac\":\"3c:22:fb:12:34:56\"}"))
                #expect(r.status == .unauthorized, "\(api)")
            }
            // A made-up session cookie is no session.
            let r = try await client.execute(uri: "/api/live", method: .get, headers: [.cookie: "mallgate_session=00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"])
            #expect(r.status == .unauthorized)
            let login = try await client.execute(uri: "/login", method: .get)
            #expect(login.status == .ok)
            let html = String(buffer: login.body)
            #expect(html.contains("id=\"login-code\"") && html.contains("id=\"login-submit\""))
            #expect(!html.contains("id=\"login-error\""))
        }
    }

    @Test func aWrongCodeGoesBackToLoginWithAnError() async throws {
        let (ui, _) = try Self.makeUI("wrong")
        try await ui.application().test(.router) { client in
            let (headers, body) = Self.form("correct-horse-43")
            let r = try await client.execute(uri: "/login", method: .post, headers: headers, body: body)
            #expect(r.status == .seeOther)
            #expect(r.headers[.location] == "/login?failed=1")
            #expect(r.headers[.setCookie] == nil)
            let page = try await client.execute(uri: "/login?failed=1", method: .get)
            #expect(String(buffer: page.body).contains("id=\"login-error\""))
        }
    }

    @Test func theSessionCookieOpensPagesAndAPI() async throws {
        let (ui, _) = try Self.makeUI("cookie")
        try await ui.application().test(.router) { client in
            let (headers, body) = Self.form(Self.code)
            let r = try await client.execute(uri: "/login", method: .post, headers: headers, body: body)
            let setCookie = try #require(r.headers[.setCookie])
            #expect(setCookie.hasPrefix("mallgate_session="))
            #expect(setCookie.contains("HttpOnly"))
            #expect(setCookie.contains("SameSite=Strict"))
            #expect(setCookie.contains("Path=/"))
            let cookie = String(setCookie.split(separator: ";")[0])
            for page in Self.pages {
                let p = try await client.execute(uri: page, method: .get, headers: [.cookie: cookie])
                #expect(p.status == .ok, "\(page)")
                #expect(String(buffer: p.body).contains("<script src=\"/app.js\""), "\(page)")
            }
            let venue = try await client.execute(uri: "/api/venue", method: .get, headers: [.cookie: cookie])
            #expect(venue.status == .ok)
            #expect(String(buffer: venue.body).contains("\"demo-mall\""))
            // Logging out ends the session.
            _ = try await client.execute(uri: "/logout", method: .post, headers: [.cookie: cookie])
            let after = try await client.execute(uri: "/api/venue", method: .get, headers: [.cookie: cookie])
            #expect(after.status == .unauthorized)
        }
    }

    @Test func sessionsExpire() async throws {
        let clock = ManualClock(5_000_000_000)
        let (ui, _) = try Self.makeUI("expiry", clock: clock)
        try await ui.application().test(.router) { client in
            let cookie = try await Self.logIn(client)
            #expect(try await client.execute(uri: "/api/live", method: .get, headers: [.cookie: cookie]).status == .ok)
            clock.advance(nanoseconds: WebSessions.lifetimeNanoseconds)
            #expect(try await client.execute(uri: "/api/live", method: .get, headers: [.cookie: cookie]).status == .unauthorized)
        }
    }

    @Test func guessingIsSlowedPerClient() async throws {
        let clock = ManualClock(5_000_000_000)
        let (ui, _) = try Self.makeUI("brake", clock: clock)
        try await ui.application().test(.router) { client in
            for attempt in 0..<WebSessions.maximumFailures {
                let (headers, body) = Self.form("guess-\(attempt)")
                let r = try await client.execute(uri: "/login", method: .post, headers: headers, body: body)
                #expect(r.headers[.location] == "/login?failed=1")
                clock.advance(nanoseconds: 1_000_000_000)
            }
            // Even the right code is refused now, with the time to wait.
            let (headers, body) = Self.form(Self.code)
            let refused = try await client.execute(uri: "/login", method: .post, headers: headers, body: body)
            #expect(refused.status == .tooManyRequests)
            #expect(refused.headers[.setCookie] == nil)
            // The first failure was 5 s ago: it leaves the 60 s window 55 s from now.
            #expect(refused.headers[.retryAfter] == "55")
            #expect(String(buffer: refused.body).contains("id=\"login-error\""))
            clock.advance(nanoseconds: 55_000_000_000)
            let accepted = try await client.execute(uri: "/login", method: .post, headers: headers, body: body)
            #expect(accepted.status == .seeOther)
            #expect(accepted.headers[.setCookie] != nil)
        }
    }

    @Test func codesAreComparedWhole() {
        #expect(WebSessions.constantTimeEqual(Array("abcdefgh".utf8), Array("abcdefgh".utf8)))
        #expect(!WebSessions.constantTimeEqual(Array("abcdefgh".utf8), Array("abcdefgi".utf8)))
        #expect(!WebSessions.constantTimeEqual(Array("abcdefgh".utf8), Array("abcdefg".utf8)))
        #expect(!WebSessions.constantTimeEqual(Array("".utf8), Array("a".utf8)))
        #expect(WebSessions.randomToken() != WebSessions.randomToken())
        #expect(WebSessions.randomToken().count == 64)
    }

    @Test func theMapCarriesStoreAndSensorIds() async throws {
        let (ui, backend) = try Self.makeUI("map")
        try await ui.application().test(.router) { client in
            let cookie = try await Self.logIn(client)
            for floor in backend.venue.floors {
                let r = try await client.execute(uri: "/api/venue/svg?floor=\(floor.id)", method: .get, headers: [.cookie: cookie])
                #expect(r.status == .ok)
                let svg = String(buffer: r.body)
                #expect(svg.hasPrefix("<svg"))
                let stores = backend.venue.zones.filter { $0.floor == floor.id && $0.kind == .store }
                let sensors = backend.venue.sensors.filter { $0.floor == floor.id }
                #expect(svg.components("data-store-id=\"") == stores.count)
                #expect(svg.components("data-sensor-id=\"") == sensors.count)
                for s in stores { #expect(svg.contains("data-store-id=\"\(s.id)\"")) }
                for s in sensors { #expect(svg.contains("data-sensor-id=\"\(s.id)\"")) }
            }
            let missing = try await client.execute(uri: "/api/venue/svg?floor=L9", method: .get, headers: [.cookie: cookie])
            #expect(missing.status == .notFound)
        }
    }
}

extension String {
    /// How many times `needle` occurs.
    func components(_ needle: String) -> Int { ranges(of: needle).count }
}
