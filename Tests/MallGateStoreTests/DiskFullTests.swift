import GRDB
import Glibc
import MallGateStore
import MallGateTestSupport
import Testing

/// Whether this process may mount a tmpfs (root, and not in a container that forbids it).
let canMountTmpfs: Bool = {
    let dir = makeTemporaryDirectory("mount-probe")
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
        let dir = makeTemporaryDirectory("diskfull")
        defer { _ = shell("umount \(sh(dir))"); removeTree(dir) }
        try #require(shell("mount -t tmpfs -o size=6m tmpfs \(sh(dir))", mergeStderr: true).status == 0)
        let path = dir + "/b.db"
        var configuration = StoreConfiguration(location: .file(path))
        configuration.heldRowLimit = 10_000
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

        // Something else takes the rest of the disk (the store's own reserve is all it has left):
        // batches are written while that lasts, then held up to the limit, older ones dropped and counted.
        _ = shell("dd if=/dev/zero of=\(sh(dir + "/ballast")) bs=64k 2>/dev/null")
        var offered = 2000
        var heldAtTheEnd = 0
        for i in 0..<30 {
            outcome = try await store.write(StoreBatch(positions: positions(2000, start: 5_000_000 + i * 2000)))
            offered += 2000
            if case .held(let rows) = outcome { heldAtTheEnd = rows } else { heldAtTheEnd = 0 }
        }
        stats = try await store.stats()
        #expect(heldAtTheEnd > 0, "the disk should be full by now")
        #expect(stats.diskFull)
        #expect(stats.heldRows == heldAtTheEnd)
        #expect(stats.heldRows <= 10_000)
        #expect(stats.droppedWhileFull.positions > 0)
        #expect(try integrityCheck(path) == ["ok"])  // a second connection reads a consistent database meanwhile

        // Space returns: the next write flushes what was held, then itself.
        _ = shell("rm -f \(sh(dir + "/ballast"))")
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
            // Everything offered after the synced rows is there, except what was dropped while full.
            #expect(unsyncedNow == (unsynced - 2000) + offered + 2000 - stats.droppedWhileFull.positions)
            let levels = try String.fetchAll(db, sql: "SELECT level FROM events WHERE kind = 'disk-full' ORDER BY id")
            #expect(levels.first == "error" && levels.last == "notice")
            #expect(levels.filter { $0 == "error" }.count == levels.filter { $0 == "notice" }.count)
        }
    }
}
