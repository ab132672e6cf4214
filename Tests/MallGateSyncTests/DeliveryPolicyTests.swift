import MallGateSync
import MallGateWire
import Testing

@Suite("Delivery policy: status classes, backoff, Retry-After")
struct DeliveryPolicyTests {
    @Test("2xx delivered, 408/429/5xx retried, 401 holds the queue, other 4xx rejected with the collector's reason")
    func classification() {
        let rejectedAck = BatchAcknowledgement(sequence: 3, status: .rejected, reason: "venue mismatch").encoded()
        #expect(DeliveryOutcome.classify(status: 200, retryAfter: nil, body: BatchAcknowledgement(sequence: 3, status: .stored).encoded()) == .delivered(duplicate: false))
        #expect(DeliveryOutcome.classify(status: 200, retryAfter: nil, body: BatchAcknowledgement(sequence: 3, status: .duplicate).encoded()) == .delivered(duplicate: true))
        #expect(DeliveryOutcome.classify(status: 204, retryAfter: nil, body: []) == .delivered(duplicate: false))
        for status in [408, 500, 502, 504] {
            guard case .retry(_, let after) = DeliveryOutcome.classify(status: status, retryAfter: .seconds(9), body: []) else {
                Issue.record("\(status) is not a retry"); continue
            }
            #expect(after == nil, "Retry-After is honoured only for 429 and 503")
        }
        for status in [429, 503] {
            #expect(DeliveryOutcome.classify(status: status, retryAfter: .seconds(9), body: []) == .retry(reason: "HTTP \(status): (no body)", retryAfter: .seconds(9)))
        }
        guard case .unauthorized = DeliveryOutcome.classify(status: 401, retryAfter: nil, body: []) else { Issue.record("401"); return }
        for status in [400, 403, 404, 409, 413, 415, 422] {
            #expect(DeliveryOutcome.classify(status: status, retryAfter: nil, body: rejectedAck) == .rejected(reason: "HTTP \(status): venue mismatch"))
        }
        // A proxy's HTML error page becomes a one-line reason.
        #expect(DeliveryOutcome.classify(status: 404, retryAfter: nil, body: Array("<html>\nNot found\n</html>".utf8)) == .rejected(reason: "HTTP 404: <html> Not found </html>"))
    }

    @Test("backoff doubles up to the maximum, jitter stays within [10 %, 100 %] of the ceiling, success resets")
    func backoffGrowth() {
        var backoff = Backoff(initial: .seconds(1), maximum: .seconds(60), multiplier: 2)
        // unit 1 → the ceiling itself: 1, 2, 4, 8, 16, 32, 60, 60.
        let ceilings = (0..<8).map { _ in backoff.nextDelay(unit: 1) }
        #expect(ceilings == [1, 2, 4, 8, 16, 32, 60, 60].map { Duration.seconds($0) })
        backoff.reset()
        #expect(backoff.nextDelay(unit: 0) == .milliseconds(100))
        #expect(backoff.nextDelay(unit: 0.5) == .milliseconds(1100))  // ceiling 2 s × (0.1 + 0.45)
        #expect(backoff.failures == 2)
    }

    @Test("Retry-After wins over a shorter backoff, but not over the maximum")
    func retryAfterHonoured() {
        var backoff = Backoff(initial: .seconds(1), maximum: .seconds(300))
        #expect(backoff.nextDelay(retryAfter: .seconds(30), unit: 0) == .seconds(30))
        var capped = Backoff(initial: .seconds(1), maximum: .seconds(10))
        #expect(capped.nextDelay(retryAfter: .seconds(3600), unit: 0) == .seconds(10))
    }

    @Test("Retry-After: delay-seconds and IMF-fixdate (RFC 9110 §5.6.7's example date)")
    func retryAfterParsing() {
        #expect(RetryAfter.parse("120", nowUnixSeconds: 0) == .seconds(120))
        #expect(RetryAfter.parse(" 7 ", nowUnixSeconds: 0) == .seconds(7))
        // Sun, 06 Nov 1994 08:49:37 GMT is Unix time 784111777 (`date -u -d @784111777`).
        #expect(RetryAfter.parse("Sun, 06 Nov 1994 08:49:37 GMT", nowUnixSeconds: 784_111_777 - 90) == .seconds(90))
        #expect(RetryAfter.parse("Sun, 06 Nov 1994 08:49:37 GMT", nowUnixSeconds: 784_111_777 + 5) == .seconds(0))
        #expect(RetryAfter.parse("soon", nowUnixSeconds: 0) == nil)
        #expect(RetryAfter.parse(nil, nowUnixSeconds: 0) == nil)
    }
}
