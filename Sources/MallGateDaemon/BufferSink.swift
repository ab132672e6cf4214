internal import Glibc
internal import MallGateState
public import Logging
public import MallGateStore
internal import MallGateVisits

/// The store stage of the daemon: turns each ``PipelineOutput`` into one ``StoreBatch`` and
/// writes it to the SQLite buffer (`STATE/buffer.sqlite`) in one transaction.
///
/// One write per capture batch, never per row: a transaction per thousands of rows is what
/// keeps SQLite fast on an SD card. The outbox (batching rows for upload) is the sync stage's:
/// it reads the same database through ``database``.
public final class BufferSink: Sendable {
    /// The buffer's file name inside the state directory.
    public static let fileName = "buffer.sqlite"

    public let database: BufferDatabase
    /// Whether position times come from a synchronized clock (false for live capture while NTP has not synced).
    private let clockSynchronized: @Sendable () -> Bool

    /// Opens (or creates) the buffer in `configuration.stateDirectory`, capped at `[retention] max_database_mb`.
    /// - Throws: ``Daemon/StartError`` naming the file when the database cannot be opened or created.
    public init(configuration: DaemonConfiguration, live: Bool, logger: Logger) throws(Daemon.StartError) {
        if let failure = makeDirectories(configuration.stateDirectory) {
            throw Daemon.StartError(description: "\(configuration.stateDirectory): cannot create the state directory (\(String(cString: strerror(failure)))); check state_directory in \(configuration.file) and its permissions")
        }
        var store = StoreConfiguration(location: .file(configuration.stateDirectory + "/" + Self.fileName))
        store.maxBytes = Int64(configuration.retention.maxDatabaseMegabytes) << 20
        store.logger = logger
        store.clock = FaultInjection.wallClockNanoseconds  // the wall clock, unless a test shifts it
        do { database = try BufferDatabase(store) } catch {
            throw Daemon.StartError(description: "\(error)")
        }
        if live {
            clockSynchronized = { SystemClock.isSynchronized() }
        } else {
            // Replayed times are the capture's own, whatever the gateway's clock says now.
            clockSynchronized = { true }
        }
    }

    /// Writes one batch of results (and the sensors' latest health) in one transaction.
    public func write(_ out: PipelineOutput, sensors: [MallGateStore.SensorHealth] = []) async throws {
        guard !out.isEmpty || !sensors.isEmpty else { return }
        // The engine's rows go in as they are; only the clock flag is the sink's to set.
        var batch = StoreBatch(positions: out.positions, visits: out.visits, storeCounts: out.storeCounts, sensors: sensors)
        if !batch.positions.isEmpty, !clockSynchronized() {
            for i in batch.positions.indices { batch.positions[i].clockSynchronized = false }
        }
        batch.events.reserveCapacity(out.events.count)
        for e in out.events {
            // The events table has no sensor column: the sensor leads the message.
            let message = e.sensor.isEmpty || e.detail.hasPrefix("sensor \(e.sensor) ") ? e.detail : "sensor \(e.sensor): \(e.detail)"
            batch.events.append(EventRow(timeNanoseconds: e.timeNanoseconds, level: e.kind.level, kind: e.kind.storeKind, message: message))
        }
        try await database.write(batch)
    }

    /// Size, backlog and rows committed, for metrics and the status file; nil fields when the store cannot say.
    public func statistics() async -> SinkStatistics {
        var out = SinkStatistics()
        if let stats = try? await database.stats() {
            out.databaseBytes = stats.fileBytes
            out.rowsCommitted = Int64(stats.rowsWritten.positions)
            out.diskFull = stats.diskFull
        }
        if let backlog = try? await database.backlog() {
            out.outboxBacklogRows = Int64(backlog.pendingRows + backlog.unbatchedRows.total)
            out.outboxOldestAgeSeconds = backlog.oldestPendingCreatedAtNanoseconds == nil ? nil : Double(backlog.ageNanoseconds) / 1e9
        }
        return out
    }

    /// Checkpoints the WAL into the database and closes it (shutdown).
    public func close() async throws {
        try await database.close()
    }
}

extension Placement {
    init(_ place: PlaceStatus) {
        switch place {
        case .inside: self = .inside
        case .outsideNearStore: self = .outside
        case .elsewhere: self = .elsewhere
        }
    }
}

extension PipelineEvent.Kind {
    /// The store's event kind: a short word with dashes (`sensor-silent`).
    var storeKind: String { rawValue.replacing("_", with: "-") }

    var level: EventLevel {
        switch self {
        case .sensorSilent: .warning
        case .sourceFailed, .reloadFailed: .error
        case .reloaded, .artifactInstalled: .notice
        case .artifactRefused: .warning
        case .sensorBack, .started, .stopped: .info
        }
    }
}

/// The system clock's NTP state.
enum SystemClock {
    /// Whether systemd-timesyncd has synchronized the clock since boot (it creates this file,
    /// systemd-timesyncd.service(8)). Gateways without timesyncd report false: times are then
    /// marked unverified rather than trusted blindly.
    static func isSynchronized() -> Bool {
        access("/run/systemd/timesync/synchronized", F_OK) == 0
    }
}
