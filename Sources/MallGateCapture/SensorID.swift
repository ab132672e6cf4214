/// The name of one sensor (a radio, a file standing in for one, a TZSP sender), as configured.
///
/// Every frame is attributed to a sensor because localisation compares what
/// different sensors heard; a distinct type keeps sensor names from mixing with
/// interface names or paths.
public struct SensorID: Hashable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral {
    public let rawValue: String
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }
    public var description: String { rawValue }
}
