/// Sessions of the web UI and the brake on guessing the access code.
///
/// An actor so that logins, page loads and the attempt counter of each client change one state
/// in turn. Time is a parameter (`now`, ns) so tests drive it without sleeping.
actor WebSessions {
    /// What a session remembers server-side, so that no device id ever travels to the browser.
    struct Session {
        var expiresNanoseconds: Int64
        /// The "where am I" device of this browser: a keyed id, never the MAC.
        var whereAmIDevice: UInt64?
    }

    /// Why a login was refused.
    enum LoginOutcome: Equatable {
        case accepted(token: String)
        case wrongCode
        /// Too many wrong codes from this client: wait this many seconds.
        case throttled(retryAfterSeconds: Int)
    }

    static let lifetimeNanoseconds: Int64 = 12 * 3600 * 1_000_000_000
    /// Wrong codes a client may send per ``attemptWindowNanoseconds`` before it must wait.
    static let maximumFailures = 5
    static let attemptWindowNanoseconds: Int64 = 60 * 1_000_000_000

    private let accessCode: [UInt8]
    private var sessions: [String: Session] = [:]
    /// Recent failure times per client address.
    private var failures: [String: [Int64]] = [:]

    init(accessCode: String) {
        self.accessCode = Array(accessCode.utf8)
    }

    /// Checks `code` from `client` (its IP address; "" when unknown) and opens a session when it matches.
    func login(code: String, client: String, now: Int64) -> LoginOutcome {
        var recent = (failures[client] ?? []).filter { now - $0 < Self.attemptWindowNanoseconds }
        if recent.count >= Self.maximumFailures {
            failures[client] = recent
            let wait = (recent[0] + Self.attemptWindowNanoseconds - now + 999_999_999) / 1_000_000_000
            return .throttled(retryAfterSeconds: Int(max(1, wait)))
        }
        guard Self.constantTimeEqual(Array(code.utf8), accessCode) else {
            recent.append(now)
            failures[client] = recent
            return .wrongCode
        }
        failures[client] = nil
        sessions = sessions.filter { $0.value.expiresNanoseconds > now }
        let token = Self.randomToken()
        sessions[token] = Session(expiresNanoseconds: now + Self.lifetimeNanoseconds)
        return .accepted(token: token)
    }

    /// Whether `token` names a live session.
    func isValid(_ token: String?, now: Int64) -> Bool {
        guard let token, let session = sessions[token] else { return false }
        if session.expiresNanoseconds <= now {
            sessions[token] = nil
            return false
        }
        return true
    }

    func logout(_ token: String) { sessions[token] = nil }

    func whereAmIDevice(_ token: String) -> UInt64? { sessions[token]?.whereAmIDevice }

    func setWhereAmIDevice(_ token: String, _ device: UInt64?) { sessions[token]?.whereAmIDevice = device }

    /// Every device some session watches in "where am I".
    func watchedDevices(now: Int64) -> Set<UInt64> {
        Set(sessions.values.filter { $0.expiresNanoseconds > now }.compactMap(\.whereAmIDevice))
    }

    /// Compares without an early exit, so response time does not tell how much of a guess was right.
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt8(a.count == b.count ? 0 : 1)
        for i in 0..<max(a.count, b.count) {
            difference |= (i < a.count ? a[i] : 0) ^ (i < b.count ? b[i] : 0)
        }
        return difference == 0
    }

    /// 256 random bits from the system's generator, as hex (a valid cookie value).
    static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        var text = ""
        for _ in 0..<4 {
            let v = generator.next() as UInt64
            let hex = String(v, radix: 16)
            text += String(repeating: "0", count: 16 - hex.count) + hex
        }
        return text
    }
}
