/// Exponential backoff with full jitter between failed upload rounds.
///
/// A value type driven by its caller (no clock inside): the uploader asks for the next delay
/// after each failure and resets after a success, so tests can step it without sleeping.
/// Jitter spreads the retries of many gateways that lost the same uplink at the same moment
/// (AWS architecture blog, "Exponential Backoff And Jitter": full jitter).
public struct Backoff: Sendable, Equatable {
    /// The delay ceiling for the first failure.
    public var initial: Duration
    /// No delay is longer than this (nor a Retry-After the server asks for).
    public var maximum: Duration
    /// Growth per consecutive failure.
    public var multiplier: Double
    /// Consecutive failures so far.
    public private(set) var failures: Int = 0

    public init(initial: Duration = .seconds(1), maximum: Duration = .seconds(300), multiplier: Double = 2) {
        self.initial = initial
        self.maximum = maximum
        self.multiplier = multiplier
    }

    /// The delay before the next attempt, after one more failure.
    /// - Parameters:
    ///   - retryAfter: what the server asked for (429/503 Retry-After); honoured, capped at `maximum`.
    ///   - unit: a random number in 0..<1 (injected so tests are repeatable).
    public mutating func nextDelay(retryAfter: Duration? = nil, unit: Double) -> Duration {
        failures += 1
        let ceiling = Self.seconds(initial) * pow2(failures - 1)
        let capped = min(ceiling, Self.seconds(maximum))
        // Full jitter: uniform in [0, capped], but never below 10 % of it, so a lucky draw does not
        // turn backoff into an immediate retry loop.
        var delay = capped * (0.1 + 0.9 * min(max(unit, 0), 1))
        if let retryAfter { delay = max(delay, min(Self.seconds(retryAfter), Self.seconds(maximum))) }
        return .milliseconds(Int64((delay * 1000).rounded()))
    }

    /// A success: the next failure starts from `initial` again.
    public mutating func reset() { failures = 0 }

    private func pow2(_ exponent: Int) -> Double {
        var value = 1.0
        // Beyond ~60 doublings every ceiling is past any sane maximum; stop multiplying.
        for _ in 0..<min(exponent, 60) { value *= multiplier }
        return value
    }

    static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}

/// The `Retry-After` header (RFC 9110 §10.2.3): delay-seconds or an HTTP-date.
public enum RetryAfter {
    /// The delay the header asks for; nil if absent or unreadable.
    /// - Parameter nowUnixSeconds: the current wall-clock time, for the HTTP-date form.
    public static func parse(_ value: String?, nowUnixSeconds: Int64) -> Duration? {
        guard let raw = value?.trimmingSpaces, !raw.isEmpty else { return nil }
        if raw.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) {
            guard let seconds = Int64(raw) else { return nil }
            return .seconds(seconds)
        }
        guard let date = imfFixdate(raw) else { return nil }
        return .seconds(max(0, date - nowUnixSeconds))
    }

    /// "Sun, 06 Nov 1994 08:49:37 GMT" → Unix seconds (IMF-fixdate, the form servers must send).
    static func imfFixdate(_ text: String) -> Int64? {
        let parts = text.split(separator: " ")
        guard parts.count == 6, parts[5] == "GMT", let day = Int64(parts[1]), let year = Int64(parts[3]) else { return nil }
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        guard let monthIndex = months.firstIndex(of: String(parts[2])) else { return nil }
        let clock = parts[4].split(separator: ":").compactMap { Int64($0) }
        guard clock.count == 3, (1...31).contains(day), clock[0] < 24, clock[1] < 60, clock[2] < 61 else { return nil }
        // Days from civil (Howard Hinnant's algorithm), proleptic Gregorian calendar.
        let month = Int64(monthIndex + 1)
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146_097 + dayOfEra - 719_468
        return days * 86_400 + clock[0] * 3600 + clock[1] * 60 + clock[2]
    }
}

extension String {
    var trimmingSpaces: String {
        var view = Substring(self)
        while view.first == " " || view.first == "\t" { view.removeFirst() }
        while view.last == " " || view.last == "\t" { view.removeLast() }
        return String(view)
    }
}
