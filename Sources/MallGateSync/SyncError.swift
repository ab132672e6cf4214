/// A configuration problem that stops the uploader from starting.
public struct SyncError: Error, CustomStringConvertible, Sendable {
    enum Kind: Sendable {
        case tls(String)
        case configuration(String)
    }

    let kind: Kind

    init(_ kind: Kind) { self.kind = kind }

    public var description: String {
        switch kind {
        case .tls(let message): return "upstream TLS: \(message)"
        case .configuration(let message): return "upstream: \(message)"
        }
    }
}
