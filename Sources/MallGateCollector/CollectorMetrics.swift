// Prometheus metrics for the collector (swift-prometheus registry, text format at /metrics).
public import Prometheus

/// The collector's counters, named `mallgate_collector_<thing>_<unit>` (STYLE.md §11).
public struct CollectorMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    let stored: Counter
    let duplicates: Counter
    let rejected: Counter
    let requestBytes: Counter
    let gaps: Counter
    let ingestSeconds: DurationHistogram
    private let rowCounters: [String: Counter]
    private let rejectionCounters: [String: Counter]

    /// Reasons a batch is refused, as the `reason` label of `mallgate_collector_rejections_total`.
    static let rejectionReasons = ["auth", "too_large", "encoding", "bad_body", "gateway_mismatch", "venue", "conflict"]

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        stored = registry.makeCounter(name: "mallgate_collector_batches_total", labels: [("result", "stored")], help: "Batches by outcome.")
        duplicates = registry.makeCounter(name: "mallgate_collector_batches_total", labels: [("result", "duplicate")], help: "Batches by outcome.")
        rejected = registry.makeCounter(name: "mallgate_collector_batches_total", labels: [("result", "rejected")], help: "Batches by outcome.")
        requestBytes = registry.makeCounter(name: "mallgate_collector_request_bytes_total", help: "Compressed batch bytes received.")
        gaps = registry.makeCounter(name: "mallgate_collector_sequence_gaps_total", help: "Sequence gaps recorded (batches a gateway skipped).")
        ingestSeconds = registry.makeDurationHistogram(
            name: "mallgate_collector_ingest_seconds",
            buckets: [.milliseconds(1), .milliseconds(5), .milliseconds(25), .milliseconds(100), .milliseconds(500), .seconds(2), .seconds(10)],
            help: "Time to store one batch.")
        var rows: [String: Counter] = [:]
        for kind in ["position", "visit", "store_count", "health_event"] {
            rows[kind] = registry.makeCounter(name: "mallgate_collector_rows_total", labels: [("kind", kind)], help: "Rows stored.")
        }
        rowCounters = rows
        var rejections: [String: Counter] = [:]
        for reason in Self.rejectionReasons {
            rejections[reason] = registry.makeCounter(name: "mallgate_collector_rejections_total", labels: [("reason", reason)], help: "Refused requests by reason.")
        }
        rejectionCounters = rejections
    }

    func rows(_ kind: String, _ count: Int) { rowCounters[kind]?.increment(by: Int64(count)) }

    func rejection(_ reason: String) {
        rejected.increment()
        rejectionCounters[reason]?.increment()
    }

    /// The text exposition format.
    public func render() -> [UInt8] { registry.emitToBuffer() }
}
