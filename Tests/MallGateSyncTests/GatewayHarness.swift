import Glibc
import MallGateCollector
import MallGateDaemon
import MallGateTestSupport
import Testing

/// The demo venue simulated for a few minutes and a model trained on it: the gateway process
/// tests replay or run it. Built once per test process.
enum DemoGateway {
    struct Fixture: Sendable {
        let captures: String
        let model: String
        let venue: String
    }

    static let fixture = SharedFixture<Fixture?> {
        let directory = makeTemporaryDirectory("demo-fixture")
        let venue = packageRoot + "/firmware-configs/venues/demo-mall.json"
        let captures = directory + "/sim"
        let model = directory + "/demo.mgm"
        let simulate = shell("\(sh(mallgateBinary)) simulate --venue \(sh(venue)) --out \(sh(captures)) --duration 10m --visitors 40 --staff 2 --seed 7 2>&1")
        guard simulate.status == 0 else { print(simulate.output); return nil }
        let train = shell("\(sh(mallgateBinary)) train --venue \(sh(venue)) --captures \(sh(captures)) --labels \(sh(captures + "/labels.csv")) --no-from-layout --models knn --folds 0 --output \(sh(model)) --quiet 2>&1")
        guard train.status == 0 else { print(train.output); return nil }
        return Fixture(captures: captures, model: model, venue: venue)
    }

    static let hasSQLite = shell("command -v sqlite3 >/dev/null").status == 0

    /// A gateway directory: `gateway.toml` with the capture directory as source and an
    /// `[upstream]` to `url`, token from `MG_TOKEN`.
    static func configure(_ f: Fixture, name: String, url: String, gateway: String, upstream: String = "") -> (directory: String, config: String, state: String) {
        let directory = makeTemporaryDirectory(name)
        let state = directory + "/state"
        let text = """
            venue = "\(f.venue)"
            model = "\(f.model)"
            state_directory = "\(state)"
            [[sources]]
            kind = "directory"
            path = "\(f.captures)"
            [health]
            status_interval_seconds = 0.5
            [metrics]
            enabled = false
            [upstream]
            url = "\(url)"
            token_env = "MG_TOKEN"
            gateway_id = "\(gateway)"
            interval_seconds = 1
            # Uploads only: the artifact puller's requests would take the fault proxy's scripted
            # faults meant for batches (pulling has its own tests, ArtifactPullTests).
            pull_interval_seconds = 0
            \(upstream)
            """
        writeText(directory + "/gateway.toml", text)
        return (directory, directory + "/gateway.toml", state)
    }

    /// Starts `mallgate ARGUMENTS` in the background with an empty signal mask and default signal
    /// actions (a test's worker thread blocks signals and a child would inherit that, so SIGTERM
    /// would never reach it); stdout and stderr go to `directory/NAME.out` and `.err`.
    static func spawn(
        _ arguments: [String], token: String, directory: String, name: String, environment: [String: String] = [:],
        binary: String = mallgateBinary
    ) -> GatewayProcess? {
        var variables = environment
        variables["MG_TOKEN"] = token
        guard let child = spawnChild(
            arguments: [binary] + arguments, environment: variables, stdout: directory + "/\(name).out", stderr: directory + "/\(name).err")
        else { return nil }
        return GatewayProcess(pid: child, directory: directory, name: name)
    }

    /// Runs `mallgate ARGUMENTS` to the end.
    static func run(_ arguments: String, token: String, directory: String, environment: String = "") async -> (status: Int32, output: String) {
        await shellOffPool("cd \(sh(directory)) && MG_TOKEN=\(sh(token)) \(environment) \(sh(mallgateBinary)) \(arguments)", mergeStderr: true)
    }

    static func sql(_ path: String, _ query: String) -> [String] {
        shell("sqlite3 -batch \(sh(path)) \(sh(query)) 2>&1").output.split(separator: "\n").map(String.init)
    }

    static func integer(_ path: String, _ query: String) -> Int? { sql(path, query).first.flatMap { Int($0) } }

    /// The gateway's positions as the collector must hold them — device, time in ms, zone id and
    /// confidence on the wire's 0…255 scale — read with the sqlite3 shell, sorted.
    static func gatewayPositions(_ state: String) -> [String] {
        sql(state + "/buffer.sqlite", "SELECT device_id, window_end_ns / 1000000, zone_name, CAST(round(confidence * 255) AS INTEGER) FROM positions")
            .map { line in
                let parts = line.split(separator: "|", omittingEmptySubsequences: false)
                return "\(UInt64(bitPattern: Int64(parts[0]) ?? 0))|\(parts[1])|\(parts[2])|\(parts[3])"
            }.sorted()
    }

    /// The collector's database, read with its own client (sqlite3 or psql) rather than through
    /// the collector's code, so the comparison does not judge MallGate by MallGate.
    enum CollectorDatabase {
        case sqlite(path: String)
        case postgres(url: String)

        init(_ kind: StoreKind, _ location: String) {
            self = kind == .sqlite ? .sqlite(path: location) : .postgres(url: location)
        }

        /// Rows of `query`, columns separated by `|`.
        func rows(_ query: String) -> [String] {
            let command: String
            switch self {
            case .sqlite(let path): command = "sqlite3 -batch \(sh(path)) \(sh(query))"
            case .postgres(let url): command = "psql -AtqX -F '|' \(sh(url)) -c \(sh(query))"
            }
            return shell(command + " 2>&1").output.split(separator: "\n").map(String.init)
        }

        func count(_ table: String) -> Int? { rows("SELECT count(*) FROM \(table)").first.flatMap { Int($0) } }

        /// The demo venue's positions as `gatewayPositions` spells them, sorted.
        func positions() -> [String] {
            rows("SELECT device, time_ms, zone, confidence FROM positions WHERE venue_id = 'demo-mall'").map { line in
                let parts = line.split(separator: "|", omittingEmptySubsequences: false)
                return "\(UInt64(bitPattern: Int64(parts[0]) ?? 0))|\(parts.dropFirst().joined(separator: "|"))"
            }.sorted()
        }
    }

    /// Everything the gateway produced is at the collector exactly once: the same position rows
    /// (as multisets), as many visits (passers-by excluded: they travel as counts), store counts,
    /// health events and batches; no batch left pending or parked.
    /// `minimumPositions` guards against a vacuous comparison; a gateway killed early holds fewer.
    static func expectSameRows(
        state: String, store: any CollectorStore, database: CollectorDatabase, minimumPositions: Int = 100,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let db = state + "/buffer.sqlite"
        let gateway = gatewayPositions(state)
        let collector = database.positions()
        #expect(gateway.count >= minimumPositions, "the replay produced positions", sourceLocation: sourceLocation)
        #expect(collector.count == gateway.count, "collector \(collector.count) rows, gateway \(gateway.count)", sourceLocation: sourceLocation)
        let same = collector == gateway
        #expect(same, "missing at the collector: \(Set(gateway).subtracting(collector).prefix(3)); extra: \(Set(collector).subtracting(gateway).prefix(3))", sourceLocation: sourceLocation)
        #expect(database.count("visits") == integer(db, "SELECT count(*) FROM visits WHERE passer_by = 0"), sourceLocation: sourceLocation)
        #expect(database.count("store_counts") == integer(db, "SELECT count(*) FROM store_counts"), sourceLocation: sourceLocation)
        // Mean dwell at the collector = the gateway's dwell sums (it was 0 when the sum was not sent).
        let report = try await store.storeReport(venueID: "demo-mall", fromMs: 0, toMs: .max, bucketSeconds: 366 * 86_400)
        let gatewayDwell = integer(db, "SELECT coalesce(sum(dwell_seconds_sum), 0) FROM store_counts") ?? -1
        #expect(report.reduce(0) { $0 + Int($1.dwellSecondsSum) } == gatewayDwell, sourceLocation: sourceLocation)
        let visits = integer(db, "SELECT count(*) FROM store_counts WHERE footfall > 0") ?? 0
        #expect(visits == 0 || gatewayDwell > 0, "stores with footfall but no dwell", sourceLocation: sourceLocation)
        #expect(database.count("health_events") == integer(db, "SELECT count(*) FROM events"), sourceLocation: sourceLocation)
        #expect(sql(db, "SELECT state, count(*) FROM outbox GROUP BY state") == ["sent|\(database.count("batches") ?? -1)"], sourceLocation: sourceLocation)
        // Every row present was sealed into a batch; a store count rewritten for its interval (INSERT
        // OR REPLACE, after a restart) was sealed once per version, so the sum may exceed the rows.
        #expect(integer(db, "SELECT sum(row_count) FROM outbox") ?? 0 >= integer(db, "SELECT (SELECT count(*) FROM positions) + (SELECT count(*) FROM visits) + (SELECT count(*) FROM store_counts) + (SELECT count(*) FROM events)") ?? .max, sourceLocation: sourceLocation)
    }

    /// Whether a process still exists.
    static func alive(_ pid: pid_t) -> Bool { kill(pid, 0) == 0 }
}

/// A `mallgate` process started by ``DemoGateway/spawn(_:token:directory:name:environment:)``.
struct GatewayProcess: Sendable {
    let pid: pid_t
    let directory: String
    let name: String

    /// The exit status (negative: the signal that ended it), or nil if still running after `seconds`.
    func exitStatus(seconds: Double) async throws -> Int32? {
        var status: Int32 = 0
        var waited = 0.0
        while waited <= seconds {
            if waitpid(pid, &status, WNOHANG) == pid {
                return exitCode(waitStatus: status)
            }
            try await Task.sleep(for: .milliseconds(100))
            waited += 0.1
        }
        return nil
    }

    func signal(_ number: Int32) { kill(pid, number) }

    var output: String { readText(directory + "/\(name).out") ?? "" }
    var errors: String { readText(directory + "/\(name).err") ?? "" }
}
