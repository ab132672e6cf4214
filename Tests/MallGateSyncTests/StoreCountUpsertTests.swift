import MallGateCollector
import MallGateTestSupport
import MallGateWire
import Testing

/// The gateway rewrites a store's count for an interval it already sent and syncs it again in a
/// later batch: the collector keeps one row per (gateway, store, interval), the newest sequence's.
@Suite("Collector store: one store_counts row per gateway, store and interval")
struct StoreCountUpsertTests {
    static let venue = "demo-mall"
    static let zones = ["L0-s01", "L0-s02"]
    static let interval: Int64 = 1_764_000_000_000 - 1_764_000_000_000 % 900_000

    /// A batch holding one count per (store index, interval start, footfall); passers-by and dwell derive from footfall
    /// so a row's figures show which batch wrote them.
    static func batch(_ gateway: String, _ sequence: UInt64, _ counts: [(store: Int, startMs: Int64, footfall: UInt32)]) -> VerifiedBatch {
        let rows = BatchRows(zoneIDs: zones, storeCounts: counts.map {
            StoreCountRow(
                store: $0.store, intervalStartMs: $0.startMs, intervalSeconds: 900, footfall: $0.footfall, passersBy: $0.footfall * 10,
                dwellSecondsSum: UInt64($0.footfall) * 60, dwellHistogram: [$0.footfall, 0, 0, 0, 0, 0])
        })
        return VerifiedBatch(
            gateway: gateway, venueID: venue, sequence: sequence, contentSHA256: "sha-\(gateway)-\(sequence)",
            createdUnixMs: testNowUnixMs, receivedUnixMs: testNowUnixMs, rows: rows)
    }

    /// Footfall per (store, bucket start) from the report endpoint's query, 15-minute buckets.
    static func report(_ store: any CollectorStore) async throws -> [String: Int64] {
        let rows = try await store.storeReport(venueID: venue, fromMs: interval - 3_600_000, toMs: interval + 3_600_000, bucketSeconds: 900)
        return Dictionary(uniqueKeysWithValues: rows.map { ("\($0.store)@\($0.bucketStartMs)", $0.footfall) })
    }

    @Test("a rewritten interval replaces the stored row; an older sequence arriving later does not", arguments: availableStoreKinds)
    func rewrittenInterval(_ kind: StoreKind) async throws {
        let store = try kind.make("upsert")
        try await store.migrate()
        _ = try await register(store, "gw-a", venue: Self.venue)
        _ = try await register(store, "gw-b", venue: Self.venue)
        let next = Self.interval + 900_000

        #expect(try await store.ingest(Self.batch("gw-a", 1, [(0, Self.interval, 5), (1, Self.interval, 7)])) == .stored(rows: 2, gap: nil))
        // Sequence 2 rewrites store 0's interval (5 → 12) and adds the next interval.
        #expect(try await store.ingest(Self.batch("gw-a", 2, [(0, Self.interval, 12), (0, next, 3)])) == .stored(rows: 2, gap: nil))
        // Another gateway's count for the same store and interval is its own row, summed in the report.
        #expect(try await store.ingest(Self.batch("gw-b", 1, [(0, Self.interval, 100)])) == .stored(rows: 1, gap: nil))

        var counts = try await store.tableCounts()
        #expect(counts.batches == 3)
        #expect(counts.storeCounts == 4, "gw-a s01 (rewritten once), gw-a s02, gw-a s01 next interval, gw-b s01")
        let expected: [String: Int64] = ["L0-s01@\(Self.interval)": 12 + 100, "L0-s02@\(Self.interval)": 7, "L0-s01@\(next)": 3]
        #expect(try await Self.report(store) == expected)
        let rows = try await store.storeReport(venueID: Self.venue, fromMs: Self.interval, toMs: Self.interval + 1, bucketSeconds: 900)
        let s01 = try #require(rows.first { $0.store == "L0-s01" })
        #expect(s01.passersBy == 120 + 1000, "passers-by come from sequence 2 too")
        #expect(s01.dwellSecondsSum == 720 + 6000)

        // Sequence 4 rewrites store 1's interval; sequence 3 (older, delayed) arrives after it.
        #expect(try await store.ingest(Self.batch("gw-a", 4, [(1, Self.interval, 9)])) == .stored(rows: 1, gap: 3...3))
        #expect(try await store.ingest(Self.batch("gw-a", 3, [(1, Self.interval, 8), (0, next, 1)])) == .stored(rows: 2, gap: nil))
        counts = try await store.tableCounts()
        #expect(counts.batches == 5)
        #expect(counts.storeCounts == 4)
        // Store 1 keeps sequence 4's 9; store 0's next interval takes sequence 3's 1 (newer than sequence 2's 3).
        #expect(try await Self.report(store) == ["L0-s01@\(Self.interval)": 112, "L0-s02@\(Self.interval)": 9, "L0-s01@\(next)": 1])
        #expect(try await store.sequenceGaps(gateway: "gw-a").isEmpty)
        await store.close()
    }

    @Test("the v3 migration keeps the highest sequence of each duplicated interval, then enforces one row", arguments: availableStoreKinds)
    func migrationDropsDuplicates(_ kind: StoreKind) async throws {
        let (store, location) = try kind.makeLocated("upsertmigration")
        try await store.migrate()
        _ = try await register(store, "gw-a", venue: Self.venue)
        _ = try await register(store, "gw-b", venue: Self.venue)
        // Turn the database back into a v2 one holding what v2 collectors stored: a rewritten
        // interval twice (sequences 1 and 2), once more within sequence 2, beside rows that stay.
        let (forget, run): (String, (String) -> (status: Int32, output: String)) = switch kind {
        case .sqlite:
            ("DELETE FROM grdb_migrations WHERE identifier = 'v3-store-counts-unique'", { shell("sqlite3 -batch \(sh(location)) \(sh($0))", mergeStderr: true) })
        case .postgres:
            ("DELETE FROM collector_migrations WHERE name = 'v3-store-counts-unique'", { shell("psql -qX -v ON_ERROR_STOP=1 \(sh(location)) -c \(sh($0))", mergeStderr: true) })
        }
        let i = Self.interval
        for statement in [
            "DROP INDEX store_counts_interval", forget,
            """
            INSERT INTO store_counts (gateway, sequence, venue_id, store, interval_start_ms, interval_seconds, footfall, passers_by, dwell_seconds_sum, dwell_histogram)
            VALUES ('gw-a', 1, 'demo-mall', 'L0-s01', \(i), 900, 5, 50, 300, '5'), ('gw-a', 2, 'demo-mall', 'L0-s01', \(i), 900, 12, 120, 720, '12'),
                   ('gw-a', 2, 'demo-mall', 'L0-s01', \(i), 900, 12, 120, 720, '12'), ('gw-a', 1, 'demo-mall', 'L0-s02', \(i), 900, 7, 70, 420, '7'),
                   ('gw-b', 1, 'demo-mall', 'L0-s01', \(i), 900, 100, 1000, 6000, '100')
            """,
        ] {
            let result = run(statement)
            try #require(result.status == 0, "\(statement): \(result.output)")
        }
        #expect(try await store.tableCounts().storeCounts == 5)
        #expect(try await Self.report(store) == ["L0-s01@\(i)": 5 + 12 + 12 + 100, "L0-s02@\(i)": 7], "the double count this migration removes")

        // GRDB's migrator reads what is applied when it runs: a reopened SQLite store sees v3 as pending.
        let upgraded: any CollectorStore
        switch kind {
        case .sqlite:
            await store.close()
            upgraded = try SQLiteCollectorStore(path: location)
        case .postgres:
            upgraded = store
        }
        try await upgraded.migrate()
        #expect(try await upgraded.tableCounts().storeCounts == 3)
        #expect(try await Self.report(upgraded) == ["L0-s01@\(i)": 12 + 100, "L0-s02@\(i)": 7])
        // The index is back: a later rewrite replaces gw-a's row instead of adding one.
        #expect(try await upgraded.ingest(Self.batch("gw-a", 3, [(0, i, 20)])) == .stored(rows: 1, gap: 1...2))
        #expect(try await upgraded.tableCounts().storeCounts == 3)
        #expect(try await Self.report(upgraded) == ["L0-s01@\(i)": 20 + 100, "L0-s02@\(i)": 7])
        await upgraded.close()
    }
}
