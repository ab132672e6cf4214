import Glibc
import MallGateTestSupport
import Testing

/// The web UI (issue 8) in a real browser: headless Chromium, driven over the DevTools protocol,
/// against `mallgate run` replaying the simulated demo venue at a paced speed, so the pages
/// see a mall that is alive. Expectations come from the venue file and the simulator's ground
/// truth, read here without MallGate's code; screenshots of every page, at desktop and phone
/// size, are written to .build/webui-screenshots/ for a person to look at.
@Suite(.serialized)
struct WebUITests {
    static let venuePath = packageRoot + "/firmware-configs/venues/demo-mall.json"
    /// The replay runs this many times faster than recorded: visitors reach their stores within
    /// the test's minute or two, and 10 s windows still come every couple of seconds.
    static let speed = 3.0
    static let screenshots = packageRoot + "/.build/webui-screenshots"

    /// What the suite started, stopped at the end whatever happened.
    final class Running {
        var daemon: BackgroundProcess?
        var browser: Browser?
        var recorder: BackgroundProcess?
        deinit {
            recorder?.stop()
            browser?.quit()
            daemon?.stop()
        }
    }

    @Test(.enabled(if: Browser.isInstalled, "chromium is not installed (scripts/deps.sh installs chromium and python3-websocket)"))
    func thePagesWorkInChromiumAgainstAReplayingAgent() throws {
        try #require(Browser.hasDriverDependency, "\(Browser.python) cannot import websocket: apt install python3-websocket (scripts/deps.sh)")
        let running = Running()
        let directory = makeTemporaryDirectory("run")
        let venue = try #require(VenueFacts(path: Self.venuePath), "cannot read \(Self.venuePath)")
        _ = shell("mkdir -p \(sh(Self.screenshots))")
        print("web UI screenshots: \(Self.screenshots)/")

        // The venue, simulated from now on, and a model trained from its layout alone (no walk
        // needed), made side by side: neither needs the other.
        let sim = directory + "/sim"
        let model = directory + "/model.mgm"
        let simulate = "\(sh(mallgateBinary)) simulate --venue \(sh(Self.venuePath)) --out \(sh(sim)) --duration 20m --visitors 320 --staff 2 --seed 4 --no-calibration-walk --start \(rfc3339(now())) >\(sh(directory + "/simulate.log")) 2>&1"
        let train = "\(sh(mallgateBinary)) train --venue \(sh(Self.venuePath)) --from-layout --folds 0 --models mlp --output \(sh(model)) --quiet >\(sh(directory + "/train.log")) 2>&1"
        let made = shell("\(simulate) & s=$!; \(train); t=$?; wait $s && exit $t")
        try #require(made.status == 0, "simulate: \(readText(directory + "/simulate.log") ?? "")\ntrain: \(readText(directory + "/train.log") ?? "")")
        let truth = Truth(directory: sim)

        // The agent with the web UI on a port of its own and an access code only the test knows.
        let port = try #require(freePort())
        let code = "mg-" + String(UInt64.random(in: 1..<UInt64.max), radix: 36)
        writeText(directory + "/access-code", code + "\n")
        chmod(directory + "/access-code", 0o600)
        let state = directory + "/state"
        let config = directory + "/gateway.toml"
        writeText(config, """
            venue = "\(Self.venuePath)"
            model = "\(model)"
            state_directory = "\(state)"
            [[sources]]
            kind = "directory"
            path = "\(sim)"
            speed = \(Self.speed)
            [metrics]
            enabled = false
            [health]
            status_interval_seconds = 1
            [web]
            enabled = true
            listen = "127.0.0.1:\(port)"
            access_code_file = "\(directory)/access-code"
            """)
        running.daemon = BackgroundProcess(arguments: [mallgateBinary, "run", "--config", config], directory: directory, name: "mallgate")
        let daemon = try #require(running.daemon)
        let base = "http://127.0.0.1:\(port)"
        let http = HTTP(base: base)
        let answering = waitFor(seconds: 30) { daemon.isRunning && http.get("/login").status == 200 }
        try #require(answering, "the web UI does not answer on \(base)/login: \(daemon.stderr)")

        running.browser = try Browser.launch(profile: directory + "/chromium")
        let browser = try #require(running.browser)
        let record = directory + "/responses.jsonl"
        running.recorder = browser.startRecording(into: record)
        usleep(300_000)

        let session = Session(browser: browser, http: http, base: base, venue: venue, truth: truth, state: state, directory: directory)
        section("access control") { try session.checkAccessControl(code: code) }
        // The 401s the access checks provoke on purpose are logged by the browser; they are not page errors.
        usleep(500_000)
        session.recordLinesAfterAccessControl = (readText(record) ?? "").split(separator: "\n").count
        section("installation map") { try session.checkInstallationMap() }
        section("calibration") { try session.checkCalibration() }
        section("training, started") { try session.startTraining() }
        section("where am I") { try session.checkWhereAmI() }
        section("dashboard") { try session.checkDashboard() }
        section("training, accepted") { try session.finishTraining(modelPath: model) }
        section("no MAC or device id leaves") {
            running.recorder?.stop()
            running.recorder = nil
            try session.checkNothingLeaks(record: record)
        }
        section("page errors") { try session.checkPageErrors(record: record) }
        #expect(daemon.isRunning, "mallgate run died: \(daemon.stderr.suffix(2000))")
        print("web UI test: \(session.report.joined(separator: "; "))")
    }

    /// Runs one part of the scenario; a failure is recorded and the next part still runs.
    func section(_ name: String, _ body: () throws -> Void) {
        do {
            try body()
        } catch is ExpectationFailedError {
            // Already recorded by #require.
        } catch {
            Issue.record("\(name): \(error)")
        }
    }
}

/// The simulator's truth files.
struct Truth {
    let macs: [[String: String]]
    let devices: [[String: String]]
    let visits: [[String: String]]
    let positions: [[String: String]]

    init(directory: String) {
        macs = CSVTable(path: directory + "/truth-macs.csv").records
        devices = CSVTable(path: directory + "/truth-devices.csv").records
        visits = CSVTable(path: directory + "/truth-visits.csv").records
        positions = CSVTable(path: directory + "/truth-positions.csv").records
    }

    var allMACs: [String] { macs.compactMap { $0["mac"] }.filter { $0.count == 17 } }

    /// A phone that keeps its MAC, heard from before `from` until after `until` (capture clock),
    /// the one heard most often per second; its MAC and device name.
    func steadyPhone(from: Double, until: Double, excluding: Set<String> = []) -> (mac: String, device: String)? {
        let candidates = macs.compactMap { row -> (String, String, Double)? in
            guard row["randomized"] == "0", let mac = row["mac"], let device = row["device"], !excluding.contains(device),
                let first = row["first_seen"].flatMap(epochSeconds), let last = row["last_seen"].flatMap(epochSeconds),
                let heard = row["frames_heard"].flatMap(Double.init), first <= from, last >= until, last > first
            else { return nil }
            return (mac, device, heard / (last - first))
        }
        return candidates.max { $0.2 < $1.2 }.map { ($0.0, $0.1) }
    }

    /// Where the truth puts `device` at `time`: the position row nearest before it.
    func position(of device: String, at time: Double) -> (zone: String, floor: String, place: String)? {
        var best: (Double, [String: String])?
        for row in positions where row["device"] == device {
            guard let t = row["time"].flatMap(epochSeconds), t <= time else { continue }
            if best == nil || t > best!.0 { best = (t, row) }
        }
        guard let row = best?.1, let zone = row["zone"], let floor = row["floor"] else { return nil }
        return (zone, floor, row["place"] ?? "")
    }
}
