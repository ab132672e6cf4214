internal import CoreMetrics
public import Hummingbird
public import Logging
public import ServiceLifecycle
public import Prometheus

/// The daemon's metrics, named `mallgate_<thing>_<unit>`, through swift-metrics.
///
/// Handles are looked up when used (per batch and sensor, not per frame), so the registry's
/// lock is taken a few times per batch, and none is bound before the factory is bootstrapped. Without ``bootstrap(_:)`` (tests, `config check`) they go nowhere.
enum DaemonMetrics {
    static func frames(_ sensor: String) -> CoreMetrics.Counter { CoreMetrics.Counter(label: "mallgate_frames_total", dimensions: [("sensor", sensor)]) }
    static func probeRequests(_ sensor: String) -> CoreMetrics.Counter { CoreMetrics.Counter(label: "mallgate_probe_requests_total", dimensions: [("sensor", sensor)]) }
    /// Frames lost, by reason: `pipeline_behind` (dropped at the edge), `kernel` (capture buffer full),
    /// `interface` (driver), `decode` (malformed or unusable frames).
    static func dropped(_ sensor: String, _ reason: String) -> CoreMetrics.Counter {
        CoreMetrics.Counter(label: "mallgate_dropped_frames_total", dimensions: [("sensor", sensor), ("reason", reason)])
    }
    /// Probe requests not localized, by reason: `implausible_signal`, `opted_out`.
    static func skipped(_ reason: String) -> CoreMetrics.Counter { CoreMetrics.Counter(label: "mallgate_skipped_probe_requests_total", dimensions: [("reason", reason)]) }
    static func sourceRestarts(_ sensor: String) -> CoreMetrics.Counter { CoreMetrics.Counter(label: "mallgate_source_restarts_total", dimensions: [("sensor", sensor)]) }
    static func lastHeard(_ sensor: String) -> CoreMetrics.Gauge { CoreMetrics.Gauge(label: "mallgate_sensor_last_heard_seconds", dimensions: [("sensor", sensor)]) }
    static func silent(_ sensor: String) -> CoreMetrics.Gauge { CoreMetrics.Gauge(label: "mallgate_sensor_silent", dimensions: [("sensor", sensor)]) }
    static var activeDevices: CoreMetrics.Gauge { CoreMetrics.Gauge(label: "mallgate_active_devices") }
    static var positions: CoreMetrics.Counter { CoreMetrics.Counter(label: "mallgate_positions_total") }
    static var visits: CoreMetrics.Counter { CoreMetrics.Counter(label: "mallgate_visits_total") }
    static var passersBy: CoreMetrics.Counter { CoreMetrics.Counter(label: "mallgate_passers_by_total") }
    /// 1 while the store holds rows in memory because the disk is full.
    static var diskFull: CoreMetrics.Gauge { CoreMetrics.Gauge(label: "mallgate_database_disk_full") }
    static var reloads: CoreMetrics.Counter { CoreMetrics.Counter(label: "mallgate_reloads_total") }
    static var reloadFailures: CoreMetrics.Counter { CoreMetrics.Counter(label: "mallgate_reload_failures_total") }
    static func artifactsInstalled(_ kind: String) -> CoreMetrics.Counter { CoreMetrics.Counter(label: "mallgate_artifacts_installed_total", dimensions: [("kind", kind)]) }
    static func artifactsRefused(_ kind: String) -> CoreMetrics.Counter { CoreMetrics.Counter(label: "mallgate_artifacts_refused_total", dimensions: [("kind", kind)]) }
    static var sinkErrors: CoreMetrics.Counter { CoreMetrics.Counter(label: "mallgate_sink_errors_total") }
    static var databaseBytes: CoreMetrics.Gauge { CoreMetrics.Gauge(label: "mallgate_database_bytes") }
    static var outboxBacklogRows: CoreMetrics.Gauge { CoreMetrics.Gauge(label: "mallgate_outbox_backlog_rows") }
    static var outboxOldestAge: CoreMetrics.Gauge { CoreMetrics.Gauge(label: "mallgate_outbox_oldest_age_seconds") }
    /// Batches the collector took, by `result`: `stored`, `duplicate` (it had them), `parked` (refused).
    static func syncBatches(_ result: String) -> CoreMetrics.Counter { CoreMetrics.Counter(label: "mallgate_sync_batches_total", dimensions: [("result", result)]) }
    static var syncRows: CoreMetrics.Counter { CoreMetrics.Counter(label: "mallgate_sync_rows_total") }
    /// Compressed HTTP body bytes of delivered batches.
    static var syncBytes: CoreMetrics.Counter { CoreMetrics.Counter(label: "mallgate_sync_bytes_total") }
    /// Failed attempts by `reason`: `network`, `http_408`, `http_429`, `http_5xx`, `unauthorized`, `rejected`, `buffer`.
    static func syncFailures(_ reason: String) -> CoreMetrics.Counter { CoreMetrics.Counter(label: "mallgate_sync_failures_total", dimensions: [("reason", reason)]) }
    static var syncBacklogBatches: CoreMetrics.Gauge { CoreMetrics.Gauge(label: "mallgate_sync_backlog_batches") }
    /// Rows in pending batches plus rows not sealed yet.
    static var syncBacklogRows: CoreMetrics.Gauge { CoreMetrics.Gauge(label: "mallgate_sync_backlog_rows") }
    static var syncParkedBatches: CoreMetrics.Gauge { CoreMetrics.Gauge(label: "mallgate_sync_parked_batches") }
    /// Unix seconds of the last delivered batch.
    static var syncLastSuccess: CoreMetrics.Gauge { CoreMetrics.Gauge(label: "mallgate_sync_last_success_seconds") }
}

/// Serves the Prometheus text format at `GET /metrics`, as a service of the daemon's group.
///
/// Hummingbird rather than raw swift-nio: it is the project's HTTP server (the web UI
/// comes next) and it is a ServiceLifecycle `Service`, so graceful shutdown covers it.
public enum MetricsEndpoint {
    /// Routes every swift-metrics handle of this process into `registry`. Call once per process.
    public static func bootstrap(_ registry: PrometheusCollectorRegistry) {
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
    }

    /// The HTTP service for `registry` on `host:port`.
    public static func service(registry: PrometheusCollectorRegistry, host: String, port: Int, logger: Logger) -> some Service {
        let router = Router()
        // A String response is served as text/plain; charset=utf-8, which Prometheus reads as its text format.
        router.get("metrics") { _, _ -> String in registry.emitToString() }
        return Application(router: router, configuration: .init(address: .hostname(host, port: port), serverName: "mallgate"), logger: logger)
    }
}
