public import MallGateWire

/// What one upload attempt means for the batch (STYLE.md §8, "delivery is three-way").
public enum DeliveryOutcome: Sendable, Equatable {
    /// The collector holds the batch (stored now, or `duplicate`: stored earlier). Drop it locally.
    case delivered(duplicate: Bool)
    /// Try again later (network trouble, 408, 429, 5xx). `retryAfter` is the server's wish.
    case retry(reason: String, retryAfter: Duration?)
    /// The collector does not accept this gateway's credentials (401). The batch is fine; the
    /// configuration is not, so the queue waits at the longest backoff instead of parking batches.
    case unauthorized(reason: String)
    /// The collector refused this batch (other 4xx). Park it with the reason; never resend it in a loop.
    case rejected(reason: String)

    /// Classifies an HTTP answer to a batch upload.
    /// - Parameters:
    ///   - status: the HTTP status code.
    ///   - retryAfter: the parsed `Retry-After` header, if any.
    ///   - body: the answer's body (a BatchAck from a collector; anything from a proxy).
    public static func classify(status: Int, retryAfter: Duration?, body: [UInt8]) -> DeliveryOutcome {
        let ack = BatchAcknowledgement(encoded: body)
        let reason = "HTTP \(status): " + (ack.map { $0.reason } ?? Self.text(body))
        switch status {
        case 200..<300:
            return .delivered(duplicate: ack?.status == .duplicate)
        case 401:
            return .unauthorized(reason: reason)
        case 408, 429, 500..<600:
            return .retry(reason: reason, retryAfter: (status == 429 || status == 503) ? retryAfter : nil)
        case 400..<500:
            return .rejected(reason: reason)
        default:
            // 1xx/3xx: not an answer a collector gives (redirects are not followed); a
            // misconfigured URL or proxy, not a bad batch — wait and retry.
            return .retry(reason: reason + " (unexpected status; check upstream.url)", retryAfter: nil)
        }
    }

    /// A proxy's error page, trimmed to something a log line and a park reason can hold.
    static func text(_ body: [UInt8]) -> String {
        let prefix = String(decoding: body.prefix(200), as: UTF8.self)
        let cleaned = String(prefix.map { $0.isNewline ? " " : $0 }).trimmingSpaces
        return cleaned.isEmpty ? "(no body)" : cleaned
    }
}
