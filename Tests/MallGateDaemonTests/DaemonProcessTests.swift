import Glibc
import MallGateDaemon
import MallGateTestSupport
import Testing

/// The daemon as a process: `mallgate replay` and `mallgate run` over a simulated venue, with
/// signals and a notify socket, checked against the simulator's ground truth.
@Suite(.serialized)
struct DaemonProcessTests {
    /// One simulated arcade and a model trained on its calibration walk, shared by the tests.
    struct Fixture: Sendable {
        let directory: String
        let captures: String
        let venue: String
        let model: String
        let macs: [String]
    }

    static let fixture: Fixture? = {
        let directory = makeTemporaryDirectory("fixture")
        let venue = packageRoot + "/firmware-configs/venues/small-arcade.json"
        let captures = directory + "/sim"
        let model = directory + "/arcade.mgm"
        let simulate = shell("\(sh(mallgateBinary)) simulate --venue \(sh(venue)) --out \(sh(captures)) --duration 6m --visitors 25 --staff 2 --seed 11 2>&1")
        guard simulate.status == 0 else { print(simulate.output); return nil }
        let train = shell("\(sh(mallgateBinary)) train --venue \(sh(venue)) --captures \(sh(captures)) --labels \(sh(captures + "/labels.csv")) --models knn --folds 0 --output \(sh(model)) --quiet 2>&1")
        guard train.status == 0 else { print(train.output); return nil }
        // Every MAC the phones used, from the simulator's truth (a header naming a mac column).
        let rows = (readText(captures + "/truth-macs.csv") ?? "").split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false) }
        guard let column = rows.first?.firstIndex(of: "mac") else { return nil }
        let macs = rows.dropFirst().compactMap { $0.count > column ? String($0[column]) : nil }
        guard macs.allSatisfy({ $0.count == 17 }), !macs.isEmpty else { return nil }
        return Fixture(directory: directory, captures: captures, venue: venue, model: model, macs: macs)
    }()

    /// A configuration for the fixture with `sources` and a unique state directory.
    static func writeConfiguration(_ f: Fixture, name: String, sources: String, metricsPort: Int? = nil, health: String = "") -> (config: String, state: String) {
        let directory = makeTemporaryDirectory(name)
        let state = directory + "/state"
        let metrics = metricsPort.map { "[metrics]\nlisten = \"127.0.0.1:\($0)\"\n" } ?? "[metrics]\nenabled = false\n"
        let text = """
            venue = "\(f.venue)"
            model = "\(f.model)"
            state_directory = "\(state)"
            \(sources)
            [health]
            status_interval_seconds = 0.5
            \(health)
            \(metrics)
            """
        _ = writeText(directory + "/gateway.toml", text)
        return (directory + "/gateway.toml", state)
    }

    static func lines(_ path: String) -> [Substring] {
        (readText(path) ?? "").split(separator: "\n")
    }

    /// Every spelling of a MAC a leak might take: colons, dashes, bare hex, upper and lower case.
    static func spellings(_ mac: String) -> [String] {
        let hex = mac.lowercased().filter { $0.isHexDigit }
        let pairs = stride(from: 0, to: hex.count, by: 2).map { i in
            String(hex[hex.index(hex.startIndex, offsetBy: i)..<hex.index(hex.startIndex, offsetBy: i + 2)])
        }
        let forms = [pairs.joined(separator: ":"), pairs.joined(separator: "-"), hex]
        return forms + forms.map { $0.uppercased() }
    }

    @Test func replayTurnsCapturesIntoPositionsAndVisits() throws {
        let f = try #require(Self.fixture, "the simulate/train fixture failed")
        let (config, state) = Self.writeConfiguration(f, name: "replay", sources: "[[sources]]\nkind = \"directory\"\npath = \"/nonexistent\"\n")
        let run = shell("\(sh(mallgateBinary)) replay --config \(sh(config)) \(sh(f.captures)) --quiet 2>&1")
        #expect(run.status == 0, "\(run.output)")

        // Every probe request in the captures, counted by tshark's peer in this repo: the simulator's summary.
        let summary = readText(f.captures + "/summary.json") ?? ""
        #expect(run.output.contains("replayed "), "\(run.output)")

        let positions = Self.lines(state + "/positions.jsonl")
        let visits = Self.lines(state + "/visits.jsonl")
        #expect(positions.count > 100)
        #expect(run.output.contains("positions \(positions.count), visits \(visits.count);"), "\(run.output)")
        // Positions name zones of the venue.
        let venueText = readText(f.venue) ?? ""
        for line in positions.prefix(50) {
            let zone = line.split(separator: "\"zone\":\"").dropFirst().first?.split(separator: "\"").first
            #expect(zone.map { venueText.contains("\"\($0)\"") } == true, "\(line)")
        }
        // Visitors of the simulation visit stores: the truth has visits, so the pipeline finds some.
        let truthVisits = Self.lines(f.captures + "/truth-visits.csv").count - 1
        #expect(truthVisits > 0)
        #expect(visits.count > 0, "truth has \(truthVisits) visits; summary: \(summary.prefix(200))")
        // No MAC of the input in any output.
        let outputs = ["positions.jsonl", "visits.jsonl", "events.jsonl", "status.json"].map { readText(state + "/" + $0) ?? "" }.joined() + run.output
        for mac in f.macs { for spelling in Self.spellings(mac) { #expect(!outputs.contains(spelling), "\(spelling) leaked") } }
    }

    @Test func runNotifiesSystemdRefusesABadReloadAndFlushesOnSIGTERM() throws {
        let f = try #require(Self.fixture, "the simulate/train fixture failed")
        let port = Int.random(in: 20000...60000)
        let sources = "[[sources]]\nkind = \"directory\"\npath = \"\(f.captures)\"\n"
        let (config, state) = Self.writeConfiguration(f, name: "run", sources: sources, metricsPort: port)
        let directory = String(config.dropLast("/gateway.toml".count))
        let receiver = try #require(DatagramReceiver(path: directory + "/notify.sock"))
        let daemon = try #require(BackgroundProcess(
            arguments: [mallgateBinary, "run", "--config", config],
            environment: ["NOTIFY_SOCKET": directory + "/notify.sock", "WATCHDOG_USEC": "1000000"], directory: directory))

        // systemd reads its socket as messages come; so does the test, or the queue fills (and the daemon drops messages).
        var messages: [String] = []
        // The directory source ends; the daemon stays up. Wait until everything is processed.
        let expectedProbes = try #require(Self.probeRequestCount(f))
        let processed = waitFor(seconds: 120) {
            messages += receiver.receiveAll()
            guard let s = DaemonStatus.read(from: state) else { return false }
            return s.sourcesRunning == 0 && s.probeRequests > 0 && s.updated > s.started + 1
        }
        #expect(processed, "status: \(String(describing: DaemonStatus.read(from: state)))")
        #expect(DaemonStatus.read(from: state)?.probeRequests == expectedProbes)
        let before = Self.lines(state + "/positions.jsonl").count

        // Metrics answer on the configured port, with per-sensor counters and no MAC.
        let page = try #require(MetricsProbe.fetch(host: "127.0.0.1", port: port))
        #expect(MetricsProbe.total("mallgate_probe_requests_total", in: page) == Double(expectedProbes))
        #expect(page.contains("mallgate_frames_total{sensor=\""))
        for mac in f.macs { for spelling in Self.spellings(mac) { #expect(!page.contains(spelling)) } }

        // A bad reload: the model vanishes from the configuration. The daemon keeps running and says why.
        _ = writeText(config, (readText(config) ?? "").replacingOccurrences(of: f.model, with: directory + "/absent.mgm"))
        kill(daemon.pid, SIGHUP)
        let refused = waitFor(seconds: 30) {
            messages += receiver.receiveAll()
            return DaemonStatus.read(from: state)?.lastReloadError != nil
        }
        #expect(refused)
        #expect(DaemonStatus.read(from: state)?.lastReloadError?.contains("absent.mgm") == true)
        #expect(kill(daemon.pid, 0) == 0, "the daemon died on a bad reload")

        // `mallgate status` reads the state directory and the endpoint.
        let status = shell("\(sh(mallgateBinary)) status --state-directory \(sh(state))")
        #expect(status.status == 0)
        #expect(status.output.contains("mallgate run: running (pid \(daemon.pid)"), "\(status.output)")
        #expect(status.output.contains("(answering)"), "\(status.output)")
        #expect(status.output.contains("last reload refused: "), "\(status.output)")

        // SIGTERM: pending windows and open visits are flushed, then the process exits 0.
        kill(daemon.pid, SIGTERM)
        let exit = daemon.waitForExit(seconds: 60) { messages += receiver.receiveAll() }
        #expect(exit == 0, "stderr: \(readText(directory + "/stderr") ?? "")")
        let after = Self.lines(state + "/positions.jsonl").count
        #expect(after > before, "no window was flushed at shutdown (\(before) → \(after))")
        #expect(DaemonStatus.read(from: state)?.positions == UInt64(after))
        #expect(Self.lines(state + "/events.jsonl").last?.contains("\"kind\":\"stopped\"") == true)

        messages += receiver.receiveAll()
        #expect(messages.first?.hasPrefix("READY=1") == true, "\(messages)")
        #expect(messages.contains("WATCHDOG=1"), "\(messages)")
        #expect(messages.contains { $0.hasPrefix("STATUS=") && $0.contains("frames/s") }, "\(messages)")
        #expect(messages.contains("RELOADING=1"), "\(messages)")
        #expect(messages.last == "STOPPING=1" || messages.contains("STOPPING=1"), "\(messages)")
        // The log names no MAC either.
        let log = readText(directory + "/stderr") ?? ""
        #expect(log.contains("Reload refused"), "\(log)")
        for mac in f.macs { for spelling in Self.spellings(mac) { #expect(!log.contains(spelling)) } }
    }

    @Test func aFailingLiveSourceIsRetriedWithBackoffAndShutdownStillWorks() throws {
        let f = try #require(Self.fixture, "the simulate/train fixture failed")
        let sources = "[[sources]]\nkind = \"stream\"\npath = \"/nonexistent/fifo\"\nsensor = \"s-east\"\n"
        let (config, state) = Self.writeConfiguration(f, name: "retry", sources: sources, health: "retry_initial_seconds = 0.1\nretry_max_seconds = 0.4")
        let directory = String(config.dropLast("/gateway.toml".count))
        let daemon = try #require(BackgroundProcess(arguments: [mallgateBinary, "run", "--config", config], environment: [:], directory: directory))
        let retried = waitFor(seconds: 30) {
            (DaemonStatus.read(from: state)?.sensors.first { $0.name == "s-east" }?.restarts ?? 0) >= 3
        }
        #expect(retried, "status: \(String(describing: DaemonStatus.read(from: state)))")
        #expect(kill(daemon.pid, 0) == 0)
        kill(daemon.pid, SIGTERM)
        #expect(daemon.waitForExit(seconds: 30) == 0)
        let events = Self.lines(state + "/events.jsonl")
        #expect(events.filter { $0.contains("\"kind\":\"source_failed\"") && $0.contains("\"sensor\":\"s-east\"") }.count >= 3)
        #expect((readText(directory + "/stderr") ?? "").contains("Cannot open a capture source; retrying."))
    }

    /// Probe requests in the captures, counted by tshark when it is installed, else as the simulator says it wrote them.
    static func probeRequestCount(_ f: Fixture) -> UInt64? {
        let tshark = shell("command -v tshark >/dev/null && for p in \(sh(f.captures))/*.pcap; do tshark -r \"$p\" -Y 'wlan.fc.type_subtype == 0x0004' -T fields -e frame.number; done | wc -l")
        if tshark.status == 0, let n = UInt64(tshark.output.trimmingCharacters(in: " \n")), n > 0 { return n }
        let script = "import json,sys; d=json.load(open(sys.argv[1])); print(sum(s.get('probe_requests', s.get('probeRequests', 0)) for s in d['sensors']))"
        let summary = shell("python3 -c \(sh(script)) \(sh(f.captures + "/summary.json"))")
        return UInt64(summary.output.trimmingCharacters(in: " \n"))
    }
}

/// Polls `condition` every 100 ms for up to `seconds`.
func waitFor(seconds: Double, _ condition: () -> Bool) -> Bool {
    let deadline = Double(time(nil)) + seconds
    while Double(time(nil)) < deadline {
        if condition() { return true }
        usleep(100_000)
    }
    return condition()
}

/// A child process started with posix_spawn: an empty signal mask and default signal actions
/// (a test runs on a worker thread that blocks signals, and a child would inherit that mask),
/// stdout and stderr to files in `directory`, reaped with waitpid.
struct BackgroundProcess {
    let pid: Int32
    let directory: String

    init?(arguments: [String], environment: [String: String], directory: String) {
        self.directory = directory
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, directory + "/stdout", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, directory + "/stderr", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var env = ProcessEnvironment.current
        for (k, v) in environment { env[k] = v }
        let argv = arguments.map { strdup($0) } + [nil]
        let envp = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for p in argv + envp { free(p) } }
        var child: pid_t = 0
        guard posix_spawn(&child, arguments[0], &actions, &attributes, argv, envp) == 0 else { return nil }
        pid = child
    }

    /// The exit status, or nil if the process is still running after `seconds` (then it is killed).
    func waitForExit(seconds: Double, meanwhile: () -> Void = {}) -> Int32? {
        var status: Int32 = 0
        var reaped = false
        _ = waitFor(seconds: seconds) {
            meanwhile()
            reaped = waitpid(pid, &status, WNOHANG) == pid
            return reaped
        }
        guard reaped else {
            kill(pid, SIGKILL)
            _ = waitpid(pid, &status, 0)
            return nil
        }
        // A normal exit: the status is in bits 8–15, and the low 7 bits (the signal) are zero.
        return status & 0x7F == 0 ? (status >> 8) & 0xFF : -(status & 0x7F)
    }
}

extension String {
    func trimmingCharacters(in set: String) -> String {
        var s = Substring(self)
        while let c = s.first, set.contains(c) { s = s.dropFirst() }
        while let c = s.last, set.contains(c) { s = s.dropLast() }
        return String(s)
    }

    func replacingOccurrences(of target: String, with replacement: String) -> String {
        var result = ""
        var rest = Substring(self)
        while let range = rest.firstRange(of: target) {
            result += rest[..<range.lowerBound] + replacement
            rest = rest[range.upperBound...]
        }
        return result + rest
    }
}
