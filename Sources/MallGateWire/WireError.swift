/// Why bytes from the wire could not be turned into a batch.
///
/// A struct around a private enum, so that cases can be added without breaking callers.
/// `description` is the reason the collector sends back to the gateway, so it names what is
/// wrong and, where it helps, what to do.
public struct WireError: Error, CustomStringConvertible, Sendable, Equatable {
    enum Kind: Sendable, Equatable {
        case compression(String)
        case tooLarge(String)
        case protobuf(String)
        case schema(String)
        case hashMismatch(String)
        case invalid(String)
    }

    let kind: Kind

    init(_ kind: Kind) { self.kind = kind }

    /// True when the body (compressed or inflated) is over a size limit (HTTP 413).
    public var isTooLarge: Bool {
        if case .tooLarge = kind { return true }
        return false
    }

    public var description: String {
        switch kind {
        case .compression(let message): return "body: \(message); send gzip(BatchEnvelope) with Content-Encoding: gzip"
        case .tooLarge(let message): return "body: \(message); split the batch"
        case .protobuf(let message): return "protobuf: \(message)"
        case .schema(let message): return "schema: \(message)"
        case .hashMismatch(let message): return "content hash: \(message)"
        case .invalid(let message): return message
        }
    }
}
