// Sync in the daemon: seals buffered rows into outbox batches and uploads them to the collector,
// beside the pipeline and never in its way (the outbox is the buffer between the two).
internal import AsyncHTTPClient
internal import CoreMetrics
internal import Glibc
public import Logging
public import MallGateStore
public import MallGateSync
public import ServiceLifecycle
internal import Synchronization

/// The sync stage's state as `mallgate status`, the status file and the STATUS= line show it.
public struct SyncStatus: Codable, Sendable, Equatable {
    /// The collector's base URL.
    public var collector: String
    public var gatewayId: String
    /// `idle` (nothing to send), `uploading`, `retrying` (backing off after a failure),
    /// `unauthorized` (the token is refused; batches are kept).
    public var state: String = "idle"
    public var pendingBatches = 0
    /// Rows in pending batches plus rows not yet sealed into any batch.
    public var pendingRows = 0
    public var unbatchedRows = 0
    /// Age of the oldest pending batch, seconds; nil with nothing pending.
    public var oldestPendingAgeSeconds: Double?
    public var parkedBatches = 0
    /// Since the daemon started.
    public var sentBatches: UInt64 = 0
    public var sentRows: UInt64 = 0
    public var sentBytes: UInt64 = 0
    /// Of `sentBatches`: the collector had them already (a resend after a lost answer).
    public var duplicates: UInt64 = 0
    public var failedAttempts: UInt64 = 0
    /// Unix seconds of the last delivered batch.
    public var lastSuccess: Double?
    public var lastError: String?
    /// Unix seconds of `lastError`.
    public var lastErrorAt: Double?

    public init(collector: String, gatewayId: String) {
        self.collector = collector
        self.gatewayId = gatewayId
    }

    /// Everything waiting: rows in pending batches plus unsealed rows.
    public var backlogRows: Int { pendingRows + unbatchedRows }
}

/// The latest ``SyncStatus``, shared between the sync service (writer) and the pipeline's status
/// writer (reader) without either waiting for the other.
public final class SyncStatusBoard: Sendable {
    private let value: Mutex<SyncStatus?>

    public init() { value = Mutex(nil) }

    /// The latest status; nil before the sync service has started.
    public var current: SyncStatus? { value.withLock { $0 } }

    func update(_ change: (inout SyncStatus) -> Void) {
        value.withLock { status in
            if status != nil { change(&status!) }
        }
    }

    func set(_ status: SyncStatus) { value.withLock { $0 = status } }
}

/// Seals buffered rows into batches and uploads them, as a service of the daemon's group.
///
/// Why a service of its own rather than work on the pipeline's actor: uploads wait on the network
/// for seconds or hours, and capture must never wait with them. Sealing reads and writes the
/// buffer in chunks of ``UpstreamConfiguration/batchRows`` rows, one short transaction each, so
/// the pipeline's writes interleave. While a backlog remains the loop goes on without pausing
/// (seal a few batches, send them, again); with nothing left it waits
/// ``UpstreamConfiguration/intervalSeconds``; after a failure, the uploader's backoff (exponential
/// with jitter, honouring Retry-After). Graceful shutdown cancels the loop between two batches
/// (an upload in flight is abandoned and stays pending: the collector deduplicates a resend).
public final class SyncService: Service, Sendable {
    public let outbox: BufferOutbox
    public let board: SyncStatusBoard
    let upstream: UpstreamConfiguration
    let uploader: Uploader
    let logger: Logger
    /// Batches sealed per round before sending them: bounds the time between two uploads while a
    /// large backlog is sealed, and the outbox's growth ahead of the uplink.
    let sealChunk = 8

    /// - Parameters:
    ///   - database: the pipeline's buffer (the same actor the pipeline writes to).
    ///   - venueID, zoneIDs: the venue's id and zone ids in venue-file order (the wire format's zone table).
    /// - Throws: ``Daemon/StartError`` when the TLS files cannot be loaded.
    public init(
        upstream: UpstreamConfiguration, database: BufferDatabase, venueID: String, zoneIDs: [String],
        board: SyncStatusBoard = SyncStatusBoard(), logger: Logger,
        observe: @escaping @Sendable (UploadAttempt) -> Void = { _ in }
    ) throws(Daemon.StartError) {
        self.upstream = upstream
        self.outbox = BufferOutbox(database: database, venueID: venueID, zoneIDs: zoneIDs, maxRowsPerBatch: upstream.batchRows)
        self.board = board
        self.logger = logger
        board.set(SyncStatus(collector: upstream.baseURL, gatewayId: upstream.gatewayID))
        do {
            uploader = try Uploader(
                configuration: Self.uploaderConfiguration(upstream), outbox: outbox, logger: logger,
                nowUnixMs: { FaultInjection.wallClockNanoseconds() / 1_000_000 },
                observe: { [board] attempt in
                    Self.record(attempt, on: board)
                    observe(attempt)
                })
        } catch {
            throw Daemon.StartError(description: "\(error); check [upstream] in the configuration")
        }
    }

    /// The uploader's settings for an `[upstream]` section.
    public static func uploaderConfiguration(_ upstream: UpstreamConfiguration) -> UploaderConfiguration {
        var configuration = UploaderConfiguration(url: upstream.baseURL, token: upstream.token.value, gatewayID: upstream.gatewayID)
        configuration.connectTimeout = .milliseconds(Int64(upstream.connectTimeoutSeconds * 1000))
        configuration.uploadTimeout = .milliseconds(Int64(upstream.responseTimeoutSeconds * 1000))
        configuration.responseTimeout = .milliseconds(Int64(upstream.responseTimeoutSeconds * 1000))
        configuration.requestTimeout = .milliseconds(Int64(upstream.requestTimeoutSeconds * 1000))
        configuration.backoff = Backoff(initial: .seconds(1), maximum: .milliseconds(Int64(upstream.backoffMaxSeconds * 1000)))
        configuration.idlePollInterval = .milliseconds(Int64(upstream.intervalSeconds * 1000))
        configuration.tls = TLSOptions(
            verifyPeer: upstream.verifyTLS, caBundlePath: upstream.caFile, clientCertificatePath: upstream.clientCertificateFile,
            clientKeyPath: upstream.clientKeyFile)
        return configuration
    }

    public func run() async throws {
        logger.info("Sync started.", metadata: ["collector": "\(upstream.baseURL)", "gateway": "\(upstream.gatewayID)"])
        let loop = Task { await self.loop() }
        await withGracefulShutdownHandler {
            await withTaskCancellationHandler {
                await loop.value
            } onCancel: {
                loop.cancel()
            }
        } onGracefulShutdown: {
            loop.cancel()
        }
        try? await uploader.shutdown()
        logger.info("Sync stopped.", metadata: ["backlog_rows": "\(board.current?.backlogRows ?? 0)"])
    }

    /// Seal, send, refresh the status; pause only when there is nothing to do or after a failure.
    func loop() async {
        while !Task.isCancelled {
            let pause = await round()
            guard let pause else { continue }
            do { try await Task.sleep(for: pause) } catch { return }
        }
    }

    /// One round. - Returns: how long to wait before the next, or nil to go on at once (backlog left).
    func round() async -> Duration? {
        var sealedAny = false
        do {
            let sealed = try await outbox.sealAll(maxBatches: sealChunk)
            sealedAny = sealed.batches > 0
        } catch {
            // A full disk or a closing store: the rows stay unbatched and are tried again.
            fail("buffer: cannot seal a batch (\(error))")
        }
        if Task.isCancelled { return nil }
        board.update { $0.state = "uploading" }
        let result = await uploader.drainOnce()
        await refreshBacklog()
        switch result {
        case .drained:
            board.update { $0.state = "idle" }
            return sealedAny ? nil : .milliseconds(Int64(upstream.intervalSeconds * 1000))
        case .retryLater(let delay, let reason):
            board.update { status in
                status.state = reason.contains("HTTP 401") ? "unauthorized" : "retrying"
            }
            return delay
        }
    }

    /// Reads the outbox's backlog into the status board and the metrics.
    func refreshBacklog() async {
        guard let backlog = try? await outbox.database.backlog() else { return }
        board.update { status in
            status.pendingBatches = backlog.pendingBatches
            status.pendingRows = backlog.pendingRows
            status.unbatchedRows = backlog.unbatchedRows.total
            status.parkedBatches = backlog.parkedBatches
            status.oldestPendingAgeSeconds = backlog.oldestPendingCreatedAtNanoseconds == nil ? nil : Double(backlog.ageNanoseconds) / 1e9
        }
        DaemonMetrics.syncBacklogBatches.record(backlog.pendingBatches)
        DaemonMetrics.syncBacklogRows.record(backlog.pendingRows + backlog.unbatchedRows.total)
        DaemonMetrics.syncParkedBatches.record(backlog.parkedBatches)
    }

    private func fail(_ reason: String) {
        logger.warning("Sync problem.", metadata: ["reason": "\(reason)"])
        board.update { status in
            status.lastError = reason
            status.lastErrorAt = Double(FaultInjection.wallClockNanoseconds()) / 1e9
        }
        DaemonMetrics.syncFailures("buffer").increment()
    }

    /// One attempt's effect on the status and the metrics.
    static func record(_ attempt: UploadAttempt, on board: SyncStatusBoard) {
        let now = Double(FaultInjection.wallClockNanoseconds()) / 1e9
        switch attempt.outcome {
        case .delivered(let duplicate):
            DaemonMetrics.syncBatches(duplicate ? "duplicate" : "stored").increment()
            DaemonMetrics.syncRows.increment(by: Int64(attempt.rows))
            DaemonMetrics.syncBytes.increment(by: Int64(attempt.bodyBytes))
            DaemonMetrics.syncLastSuccess.record(now)
            board.update { status in
                status.sentBatches += 1
                status.sentRows += UInt64(attempt.rows)
                status.sentBytes += UInt64(attempt.bodyBytes)
                if duplicate { status.duplicates += 1 }
                status.lastSuccess = now
            }
        case .rejected(let reason):
            DaemonMetrics.syncBatches("parked").increment()
            DaemonMetrics.syncFailures("rejected").increment()
            board.update { status in
                status.lastError = "batch \(attempt.sequence) parked: \(reason)"
                status.lastErrorAt = now
            }
        case .retry(let reason, _), .unauthorized(let reason):
            DaemonMetrics.syncFailures(attempt.failureReason ?? "network").increment()
            board.update { status in
                status.failedAttempts += 1
                status.lastError = reason
                status.lastErrorAt = now
            }
        }
    }
}

/// Test-only fault hooks read from the environment (documented in docs/sync-protocol.md and
/// docs/daemon.md as not for production): they let process tests bend what the gateway sees.
public enum FaultInjection {
    /// `MALLGATE_FAULT_CLOCK_OFFSET_SECONDS=N` shifts the wall clock the buffer and the sync stage
    /// read by N seconds (negative: back), as a gateway without an RTC does before NTP or when NTP
    /// steps it. Capture timestamps are not shifted.
    public static let clockOffsetNanoseconds: Int64 = getenv("MALLGATE_FAULT_CLOCK_OFFSET_SECONDS")
        .flatMap { Double(String(cString: $0)) }.map { Int64($0 * 1e9) } ?? 0

    /// `MALLGATE_FAULT_CLOCK_OFFSET_FILE=PATH`: the offset, in seconds, is read from PATH at every
    /// clock reading (a missing or unreadable file counts as 0), so a test can step the clock of a
    /// running daemon a day forward and back, as NTP does to a gateway that booted with a bad RTC.
    /// Added to ``clockOffsetNanoseconds``.
    public static let clockOffsetFile: String? = getenv("MALLGATE_FAULT_CLOCK_OFFSET_FILE").map { String(cString: $0) }

    /// CLOCK_REALTIME plus the injected offset, nanoseconds since 1970.
    @Sendable public static func wallClockNanoseconds() -> Int64 {
        var offset = clockOffsetNanoseconds
        if let clockOffsetFile { offset &+= fileOffsetNanoseconds(clockOffsetFile) }
        return StoreConfiguration.wallClockNanoseconds() &+ offset
    }

    /// The seconds written in `path` as nanoseconds; 0 when it is missing or not a number.
    static func fileOffsetNanoseconds(_ path: String) -> Int64 {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return 0 }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 64)
        let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard n > 0 else { return 0 }
        let text = String(decoding: buffer[0..<n], as: UTF8.self).filter { !$0.isWhitespace }
        return Double(text).map { Int64($0 * 1e9) } ?? 0
    }
}
