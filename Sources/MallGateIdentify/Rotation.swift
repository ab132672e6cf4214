/// How often device ids change, so that ids from different periods cannot be linked.
///
/// The period is computed from the frame's own timestamp in UTC, not the wall clock, so a
/// replay of old captures yields the ids the live run would have.
public enum Rotation: String, Sendable, CaseIterable, Equatable {
    /// One id per device for the life of the key.
    case never
    /// A new id every UTC day (00:00 UTC).
    case daily
    /// A new id every ISO 8601 week (Monday 00:00 UTC).
    case weekly

    static let nanosecondsPerDay: Int64 = 86_400_000_000_000

    /// The period index at `unixNanoseconds`: 0 for ``never``; days since 1970-01-01 for
    /// ``daily``; for ``weekly`` the number of Mondays since 1969-12-29 (the Monday before the
    /// Unix epoch, a Thursday), so weeks start on Monday as ISO 8601 says.
    public func epoch(unixNanoseconds t: Int64) -> Int64 {
        switch self {
        case .never:
            return 0
        case .daily:
            return Self.floorDivide(t, Self.nanosecondsPerDay)
        case .weekly:
            return Self.floorDivide(Self.floorDivide(t, Self.nanosecondsPerDay) + 3, 7)
        }
    }

    /// The tag byte that goes into the HMAC message, so a daily and a weekly epoch with the
    /// same index never give the same id.
    var tag: UInt8 {
        switch self {
        case .never: return 0
        case .daily: return 1
        case .weekly: return 2
        }
    }

    /// Division rounding towards −∞ (times before 1970 land in the right period).
    static func floorDivide(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }
}
