import Glibc
import MallGateCollector
import MallGateDaemon
import MallGateTestSupport
import Testing

/// The real gateway binary → a real collector on loopback: `mallgate run` uploads as it buffers,
/// `mallgate sync --once` flushes, and the collector ends up with exactly the rows in the
/// gateway's buffer (compared row by row, read with the sqlite3 shell), through a collector
/// restart, a gateway SIGKILLed with a batch in flight, and the gateway clock a day ahead then
/// a day behind.
@Suite("Gateway sync: mallgate run / sync --once → collector", .serialized,
       .enabled(if: DemoGateway.hasSQLite, "the sqlite3 shell is not installed (apt install sqlite3); the tests read the gateway's buffer with it"))
struct GatewaySyncTests {
    @Test("SQLite: mallgate run uploads while running; the collector holds exactly the gateway's rows")
    func sqliteRun() async throws { try await runThenCompare(.sqlite) }

    @Test("PostgreSQL: mallgate run uploads while running; the collector holds exactly the gateway's rows",
          .enabled(if: postgresURL != nil, "MALLGATE_TEST_POSTGRES_URL is unset: run `eval \"$(scripts/ci-postgres.sh start)\"` first"))
    func postgresRun() async throws { try await runThenCompare(.postgres) }

    func runThenCompare(_ kind: StoreKind) async throws {
        let f = try #require(await DemoGateway.fixture.value, "simulating or training the demo venue failed")
        let (store, location) = try kind.makeLocated("gwrun")
        let database = DemoGateway.CollectorDatabase(kind, location)
        let collector = try await startCollector(store)
        let token = try await register(store, "gw-run", venue: "demo-mall")
        let g = DemoGateway.configure(f, name: "gwrun-\(kind)", url: collector.url, gateway: "gw-run", upstream: "batch_rows = 300")

        let daemon = try #require(DemoGateway.spawn(["run", "--config", g.config, "--log-level", "notice"], token: token, directory: g.directory, name: "run"))
        // Until every capture file is read and the sync stage reports nothing left to send.
        var status: DaemonStatus?
        for _ in 0..<1200 {
            try await Task.sleep(for: .milliseconds(100))
            status = DaemonStatus.read(from: g.state)
            if let s = status, s.sourcesRunning == 0, let sync = s.sync, sync.sentBatches > 0, sync.backlogRows == 0, sync.pendingBatches == 0 { break }
        }
        let sync = try #require(status?.sync, "no sync section in status.json: \(daemon.errors)")
        #expect(sync.collector == collector.url && sync.gatewayId == "gw-run")
        #expect(sync.backlogRows == 0 && sync.parkedBatches == 0 && sync.sentRows > 0, "\(sync)")
        #expect(sync.lastSuccess != nil)
        daemon.signal(SIGTERM)
        #expect(try await daemon.exitStatus(seconds: 60) == 0, "\(daemon.errors)")

        // Shutdown writes its last rows (the closing visits, the stop event); the next sync sends them.
        let flush = await DemoGateway.run("sync --once --config gateway.toml", token: token, directory: g.directory)
        #expect(flush.status == 0, "\(flush.output)")
        #expect(flush.output.contains("delivered"), "\(flush.output)")
        try await DemoGateway.expectSameRows(state: g.state, store: store, database: database)

        // Nothing left: a second sync sends nothing and succeeds.
        let again = await DemoGateway.run("sync --once --config gateway.toml", token: token, directory: g.directory)
        #expect(again.status == 0 && again.output.hasPrefix("sealed 0 batches; delivered 0 batches"), "\(again.output)")
        await collector.stop()
        await store.close()
    }

    @Test("faults: gateway SIGKILLed with a batch in flight, collector restarted mid-drain, clock a day ahead then behind — no loss, no duplicates")
    func throughFaults() async throws {
        let f = try #require(await DemoGateway.fixture.value, "simulating or training the demo venue failed")
        var (databasePath, store, collector, token) = try await Self.sqliteCollector("gwfault-collector", gateway: "gw-fault")
        let port = collector.port
        // The first upload reaches the collector but its answer is lost; then a stall, a reset and a 503.
        // The stalls also keep the lost-answer batch unresolved for several seconds, so the kill
        // below lands while it is in flight even when the test runner is slow to notice.
        let proxy = try await FaultProxy(targetPort: port, script: [.dropResponse, .stall, .stall, .stall, .reset, .respond(503, retryAfter: "1")])
        let g = DemoGateway.configure(
            f, name: "gwfault", url: proxy.url, gateway: "gw-fault",
            upstream: "batch_rows = 150\nconnect_timeout_seconds = 1\nresponse_timeout_seconds = 1\nrequest_timeout_seconds = 2\nbackoff_max_seconds = 2")

        // Phase 1: the daemon, its clock a day ahead. Killed once the collector holds a batch the
        // gateway has not heard back about (the lost answer): a batch in flight.
        let daemon = try #require(DemoGateway.spawn(
            ["run", "--config", g.config, "--log-level", "notice"], token: token, directory: g.directory, name: "run",
            environment: ["MALLGATE_FAULT_CLOCK_OFFSET_SECONDS": "86400"]))
        let db = g.state + "/buffer.sqlite"
        var stored = 0
        for _ in 0..<1200 where stored == 0 {
            try await Task.sleep(for: .milliseconds(25))
            stored = try await store.tableCounts().batches
        }
        daemon.signal(SIGKILL)
        #expect(stored >= 1, "no batch reached the collector: \(daemon.errors)")
        #expect(try await daemon.exitStatus(seconds: 30) == -SIGKILL)
        // Whatever the buffer committed before the kill must reach the collector.
        let buffered = DemoGateway.integer(db, "SELECT count(*) FROM positions") ?? 0
        let pendingAfterKill = DemoGateway.integer(db, "SELECT count(*) FROM outbox WHERE state = 'pending'") ?? 0
        #expect(pendingAfterKill >= 1, "the batch whose answer was lost is still pending at the gateway")

        // Phase 2: the collector goes away; the gateway restarts as `sync --once` with its clock a
        // day behind; the collector comes back (same port, same database) while it retries.
        await collector.stop()
        await store.close()
        let syncing = try #require(DemoGateway.spawn(
            ["sync", "--once", "--config", g.config, "--give-up-after", "60"], token: token, directory: g.directory, name: "sync",
            environment: ["MALLGATE_FAULT_CLOCK_OFFSET_SECONDS": "-86400"]))
        try await Task.sleep(for: .seconds(2))
        store = try SQLiteCollectorStore(path: databasePath)
        collector = try await startCollector(store, port: port)
        let status = try await syncing.exitStatus(seconds: 120)
        #expect(status == 0, "sync --once: \(syncing.output) \(syncing.errors)")
        #expect(syncing.output.contains("already at the collector"), "the in-flight batch came back as a duplicate: \(syncing.output)")

        try await DemoGateway.expectSameRows(state: g.state, store: store, database: .sqlite(path: databasePath), minimumPositions: buffered)
        // No check here that batches were sealed under the clock a day behind: killed this early,
        // the daemon has often sealed every row it wrote, so `sync --once` seals none. The clock
        // stepping both ways under a sealing gateway is clockStepsForwardAndBack's subject.
        #expect(try await store.sequenceGaps(gateway: "gw-fault").count <= 1, "at most the range below the gateway's first sequence")
        #expect(proxy.script.remaining == 0, "every scripted fault met an upload: \(proxy.script.applied)")

        await proxy.close()
        await collector.stop()
        await store.close()
    }

    /// The daemon's status file, polled until `done` says so or `seconds` pass; the last one read.
    func waitForStatus(_ state: String, seconds: Double, until done: (DaemonStatus) -> Bool) async throws -> DaemonStatus? {
        var status: DaemonStatus?
        for _ in 0..<Int(seconds * 10) {
            status = DaemonStatus.read(from: state)
            if let status, done(status) { return status }
            try await Task.sleep(for: .milliseconds(100))
        }
        return status
    }

    /// Every capture replayed and nothing left to send (no unsealed rows, no pending batch).
    /// A collector on a SQLite file of its own with `gateway` registered for the demo venue; the
    /// fault tests stop it and start it again on the same port and database.
    static func sqliteCollector(_ label: String, gateway: String) async throws -> (path: String, store: any CollectorStore, collector: RunningCollector, token: String) {
        let path = makeTemporaryDirectory(label) + "/collector.sqlite"
        let store: any CollectorStore = try SQLiteCollectorStore(path: path)
        let collector = try await startCollector(store)
        return (path, store, collector, try await register(store, gateway, venue: "demo-mall"))
    }

    static func drained(_ s: DaemonStatus) -> Bool {
        guard s.sourcesRunning == 0, let sync = s.sync else { return false }
        return sync.backlogRows == 0 && sync.pendingBatches == 0 && sync.sentBatches > 0
    }

    /// SIGTERM, then `sync --once` for the rows shutdown writes; the collector must then hold exactly the gateway's rows.
    func stopFlushAndCompare(_ daemon: GatewayProcess, _ g: (directory: String, config: String, state: String), token: String,
                             store: any CollectorStore, database: DemoGateway.CollectorDatabase, environment: String = "", sourceLocation: SourceLocation = #_sourceLocation) async throws {
        daemon.signal(SIGTERM)
        #expect(try await daemon.exitStatus(seconds: 60) == 0, "\(daemon.errors)", sourceLocation: sourceLocation)
        let flush = await DemoGateway.run("sync --once --config gateway.toml", token: token, directory: g.directory, environment: environment)
        #expect(flush.status == 0, "\(flush.output)", sourceLocation: sourceLocation)
        try await DemoGateway.expectSameRows(state: g.state, store: store, database: database, sourceLocation: sourceLocation)
    }

    @Test("fault: the collector restarted mid-stream (same port and database) while mallgate run uploads — no loss, no duplicates, drained")
    func collectorRestartedMidStream() async throws {
        let f = try #require(await DemoGateway.fixture.value, "simulating or training the demo venue failed")
        var (databasePath, store, collector, token) = try await Self.sqliteCollector("gwrestart-collector", gateway: "gw-restart")
        let port = collector.port
        let g = DemoGateway.configure(
            f, name: "gwrestart", url: collector.url, gateway: "gw-restart",
            upstream: "batch_rows = 100\nconnect_timeout_seconds = 1\nresponse_timeout_seconds = 1\nrequest_timeout_seconds = 2\nbackoff_max_seconds = 1")
        let daemon = try #require(DemoGateway.spawn(["run", "--config", g.config, "--log-level", "notice"], token: token, directory: g.directory, name: "run"))

        // Stopped as soon as the first batch is stored: the rest of the stream is still to come.
        var before = 0
        for _ in 0..<2400 where before == 0 {
            try await Task.sleep(for: .milliseconds(10))
            before = try await store.tableCounts().batches
        }
        await collector.stop()
        await store.close()
        try #require(before >= 1, "no batch reached the collector: \(daemon.errors)")
        // While it is away the gateway fails to deliver and keeps everything.
        let failing = try await waitForStatus(g.state, seconds: 60) { ($0.sync?.failedAttempts ?? 0) > 0 }
        #expect((failing?.sync?.failedAttempts ?? 0) > 0, "the gateway never met the stopped collector: the stream had ended before the restart")
        #expect(DemoGateway.alive(daemon.pid), "\(daemon.errors)")

        store = try SQLiteCollectorStore(path: databasePath)
        collector = try await startCollector(store, port: port)
        let status = try await waitForStatus(g.state, seconds: 120, until: Self.drained)
        #expect(status.map(Self.drained) == true, "not drained after the restart: \(String(describing: status?.sync))")
        let after = try await store.tableCounts().batches
        #expect(after > before, "batches arrived after the restart (\(before) before, \(after) after)")
        try await stopFlushAndCompare(daemon, g, token: token, store: store, database: .sqlite(path: databasePath))
        #expect(try await store.sequenceGaps(gateway: "gw-restart").count <= 1, "at most the range below the gateway's first sequence")
        await collector.stop()
        await store.close()
    }

    @Test("fault: mallgate run SIGKILLed with a batch in flight (stored, answer lost), then started again — the resend is a duplicate, nothing lost or doubled")
    func gatewayKilledMidBatchThenRestarted() async throws {
        let f = try #require(await DemoGateway.fixture.value, "simulating or training the demo venue failed")
        let (store, location) = try StoreKind.sqlite.makeLocated("gwkill")
        let collector = try await startCollector(store)
        let token = try await register(store, "gw-kill", venue: "demo-mall")
        // The first upload reaches the collector and is stored; its answer never comes back.
        // Stalls after it keep that batch unresolved for several seconds, so the kill lands while it
        // is in flight even when the test runner is slow to notice the stored batch.
        let proxy = try await FaultProxy(targetPort: collector.port, script: [.dropResponse] + Array(repeating: .stall, count: 5))
        let g = DemoGateway.configure(
            f, name: "gwkill", url: proxy.url, gateway: "gw-kill",
            upstream: "batch_rows = 100\nconnect_timeout_seconds = 1\nresponse_timeout_seconds = 1\nrequest_timeout_seconds = 2\nbackoff_max_seconds = 1")
        let first = try #require(DemoGateway.spawn(["run", "--config", g.config, "--log-level", "notice"], token: token, directory: g.directory, name: "run1"))
        var stored = 0
        for _ in 0..<2400 where stored == 0 {
            try await Task.sleep(for: .milliseconds(10))
            stored = try await store.tableCounts().batches
        }
        first.signal(SIGKILL)
        #expect(try await first.exitStatus(seconds: 30) == -SIGKILL)
        try #require(stored >= 1, "no batch reached the collector: \(first.errors)")
        let db = g.state + "/buffer.sqlite"
        let delivered = DemoGateway.integer(db, "SELECT count(*) FROM outbox WHERE state = 'sent'") ?? -1
        let pending = DemoGateway.integer(db, "SELECT count(*) FROM outbox WHERE state = 'pending'") ?? 0
        #expect(pending >= 1, "the batch whose answer was lost is still pending at the gateway")
        #expect(delivered < stored, "the collector holds a batch the gateway does not know was delivered (\(stored) stored, \(delivered) marked sent)")

        // Started again as the service manager would: the same configuration, the same buffer.
        let second = try #require(DemoGateway.spawn(["run", "--config", g.config, "--log-level", "notice"], token: token, directory: g.directory, name: "run2"))
        let status = try await waitForStatus(g.state, seconds: 120) { Self.drained($0) && $0.pid == second.pid }
        #expect(status.map(Self.drained) == true, "not drained after the restart: \(String(describing: status?.sync)) \(second.errors)")
        #expect((status?.sync?.duplicates ?? 0) >= 1, "the in-flight batch came back as a duplicate: \(String(describing: status?.sync))")
        try await stopFlushAndCompare(second, g, token: token, store: store, database: .sqlite(path: location))
        #expect(try await store.sequenceGaps(gateway: "gw-kill").count <= 1, "at most the range below the gateway's first sequence")
        await proxy.close()
        await collector.stop()
        await store.close()
    }

    @Test("fault: the running gateway's clock steps a day forward, then a day back, while it seals a backlog — sequences only grow, no loss, no duplicates, drained")
    func clockStepsForwardAndBack() async throws {
        let f = try #require(await DemoGateway.fixture.value, "simulating or training the demo venue failed")
        var (databasePath, store, collector, token) = try await Self.sqliteCollector("gwclock-collector", gateway: "gw-clock")
        let port = collector.port
        // The collector is away at first, so the backlog is sealed a few batches per (1 s) retry:
        // slow enough to seal batches under each clock.
        await collector.stop()
        await store.close()
        let g = DemoGateway.configure(
            f, name: "gwclock", url: "http://127.0.0.1:\(port)", gateway: "gw-clock",
            upstream: "batch_rows = 100\nconnect_timeout_seconds = 1\nresponse_timeout_seconds = 1\nrequest_timeout_seconds = 2\nbackoff_max_seconds = 1")
        let offsetFile = g.directory + "/clock-offset"
        writeText(offsetFile, "0\n")
        let daemon = try #require(DemoGateway.spawn(
            ["run", "--config", g.config, "--log-level", "notice"], token: token, directory: g.directory, name: "run",
            environment: ["MALLGATE_FAULT_CLOCK_OFFSET_FILE": offsetFile]))
        let db = g.state + "/buffer.sqlite"
        func sealed() -> Int { DemoGateway.integer(db, "SELECT count(*) FROM outbox") ?? 0 }
        func waitForSealed(atLeast n: Int) async throws -> Int {
            var count = 0
            for _ in 0..<1800 {  // returns as soon as reached; the cap is for a heavily loaded machine
                count = sealed()
                if count >= n { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            return count
        }
        // The daemon reads the file at every clock reading: written in place, a reading between
        // the truncation and the write finds it empty and counts 0, sealing a batch under the true
        // clock between the two steps. Written beside it and renamed over it, as a real clock steps.
        func stepClock(_ seconds: String) {
            writeText(offsetFile + ".new", seconds + "\n")
            rename(offsetFile + ".new", offsetFile)
        }
        let atStart = try await waitForSealed(atLeast: 1)
        try #require(atStart >= 1, "nothing sealed: \(daemon.errors)")
        stepClock("86400")
        // A few batches under each clock (the backlog is finite: asking for many more than the
        // replay's rows fill would wait for batches that never come).
        let afterForward = try await waitForSealed(atLeast: atStart + 3)
        #expect(afterForward >= atStart + 3, "batches sealed with the clock a day ahead")
        stepClock("-86400")
        let afterBack = try await waitForSealed(atLeast: afterForward + 3)
        #expect(afterBack >= afterForward + 3, "batches sealed with the clock a day behind")

        // The collector comes back; everything drains under the stepped-back clock.
        store = try SQLiteCollectorStore(path: databasePath)
        collector = try await startCollector(store, port: port)
        let status = try await waitForStatus(g.state, seconds: 120, until: Self.drained)
        #expect(status.map(Self.drained) == true, "not drained: \(String(describing: status?.sync)) \(daemon.errors)")
        try await stopFlushAndCompare(daemon, g, token: token, store: store, database: .sqlite(path: databasePath), environment: "MALLGATE_FAULT_CLOCK_OFFSET_FILE=\(sh(offsetFile))")

        // The outbox saw the clock jump both ways (sequences are its row ids: they grew regardless,
        // and the collector, which orders by them, accepted every batch once).
        let day = "86400000000000"
        let forward = DemoGateway.integer(db, "SELECT count(*) FROM outbox a JOIN outbox b ON b.sequence = a.sequence + 1 AND b.created_at_ns > a.created_at_ns + \(day) / 2")
        let backward = DemoGateway.integer(db, "SELECT count(*) FROM outbox a JOIN outbox b ON b.sequence = a.sequence + 1 AND b.created_at_ns < a.created_at_ns - \(day)")
        #expect(forward == 1, "one step forward between consecutive batches")
        #expect(backward == 1, "one step back (of two days) between consecutive batches")
        #expect(try await store.sequenceGaps(gateway: "gw-clock").count <= 1, "at most the range below the gateway's first sequence")
        await collector.stop()
        await store.close()
    }
}
