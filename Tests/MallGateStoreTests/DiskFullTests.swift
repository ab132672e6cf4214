import GRDB
import Glibc
import MallGateStore
import MallGateTestSupport
import Testing

/// Whether this process may mount a tmpfs (root, and not in a container that forbids it).
let canMountTmpfs: Bool = {
    let dir = makeTempDirectory("mount-probe")
    defer { removeTree(dir) }
    guard shell("mount -t tmpfs -o size=1m tmpfs \(sh(dir))", mergeStderr: true).status == 0 else { return false }
    _ = shell("umount \(sh(dir))")
    return true
}()

@Suite("Disk full: no crash, no corruption, writing resumes")
struct DiskFullTests {
    @Test(
        "On a full tmpfs: synced rows are pruned, then batches are held (bounded, drops counted), and all is written once space returns",
        .enabled(if: canMountTmpfs, "needs root and permission to mount a size-limited tmpfs (mount -t tmpfs -o size=...)"))
    func fullTmpfs() async throws {
        let dir = makeTempDirectory("diskfull")
        defer { _ = shell("umount \(sh(dir))"); removeTree(dir) }
        try #require(shell("mount -t tmpfs -o size=6m tmpfs \(sh(dir))", mergeStderr: true).status == 0)
        let path = dir + "/b.db"
        var configuration = StoreConfiguration(location: .file(path))
        configuration.heldRowLimit = 30_000
        configuration.journalSizeLimitBytes = 1 << 20
        configuration.walAutocheckpointPages = 200
        configuration.reserveBytes = 1 << 20
        let store = try BufferDatabase(configuration)

        // 10,000 rows delivered upstream: the store may drop these to make room.
        for i in 0..<5 { try await store.write(StoreBatch(positions: positions(2000, start: i * 2000))) }
        let synced = try await store.unbatchedRows(limit: 100_000)
        let sequence = try await store.enqueueBatch(kind: "positions", payload: [1], rowCount: 10_000, contentHash: [], covering: synced.coverage)
        try await store.markSent(sequence: sequence)

        // Fill the disk with unsynced rows until a batch is held.
        var unsynced = 0
        var outcome = WriteOutcome.written
        while outcome == .written {
            outcome = try await store.write(StoreBatch(positions: positions(2000, start: 1_000_000 + unsynced)))
            unsynced += 2000
            try #require(unsynced < 1_000_000, "the 6 MB tmpfs never filled")
        }
        var stats = try await store.stats()
        #expect(outcome == .held(rows: 2000))
        #expect(stats.diskFull)
        #expect(stats.spaceErrors >= 1)
        #expect(stats.prunedSynced.positions > 0)  // policy: delivered rows made room before anything was held
        #expect(stats.prunedUnsynced == TableCounts())
        #expect(stats.lastWriteError?.contains("b.db") == true)

        // The disk stays full: more batches are held up to the limit, older ones dropped and counted.
        let offered = 2000 + 20 * 2000
        for i in 0..<20 {
            outcome = try await store.write(StoreBatch(positions: positions(2000, start: 5_000_000 + i * 2000)))
            #expect(outcome != .written)
        }
        stats = try await store.stats()
        #expect(stats.heldRows <= 30_000)
        #expect(stats.droppedWhileFull.positions == offered - stats.heldRows)
        #expect(stats.heldRows + stats.droppedWhileFull.positions == offered)

        // Space returns: the next write flushes what was held, then itself.
        try #require(shell("mount -o remount,size=64m \(sh(dir))", mergeStderr: true).status == 0)
        #expect(try await store.write(StoreBatch(positions: positions(2000, start: 9_000_000))) == .written)
        stats = try await store.stats()
        #expect(!stats.diskFull)
        #expect(stats.heldRows == 0 && stats.heldBatches == 0)
        try await store.close()

        #expect(try integrityCheck(path) == ["ok"])
        try inspect(path) { (db: Database) throws in
            let unsyncedNow = try Int.fetchOne(
                db, sql: "SELECT count(*) FROM positions WHERE id > (SELECT synced_through_id FROM sync_progress WHERE table_name = 'positions')")
            // Every unsynced row written before the disk filled, every held row, and the last batch.
            #expect(unsyncedNow == (unsynced - 2000) + (offered - stats.droppedWhileFull.positions) + 2000)
            let kinds = try String.fetchAll(db, sql: "SELECT level FROM events WHERE kind = 'disk-full' ORDER BY id")
            #expect(kinds == ["error", "notice"])
        }
    }
}
