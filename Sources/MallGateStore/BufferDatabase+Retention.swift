internal import GRDB
internal import Logging

/// What one pruning pass removed.
public struct RetentionReport: Sendable, Equatable {
    public var prunedSynced = TableCounts()
    public var prunedUnsynced = TableCounts()
    public var usedBytesBefore: Int64 = 0
    public var usedBytesAfter: Int64 = 0
}

extension BufferDatabase {
    /// Prunes when the used size is over ``StoreConfiguration/maxBytes``: rows already synced first,
    /// oldest first, down to ``StoreConfiguration/pruneTargetFraction`` of the cap; only if that is
    /// not enough, unsynced rows, oldest first (positions, then events, visits, store counts; last the
    /// payloads of pending outbox batches, which stay visible as parked "dropped by the size cap").
    /// Counted per table in ``stats()`` and written as a `retention` event (warning when unsynced
    /// rows went). The file shrinks: freed pages go back through `incremental_vacuum` and a TRUNCATE
    /// checkpoint.
    ///
    /// ``write(_:)`` calls this after each batch; the daemon may also call it on a timer.
    @discardableResult
    public func enforceSizeCap() throws -> RetentionReport? {
        guard let cap = configuration.maxBytes else { return nil }
        let used = try usedBytes()
        guard used > cap else { return nil }
        let target = Int64(Double(cap) * configuration.pruneTargetFraction)
        var report = try prune(syncedDownTo: target, unsyncedDownTo: target, unsyncedOnlyAbove: cap)
        report.usedBytesBefore = used
        try finishPruning(&report, reason: "size cap \(cap) bytes reached (\(used) bytes used)")
        return report
    }

    /// After SQLITE_FULL: gives up the reserve file so SQLite has room to work, checkpoints, drops
    /// synced rows to win back a tenth of the used size (unsynced ones only if the cap is exceeded
    /// too), hands the pages back and takes the reserve again. Returns the rows pruned.
    func pruneForSpace() throws -> Int {
        releaseReserve()
        defer { reserveHeld = restoreReserve() }
        // With the reserve's room the stuck checkpoint can finish, and the WAL starts over.
        _ = try? writer.writeWithoutTransaction { db in try db.checkpoint(.truncate) }
        let used = try usedBytes()
        var report: RetentionReport
        if let cap = configuration.maxBytes, used > cap {
            let target = Int64(Double(cap) * configuration.pruneTargetFraction)
            report = try prune(syncedDownTo: min(target, used * 9 / 10), unsyncedDownTo: target, unsyncedOnlyAbove: cap)
        } else {
            report = try prune(syncedDownTo: used * 9 / 10, unsyncedDownTo: 0, unsyncedOnlyAbove: .max)
        }
        report.usedBytesBefore = used
        try? finishPruning(&report, reason: "the disk is full (\(used) bytes used)")
        return report.prunedSynced.total + report.prunedUnsynced.total
    }

    func finishPruning(_ report: inout RetentionReport, reason: String) throws {
        guard report.prunedSynced.total + report.prunedUnsynced.total > 0 else { return }
        statistics.prunedSynced += report.prunedSynced
        statistics.prunedUnsynced += report.prunedUnsynced
        // Hand the free pages back to the file system; in WAL mode the file shrinks at the checkpoint.
        try? writer.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA incremental_vacuum")
            try db.checkpoint(.truncate)
        }
        report.usedBytesAfter = (try? usedBytes()) ?? 0
        let lost = report.prunedUnsynced.total > 0
        let message =
            "Retention: \(reason); pruned synced rows (\(report.prunedSynced.summary))"
            + (lost ? " and UNSYNCED rows (\(report.prunedUnsynced.summary)), oldest first" : "")
            + "; now \(report.usedBytesAfter) bytes used"
        if lost {
            logger.warning("Store pruned unsynced rows to stay under its size cap", metadata: ["detail": "\(message)"])
        }
        ownEvents.append(
            EventRow(timeNanoseconds: configuration.clock(), level: lost ? .warning : .info, kind: "retention", message: message))
    }

    /// Deletes in chunks, each its own transaction (so the WAL stays small), checking the used size
    /// after each chunk: synced rows until `syncedTarget`; then, if the size is still above
    /// `unsyncedOnlyAbove`, unsynced rows until `unsyncedTarget`.
    func prune(syncedDownTo syncedTarget: Int64, unsyncedDownTo unsyncedTarget: Int64, unsyncedOnlyAbove threshold: Int64)
        throws -> RetentionReport
    {
        var report = RetentionReport()
        // Delivered batches first: their payload is a copy of rows upstream already has.
        report.prunedSynced.outbox += try deleteInChunks(downTo: syncedTarget) { limit in
            "DELETE FROM outbox WHERE sequence IN (SELECT sequence FROM outbox WHERE state = 'sent' ORDER BY sequence LIMIT \(limit))"
        }
        for table in StoreSchema.prunableTables {
            report.prunedSynced[table] += try deleteInChunks(downTo: syncedTarget) { limit in
                """
                DELETE FROM \(table.rawValue) WHERE id IN (
                    SELECT id FROM \(table.rawValue)
                    WHERE id <= (SELECT synced_through_id FROM sync_progress WHERE table_name = '\(table.rawValue)')
                    ORDER BY id LIMIT \(limit))
                """
            }
        }
        guard try usedBytes() > threshold else { return report }
        // Which of the rows deleted below were batched is not worth tracking row by row: the backlog
        // is counted afresh at its next read.
        backlogTally = nil
        for table in StoreSchema.prunableTables {
            report.prunedUnsynced[table] += try deleteInChunks(downTo: unsyncedTarget) { limit in
                "DELETE FROM \(table.rawValue) WHERE id IN (SELECT id FROM \(table.rawValue) ORDER BY id LIMIT \(limit))"
            }
        }
        // Rejected batches (kept for operators) go before pending ones.
        report.prunedUnsynced.outbox += try deleteInChunks(downTo: unsyncedTarget) { limit in
            "DELETE FROM outbox WHERE sequence IN (SELECT sequence FROM outbox WHERE state = 'parked' ORDER BY sequence LIMIT \(limit))"
        }
        report.prunedUnsynced.outbox += try deleteInChunks(downTo: unsyncedTarget) { limit in
            """
            UPDATE outbox SET state = 'parked', park_reason = 'dropped by the size cap before it was sent', payload = X''
            WHERE sequence IN (
                SELECT sequence FROM outbox WHERE state = 'pending' ORDER BY sequence LIMIT \(limit))
            """
        }
        return report
    }

    /// Runs `sql(limit)` with growing chunks while the used size is above `target`; returns rows changed.
    func deleteInChunks(downTo target: Int64, _ sql: (Int) -> String) throws -> Int {
        var total = 0
        var limit = 500
        while try usedBytes() > target {
            var changed = 0
            try transaction("prune", .normal) { db in
                try db.execute(sql: sql(limit))
                changed = db.changesCount
            }
            if changed == 0 { break }
            total += changed
            limit = min(limit * 2, 50_000)
        }
        return total
    }
}
