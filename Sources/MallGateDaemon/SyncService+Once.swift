// `mallgate sync --once`: seal and upload everything the buffer holds, then stop.
internal import MallGateSystem
internal import Glibc
public import Logging
internal import MallGateStore
public import MallGateSync
internal import MallGateVenue
internal import Synchronization

/// Where a one-shot sync stands, for a progress bar.
public struct SyncProgress: Sendable, Equatable {
    /// Rows waiting when the sync started (pending batches plus unsealed rows).
    public var totalRows: Int
    /// Rows delivered so far (stored or already held by the collector).
    public var deliveredRows: Int
    public var deliveredBatches: Int
    /// The last failure while retrying, nil once a batch got through again.
    public var retrying: String?
}

/// What `mallgate sync --once` did.
public struct SyncOnceReport: Sendable, Equatable {
    public var sealedBatches = 0
    public var deliveredBatches = 0
    public var deliveredRows = 0
    public var duplicates = 0
    public var bodyBytes = 0
    /// Batches the collector refused during this run: (sequence, reason).
    public var parked: [ParkedBatch] = []
    /// Batches still pending and rows still unsealed at the end (non-zero: the collector could not be reached in time).
    public var pendingBatches = 0
    public var unbatchedRows = 0
    public var lastError: String?
    public var elapsedSeconds: Double = 0

    public struct ParkedBatch: Sendable, Equatable {
        public var sequence: UInt64
        public var reason: String
    }

    /// Whether everything went up: nothing parked, nothing left.
    public var succeeded: Bool { parked.isEmpty && pendingBatches == 0 && unbatchedRows == 0 }
}

extension SyncService {
    /// Why a one-shot sync could not start.
    public struct OnceError: Error, CustomStringConvertible {
        public let description: String
    }

    /// Seals every buffered row and uploads every pending batch, retrying failures with backoff
    /// until nothing is left or `giveUpAfterSeconds` pass without a delivery.
    ///
    /// - Parameters:
    ///   - progress: called after every attempt (from the uploader's task).
    /// - Throws: ``OnceError`` when `[upstream]` is missing, the daemon is running (two sealers
    ///   would race) or the buffer or venue cannot be opened.
    public static func once(
        configuration: DaemonConfiguration, giveUpAfterSeconds: Double = 60, logger: Logger,
        progress: @escaping @Sendable (SyncProgress) -> Void = { _ in }
    ) async throws(OnceError) -> SyncOnceReport {
        guard let upstream = configuration.upstream else {
            throw OnceError(description: "\(configuration.file) has no [upstream] section; add url and token_file (see docs/sync-protocol.md)")
        }
        if let status = DaemonStatus.read(from: configuration.stateDirectory), status.mode == "run", status.pid != getpid(),
           kill(status.pid, 0) == 0 || errno == EPERM
        {
            throw OnceError(description: "the daemon (pid \(status.pid)) is running on \(configuration.stateDirectory) and uploads by itself; see `mallgate status`, or stop it first (systemctl stop mallgate)")
        }
        guard let venueBytes = readWholeFile(configuration.venuePath) else {
            throw OnceError(description: "\(configuration.venuePath): cannot read the venue (\(String(cString: strerror(errno)))); check `venue` in \(configuration.file)")
        }
        let venue: Venue
        do { venue = try VenueFile.decode(venueBytes, fileName: configuration.venuePath) } catch {
            throw OnceError(description: "\(error)")
        }
        let sink: BufferSink
        do { sink = try BufferSink(configuration: configuration, live: false, logger: logger) } catch {
            throw OnceError(description: error.description)
        }
        let started = ContinuousClock.now
        let tally = Tally()
        let service: SyncService
        do {
            service = try SyncService(
                upstream: upstream, database: sink.database, venueID: venue.id, zoneIDs: venue.zones.map(\.id), logger: logger,
                observe: { attempt in
                    let snapshot = tally.record(attempt)
                    progress(snapshot)
                })
        } catch {
            try? await sink.close()
            throw OnceError(description: error.description)
        }
        let database = sink.database
        if let backlog = try? await database.backlog() {
            tally.setTotal(backlog.pendingRows + backlog.unbatchedRows.total)
            progress(tally.progress)
        }
        var report = SyncOnceReport()
        var lastProgress = ContinuousClock.now
        var delivered = 0
        while !Task.isCancelled {
            do {
                report.sealedBatches += try await service.outbox.sealAll(maxBatches: service.sealChunk).batches
            } catch {
                report.lastError = "buffer: cannot seal a batch (\(error))"
                break
            }
            let result = await service.uploader.drainOnce()
            let state = await service.uploader.state
            if state.delivered > delivered {
                delivered = state.delivered
                lastProgress = .now
            }
            let unbatched = (try? await database.backlog().unbatchedRows.total) ?? 0
            if case .retryLater(let delay, let reason) = result {
                report.lastError = reason
                tally.retrying(reason)
                progress(tally.progress)
                let waited = ContinuousClock.now - lastProgress
                if Double(waited.components.seconds) + Double(delay.components.seconds) > giveUpAfterSeconds { break }
                try? await Task.sleep(for: delay)
                continue
            }
            if unbatched == 0 { break }
        }
        let state = await service.uploader.state
        report.deliveredBatches = state.delivered
        report.duplicates = state.duplicates
        let counted = tally.progress
        report.deliveredRows = counted.deliveredRows
        report.bodyBytes = tally.bytes
        report.parked = tally.parked
        if let backlog = try? await database.backlog() {
            report.pendingBatches = backlog.pendingBatches
            report.unbatchedRows = backlog.unbatchedRows.total
        }
        if report.succeeded { report.lastError = nil }
        report.elapsedSeconds = Double((ContinuousClock.now - started).components.attoseconds) / 1e18
            + Double((ContinuousClock.now - started).components.seconds)
        try? await service.uploader.shutdown()
        try? await sink.close()
        return report
    }
}

/// Counts attempts for a one-shot sync's progress and report (called from the uploader's actor).
final class Tally: Sendable {
    private struct Counts {
        var progress = SyncProgress(totalRows: 0, deliveredRows: 0, deliveredBatches: 0)
        var bytes = 0
        var parked: [SyncOnceReport.ParkedBatch] = []
    }
    private let counts = Mutex(Counts())

    func setTotal(_ rows: Int) { counts.withLock { $0.progress.totalRows = rows } }

    func retrying(_ reason: String) { counts.withLock { $0.progress.retrying = reason } }

    func record(_ attempt: UploadAttempt) -> SyncProgress {
        counts.withLock { c in
            switch attempt.outcome {
            case .delivered:
                c.progress.deliveredRows += attempt.rows
                c.progress.deliveredBatches += 1
                c.progress.retrying = nil
                c.bytes += attempt.bodyBytes
                // Rows sealed after the start (written meanwhile) grow the total, never past 100 %.
                c.progress.totalRows = max(c.progress.totalRows, c.progress.deliveredRows)
            case .rejected(let reason):
                c.parked.append(.init(sequence: attempt.sequence, reason: reason))
            case .retry(let reason, _), .unauthorized(let reason):
                c.progress.retrying = reason
            }
            return c.progress
        }
    }

    var progress: SyncProgress { counts.withLock { $0.progress } }
    var bytes: Int { counts.withLock { $0.bytes } }
    var parked: [SyncOnceReport.ParkedBatch] { counts.withLock { $0.parked } }
}
