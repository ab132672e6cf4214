import Glibc
import MallGateDaemon
import MallGateState
import MallGateTestSupport
import Testing

/// Models published at a real collector reach a running gateway: `mallgate-collector serve` on
/// loopback, `mallgate run` replaying a simulated venue, `mallgate-collector publish` and
/// `mallgate artifacts`, all as the processes an operator runs.
@Suite(.serialized)
struct ArtifactPullTests {
    /// Built by `swift test` next to `mallgate`.
    static let collectorBinary: String = {
        var parts = mallgateBinary.split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast()
        return parts.joined(separator: "/") + "/mallgate-collector"
    }()

    struct Fixture: Sendable {
        let directory: String
        let captures: String
        let venue: String
        /// Trained on the venue's layout; the configuration's model.
        let modelA: String
        /// Also for the venue's layout, other bytes: what the collector publishes first.
        let modelB: String
        /// For the same venue id but an edited layout (another layout hash): must be refused.
        let modelOtherLayout: String
    }

    static let fixture = SharedFixture<Fixture?> {
        let directory = makeTemporaryDirectory("pull-fixture")
        let venue = packageRoot + "/firmware-configs/venues/small-arcade.json"
        let captures = directory + "/sim"
        let simulate = shell("\(sh(mallgateBinary)) simulate --venue \(sh(venue)) --out \(sh(captures)) --duration 3m --visitors 15 --staff 1 --seed 5 2>&1")
        guard simulate.status == 0 else { print(simulate.output); return nil }
        // The same venue, reformatted: same id and zones, another layout hash (any byte counts).
        let edited = directory + "/small-arcade-edited.json"
        guard let text = readText(venue), writeText(edited, text + "\n") else { return nil }
        func train(_ venue: String, samples: Int, _ output: String) -> Bool {
            let run = shell("\(sh(mallgateBinary)) train --venue \(sh(venue)) --from-layout --layout-samples \(samples) --models knn --folds 0 --output \(sh(output)) --quiet 2>&1")
            if run.status != 0 { print(run.output) }
            return run.status == 0
        }
        let f = Fixture(
            directory: directory, captures: captures, venue: venue,
            modelA: directory + "/a.mgm", modelB: directory + "/b.mgm", modelOtherLayout: directory + "/other-layout.mgm")
        guard train(venue, samples: 60, f.modelA), train(venue, samples: 40, f.modelB), train(edited, samples: 40, f.modelOtherLayout) else { return nil }
        return f
    }

    /// A gateway configuration in `directory` (a new one when nil): model A configured, the
    /// fixture's captures as source, then `extra` (more tables).
    static func gateway(_ f: Fixture, _ name: String, in existing: String? = nil, extra: String = "") throws -> (directory: String, state: String, config: String) {
        let directory = existing ?? makeTemporaryDirectory(name)
        let state = directory + "/state"
        let config = directory + "/gateway.toml"
        try #require(writeText(config, """
            venue = "\(f.venue)"
            model = "\(f.modelA)"
            state_directory = "\(state)"
            [[sources]]
            kind = "directory"
            path = "\(f.captures)"
            \(extra)
            """))
        return (directory, state, config)
    }

    /// The SHA-256 `sha256sum` computes (an independent implementation).
    static func sha256(_ path: String) -> String {
        String(shell("sha256sum \(sh(path))").output.prefix(64))
    }

    static func freePort() -> Int { Int.random(in: 20000...60000) }

    @Test func aPublishedModelIsInstalledAnotherLayoutIsRefusedAndRollbackRestoresTheConfiguredOne() async throws {
        let f = try #require(await Self.fixture.value, "the simulate/train fixture failed")
        let directory = makeTemporaryDirectory("pull")
        let database = directory + "/collector.sqlite"
        let port = Self.freePort()

        // The collector, with this gateway registered.
        let add = shell("\(sh(Self.collectorBinary)) gateway add gw-pull --venue small-arcade --database \(sh(database))")
        try #require(add.status == 0, "\(add.output)")
        let token = String(add.output.dropLast())
        try #require(writeText(directory + "/token", token + "\n"))
        let collectorDirectory = directory + "/collector"
        try #require(mkdir(collectorDirectory, 0o755) == 0)
        let collector = try #require(BackgroundProcess(
            arguments: [Self.collectorBinary, "serve", "--database", database, "--port", String(port)], environment: [:], directory: collectorDirectory))
        defer {
            kill(collector.pid, SIGTERM)
            _ = collector.waitForExitBlocking(seconds: 20)
        }
        #expect(await waitFor(seconds: 30) { shell("curl -sf http://127.0.0.1:\(port)/healthz").output == "ok\n" })

        // The gateway: the configuration's model A, pulling every second.
        let (_, state, config) = try Self.gateway(f, "pull", in: directory, extra: """
            [upstream]
            url = "http://127.0.0.1:\(port)/v1"
            token_file = "token"
            gateway_id = "gw-pull"
            pull_interval_seconds = 1
            [health]
            status_interval_seconds = 0.5
            [metrics]
            enabled = false
            """)
        let daemon = try #require(BackgroundProcess(arguments: [mallgateBinary, "run", "--config", config], environment: [:], directory: directory))
        defer {
            kill(daemon.pid, SIGTERM)
            _ = daemon.waitForExitBlocking(seconds: 60)
        }
        let log = { readText(directory + "/stderr") ?? "" }
        #expect(await waitFor(seconds: 60) { (DaemonStatus.read(from: state)?.probeRequests ?? 0) > 0 }, "\(log())")
        let shaA = Self.sha256(f.modelA), shaB = Self.sha256(f.modelB), shaOther = Self.sha256(f.modelOtherLayout)
        #expect(log().contains("model \(shaA.prefix(12)) (config)"), "\(log())")

        // 1. Model B, published for this gateway, is installed and runs.
        let publish = shell("\(sh(Self.collectorBinary)) publish --gateway gw-pull \(sh(f.modelB)) --database \(sh(database)) 2>&1")
        #expect(publish.status == 0, "\(publish.output)")
        #expect(publish.output.contains(shaB), "\(publish.output)")
        let store = ArtifactStore(stateDirectory: state)
        let installed = await waitFor(seconds: 60) { log().contains("model \(shaB.prefix(12)) (pulled from collector)") }
        #expect(installed, "\(log())")
        #expect(try store.current(.model)?.manifest.sha256 == shaB)
        #expect(try store.current(.model)?.manifest.source == .pulled)
        #expect(try store.previous(.model) == nil)
        #expect(readFile(try #require(try store.current(.model)).path) == readFile(f.modelB))
        let list = await shellOffPool("\(sh(mallgateBinary)) artifacts list --config \(sh(config))")
        #expect(list.status == 0)
        #expect(list.output.contains("current:  \(shaB.prefix(16))"), "\(list.output)")
        #expect(list.output.contains("pulled from collector"), "\(list.output)")

        // 2. A model for another layout of the same venue: refused, with the reason; B keeps running.
        let other = shell("\(sh(Self.collectorBinary)) publish --venue small-arcade \(sh(f.modelOtherLayout)) --database \(sh(database)) 2>&1")
        #expect(other.status == 0, "\(other.output)")
        let refused = await waitFor(seconds: 60) { log().contains("Refused a model from the collector") }
        #expect(refused, "\(log())")
        let refusal = log().split(separator: "\n").first { $0.contains("Refused a model") }.map(String.init) ?? ""
        #expect(refusal.contains(shaOther), "\(refusal)")
        #expect(refusal.contains("retrain for the current layout"), "\(refusal)")
        // Several more polls: not downloaded, refused or counted again.
        sleep(4)
        #expect(log().split(separator: "\n").filter { $0.contains("Refused a model") }.count == 1, "\(log())")
        #expect(try store.current(.model)?.manifest.sha256 == shaB)
        #expect(kill(daemon.pid, 0) == 0)

        // 3. Rollback on site: the configuration's model A again; the daemon reloads and runs it,
        //    and the puller does not bring B back.
        let rollback = await shellOffPool("\(sh(mallgateBinary)) artifacts rollback --config \(sh(config)) 2>&1")
        #expect(rollback.status == 0, "\(rollback.output)")
        #expect(rollback.output.contains("the configuration's file applies again"), "\(rollback.output)")
        #expect(rollback.output.contains("Told the daemon (pid \(daemon.pid)) to reload"), "\(rollback.output)")
        let reloadedA = await waitFor(seconds: 60) {
            log().split(separator: "\n").last { $0.contains("Reloaded.") }?.contains("model \(shaA.prefix(12)) (config)") == true
        }
        #expect(reloadedA, "\(log())")
        #expect(try store.current(.model) == nil)
        #expect(try store.previous(.model)?.manifest.sha256 == shaB)
        sleep(3)
        #expect(try store.current(.model) == nil, "the puller undid the rollback")

        // A second rollback returns to B.
        let forward = await shellOffPool("\(sh(mallgateBinary)) artifacts rollback --config \(sh(config)) 2>&1")
        #expect(forward.status == 0, "\(forward.output)")
        #expect(await waitFor(seconds: 60) {
            log().split(separator: "\n").last { $0.contains("Reloaded.") }?.contains("model \(shaB.prefix(12)) (pulled from collector)") == true
        }, "\(log())")

        // Events in the buffer: one install, one refusal.
        kill(daemon.pid, SIGTERM)
        #expect(await daemon.waitForExit(seconds: 60) == 0, "\(log())")
        let db = state + "/buffer.sqlite"
        // Not skipped without sqlite3: a check that silently does nothing would pass (scripts/deps.sh installs it).
        try #require(shell("command -v sqlite3 >/dev/null").status == 0, "the sqlite3 shell is not installed (apt install sqlite3)")
        #expect(shell("sqlite3 \(sh(db)) \(sh("SELECT count(*) FROM events WHERE kind = 'artifact-installed'"))").output == "1\n")
        #expect(shell("sqlite3 \(sh(db)) \(sh("SELECT count(*) FROM events WHERE kind = 'artifact-refused' AND message LIKE '%layout%'"))").output == "1\n")
    }

    @Test func aCorruptOrForeignArtifactIsNeverInstalledByHand() async throws {
        let f = try #require(await Self.fixture.value, "the simulate/train fixture failed")
        let (directory, state, config) = try Self.gateway(f, "install")
        let install = { (file: String) in await shellOffPool("\(sh(mallgateBinary)) artifacts install --no-reload --config \(sh(config)) \(sh(file)) 2>&1") }
        // A flipped byte: the model file's CRC catches it.
        var bytes = try #require(readFile(f.modelB))
        bytes[bytes.count / 2] ^= 0x40
        let corrupt = directory + "/corrupt.mgm"
        try #require(writeFile(corrupt, bytes))
        let bad = await install(corrupt)
        #expect(bad.status == 1)
        #expect(bad.output.contains("checksum mismatch"), "\(bad.output)")
        let foreign = await install(f.modelOtherLayout)
        #expect(foreign.status == 1)
        #expect(foreign.output.contains("retrain for the current layout"), "\(foreign.output)")
        #expect(try ArtifactStore(stateDirectory: state).current(.model) == nil)
        let good = await install(f.modelB)
        #expect(good.status == 0, "\(good.output)")
        #expect(try ArtifactStore(stateDirectory: state).current(.model)?.manifest.sha256 == Self.sha256(f.modelB))
        #expect(try ArtifactStore(stateDirectory: state).current(.model)?.manifest.source == .technician)
        // `config check` runs the same loader: it now names the installed model.
        #expect(await shellOffPool("\(sh(mallgateBinary)) config check \(sh(config))").status == 0)
    }

    /// `mallgate artifacts install` killed (SIGKILL, by itself) after each step: the store
    /// afterwards holds the old model or the new one, whole, and the daemon's loader runs it.
    @Test(arguments: ["written", "verified", "renamed", "switched"])
    func anInstallKilledAfterAnyStepLeavesARunnableModel(step: String) async throws {
        let f = try #require(await Self.fixture.value, "the simulate/train fixture failed")
        let (directory, state, config) = try Self.gateway(f, "kill-\(step)")
        let first = await shellOffPool("\(sh(mallgateBinary)) artifacts install --no-reload --config \(sh(config)) \(sh(f.modelB)) 2>&1")
        try #require(first.status == 0, "\(first.output)")
        // Another model for the same layout, killed mid-install.
        let third = directory + "/c.mgm"
        let train = await shellOffPool("\(sh(mallgateBinary)) train --venue \(sh(f.venue)) --from-layout --layout-samples 30 --models knn --folds 0 --output \(sh(third)) --quiet 2>&1")
        try #require(train.status == 0, "\(train.output)")
        let killed = shell("MALLGATE_TEST_ARTIFACT_KILL_AFTER=\(step) \(sh(mallgateBinary)) artifacts install --no-reload --config \(sh(config)) \(sh(third)) 2>&1")
        #expect(killed.status != 0)
        let current = try #require(try ArtifactStore(stateDirectory: state).current(.model))
        let expected = step == "switched" ? third : f.modelB
        #expect(readFile(current.path) == readFile(expected))
        #expect(current.manifest.sha256 == Self.sha256(expected))
        let check = await shellOffPool("\(sh(mallgateBinary)) artifacts list --config \(sh(config)) 2>&1")
        #expect(check.status == 0, "\(check.output)")
        #expect(check.output.contains("in use: venue \(f.venue) (config), model \(current.path) ("), "\(check.output)")
        // The next install cleans up whatever the kill left.
        let again = await shellOffPool("\(sh(mallgateBinary)) artifacts install --no-reload --config \(sh(config)) \(sh(f.modelA)) 2>&1")
        #expect(again.status == 0, "\(again.output)")
        let names = shell("ls -A \(sh(state + "/artifacts/model"))").output.split(separator: "\n")
        #expect(!names.contains { $0.hasPrefix(".incoming") || $0.hasSuffix(".new") }, "\(names)")
        #expect(names.filter { $0.hasSuffix(".mgm") }.count == 2, "\(names)")
    }
}

