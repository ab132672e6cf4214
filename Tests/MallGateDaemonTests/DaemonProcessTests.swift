import Glibc
import MallGateDaemon
import MallGateDecode
import MallGateIdentify
import MallGateState
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

    static let fixture = SharedFixture<Fixture?> {
        let directory = makeTemporaryDirectory("fixture")
        let venue = packageRoot + "/firmware-configs/venues/small-arcade.json"
        let captures = directory + "/sim"
        let model = directory + "/arcade.mgm"
        let simulate = shell("\(sh(mallgateBinary)) simulate --venue \(sh(venue)) --out \(sh(captures)) --duration 6m --visitors 25 --staff 2 --seed 11 2>&1")
        guard simulate.status == 0 else { print(simulate.output); return nil }
        let train = shell("\(sh(mallgateBinary)) train --venue \(sh(venue)) --captures \(sh(captures)) --labels \(sh(captures + "/labels.csv")) --no-from-layout --models knn --folds 0 --output \(sh(model)) --quiet 2>&1")
        guard train.status == 0 else { print(train.output); return nil }
        // Every MAC the phones used, from the simulator's truth (a header naming a mac column).
        let rows = (readText(captures + "/truth-macs.csv") ?? "").split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false) }
        guard let column = rows.first?.firstIndex(of: "mac") else { return nil }
        let macs = rows.dropFirst().compactMap { $0.count > column ? String($0[column]) : nil }
        guard macs.allSatisfy({ $0.count == 17 }), !macs.isEmpty else { return nil }
        return Fixture(directory: directory, captures: captures, venue: venue, model: model, macs: macs)
    }

    /// A configuration for the fixture with `sources` (and any tables after them) and a unique state directory.
    static func writeConfiguration(
        _ f: Fixture, name: String, sources: String, metricsPort: Int? = nil, health: String = "", statusInterval: Double = 0.5
    ) -> (config: String, state: String) {
        let directory = makeTemporaryDirectory(name)
        let state = directory + "/state"
        let metrics = metricsPort.map { "[metrics]\nlisten = \"127.0.0.1:\($0)\"\n" } ?? "[metrics]\nenabled = false\n"
        let text = """
            venue = "\(f.venue)"
            model = "\(f.model)"
            state_directory = "\(state)"
            \(sources)
            [health]
            status_interval_seconds = \(statusInterval)
            \(health)
            \(metrics)
            """
        _ = writeText(directory + "/gateway.toml", text)
        return (directory + "/gateway.toml", state)
    }

    static let replaySources = "[[sources]]\nkind = \"directory\"\npath = \"/nonexistent\"\n"

    /// Whether the sqlite3 command-line shell is installed: the tests read the buffer with it, not with MallGateStore.
    static let hasSQLite = shell("command -v sqlite3 >/dev/null").status == 0

    /// The rows `query` returns from the database at `path`, one line each (columns separated by `|`).
    static func sql(_ path: String, _ query: String) -> [String] {
        shell("sqlite3 -batch \(sh(path)) \(sh(query)) 2>&1").output.split(separator: "\n").map(String.init)
    }

    /// A single integer `query` returns, or nil.
    static func integer(_ path: String, _ query: String) -> Int? {
        sql(path, query).first.flatMap { Int($0) }
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

    /// The MAC as a 48-bit number, most significant byte first (the order of its bytes on the air).
    static func rawValue(_ mac: String) -> UInt64 {
        UInt64(mac.filter { $0.isHexDigit }, radix: 16) ?? 0
    }

    /// The source MACs found in `files`, in any spelling (grep -F over the bytes) or as the raw
    /// 6 bytes (a rolling 48-bit window over the file); empty when none leaked.
    static func leakedMACs(_ macs: [String], in files: [String]) -> [String] {
        let patterns = makeTemporaryDirectory("patterns") + "/macs.txt"
        _ = writeText(patterns, macs.flatMap(spellings).joined(separator: "\n") + "\n")
        var found: [String] = []
        let raw = Set(macs.map(rawValue))
        for file in files {
            guard let bytes = readFile(file) else { continue }
            let grep = shell("grep -a -o -F -f \(sh(patterns)) \(sh(file)) | sort -u")
            found += grep.output.split(separator: "\n").map { "\(file): \($0)" }
            var window: UInt64 = 0
            for (i, b) in bytes.enumerated() {
                window = ((window << 8) | UInt64(b)) & 0xFFFF_FFFF_FFFF
                if i >= 5 && raw.contains(window) { found.append("\(file): raw bytes at offset \(i - 5)") }
            }
        }
        return found
    }

    /// The buffer database and the files SQLite keeps next to it.
    static func databaseFiles(_ state: String) -> [String] {
        ["buffer.sqlite", "buffer.sqlite-wal", "buffer.sqlite-shm"].map { state + "/" + $0 }
    }

    @Test(.enabled(if: hasSQLite, "the sqlite3 shell is not installed (apt install sqlite3)"))
    func replayTurnsCapturesIntoPositionsVisitsAndCountsWithNoMACAnywhere() async throws {
        let f = try #require(await Self.fixture.value, "the simulate/train fixture failed")
        let (config, state) = Self.writeConfiguration(f, name: "replay", sources: Self.replaySources)
        let directory = String(config.dropLast("/gateway.toml".count))
        // Debug logging: the most log lines a replay can produce, all searched for MACs below.
        let run = await shellOffPool("\(sh(mallgateBinary)) replay --config \(sh(config)) \(sh(f.captures)) --quiet --log-level debug >\(sh(directory + "/stdout")) 2>\(sh(directory + "/stderr"))")
        let output = readText(directory + "/stdout") ?? ""
        #expect(run.status == 0, "\(output)\(readText(directory + "/stderr") ?? "")")
        #expect(output.contains("replayed "), "\(output)")

        let leaks = Self.leakedMACs(f.macs, in: Self.databaseFiles(state) + [state + "/status.json", directory + "/stdout", directory + "/stderr"])
        #expect(leaks.isEmpty, "\(leaks.prefix(10))")

        let db = state + "/buffer.sqlite"
        #expect(Self.sql(db, "PRAGMA integrity_check") == ["ok"])
        let positions = try #require(Self.integer(db, "SELECT count(*) FROM positions"))
        let visits = try #require(Self.integer(db, "SELECT count(*) FROM visits WHERE passer_by = 0"))
        let passes = try #require(Self.integer(db, "SELECT count(*) FROM visits WHERE passer_by = 1"))
        #expect(positions > 100)
        #expect(output.contains("positions \(positions), visits \(visits), passers-by \(passes)"), "\(output)")
        // Positions name zones of the venue, and their placement agrees with the zone's kind.
        let venueText = readText(f.venue) ?? ""
        for zone in Self.sql(db, "SELECT DISTINCT zone_name FROM positions") {
            #expect(venueText.contains("\"\(zone)\""), "\(zone)")
        }
        #expect(Self.integer(db, "SELECT count(DISTINCT placement) FROM positions") == 3)
        // Visitors of the simulation visit stores: the truth has visits, so the pipeline finds some.
        let truthVisits = Self.lines(f.captures + "/truth-visits.csv").count - 1
        #expect(truthVisits > 0)
        #expect(visits > 0, "truth has \(truthVisits) visits")
        #expect(Self.integer(db, "SELECT count(*) FROM visits WHERE exit_ns < enter_ns") == 0)
        // Per-store interval counts add up to the visit rows: every visit started in a closed interval.
        #expect(Self.integer(db, "SELECT sum(footfall) FROM store_counts") == visits)
        #expect(Self.integer(db, "SELECT sum(passers_by) FROM store_counts") == passes)
        #expect(Self.integer(db, "SELECT sum(dwell_under_1m + dwell_1m_5m + dwell_5m_15m + dwell_15m_30m + dwell_30m_60m + dwell_60m_plus) FROM store_counts") == visits)
        // The summary's lines per store are the database's numbers.
        for row in Self.sql(db, "SELECT store_name, count(*), count(DISTINCT device_id) FROM visits WHERE passer_by = 0 GROUP BY store_name") {
            let parts = row.split(separator: "|")
            let line = output.split(separator: "\n").first { $0.hasPrefix(parts[0] + " ") }
            let numbers = line?.split(separator: " ").dropFirst().prefix(2).map(String.init)
            #expect(numbers == [String(parts[1]), String(parts[2])], "\(row) vs \(String(describing: line))")
        }
        // Sensor health rows and the start/stop events are in the store.
        #expect(Self.integer(db, "SELECT count(*) FROM sensors WHERE frames > 0") == 3)
        #expect(Self.sql(db, "SELECT kind FROM events ORDER BY id") == ["started", "stopped"])
    }

    @Test(.enabled(if: hasSQLite, "the sqlite3 shell is not installed (apt install sqlite3)"))
    func runNotifiesSystemdRefusesABadReloadAndFlushesOnSIGTERM() async throws {
        let f = try #require(await Self.fixture.value, "the simulate/train fixture failed")
        let port = Int.random(in: 20000...60000)
        let sources = "[[sources]]\nkind = \"directory\"\npath = \"\(f.captures)\"\n"
        let (config, state) = Self.writeConfiguration(f, name: "run", sources: sources, metricsPort: port)
        let directory = String(config.dropLast("/gateway.toml".count))
        let db = state + "/buffer.sqlite"
        let receiver = try #require(DatagramReceiver(path: directory + "/notify.sock"))
        let daemon = try #require(BackgroundProcess(
            arguments: [mallgateBinary, "run", "--config", config],
            environment: ["NOTIFY_SOCKET": directory + "/notify.sock", "WATCHDOG_USEC": "1000000"], directory: directory))

        // systemd reads its socket as messages come; so does the test, or the queue fills (and the daemon drops messages).
        var messages: [String] = []
        // The directory source ends; the daemon stays up. Wait until everything is processed.
        let expectedProbes = try #require(Self.probeRequestCount(f))
        let processed = await waitFor(seconds: 120) {
            messages += receiver.receiveAll()
            guard let s = DaemonStatus.read(from: state) else { return false }
            return s.sourcesRunning == 0 && s.probeRequests > 0 && s.updated > s.started + 1
        }
        #expect(processed, "status: \(String(describing: DaemonStatus.read(from: state)))")
        #expect(DaemonStatus.read(from: state)?.probeRequests == expectedProbes)
        let before = try #require(Self.integer(db, "SELECT count(*) FROM positions"))
        // The status file reports the buffer's size on disk and the rows waiting for upload.
        let sinkStatus = DaemonStatus.read(from: state)?.sink
        #expect((sinkStatus?.databaseBytes ?? 0) > 0)
        #expect(sinkStatus?.outboxBacklogRows.map { $0 >= Int64(before) } == true, "\(String(describing: sinkStatus))")

        // Metrics answer on the configured port, with per-sensor counters, the buffer's size, and no MAC.
        let page = try #require(MetricsProbe.fetch(host: "127.0.0.1", port: port))
        #expect(MetricsProbe.total("mallgate_probe_requests_total", in: page) == Double(expectedProbes))
        #expect(page.contains("mallgate_frames_total{sensor=\""))
        #expect((MetricsProbe.total("mallgate_database_bytes", in: page) ?? 0) > 0, "\(page)")
        #expect(MetricsProbe.total("mallgate_outbox_backlog_rows", in: page) != nil, "\(page)")
        _ = writeText(directory + "/metrics.txt", page)
        #expect(Self.leakedMACs(f.macs, in: [directory + "/metrics.txt"]).isEmpty)

        // A bad reload: the model vanishes from the configuration. The daemon keeps running and says why.
        _ = writeText(config, (readText(config) ?? "").replacingOccurrences(of: f.model, with: directory + "/absent.mgm"))
        kill(daemon.pid, SIGHUP)
        let refused = await waitFor(seconds: 30) {
            messages += receiver.receiveAll()
            return DaemonStatus.read(from: state)?.lastReloadError != nil
        }
        #expect(refused)
        #expect(DaemonStatus.read(from: state)?.lastReloadError?.contains("absent.mgm") == true)
        #expect(kill(daemon.pid, 0) == 0, "the daemon died on a bad reload")

        // `mallgate status` reads the state directory and the endpoint.
        let status = await shellOffPool("\(sh(mallgateBinary)) status --state-directory \(sh(state))")
        #expect(status.status == 0)
        #expect(status.output.contains("mallgate run: running (pid \(daemon.pid)"), "\(status.output)")
        #expect(status.output.contains("(answering)"), "\(status.output)")
        #expect(status.output.contains("last reload refused: "), "\(status.output)")
        #expect(status.output.contains("rows waiting for upload"), "\(status.output)")
        #expect(status.output.contains("database: ") && status.output.contains(" MiB"), "\(status.output)")

        // SIGTERM: pending windows and open visits are flushed, then the process exits 0.
        kill(daemon.pid, SIGTERM)
        let exit = await daemon.waitForExit(seconds: 60) { messages += receiver.receiveAll() }
        #expect(exit == 0, "stderr: \(readText(directory + "/stderr") ?? "")")
        let after = try #require(Self.integer(db, "SELECT count(*) FROM positions"))
        #expect(after > before, "no window was flushed at shutdown (\(before) → \(after))")
        #expect(DaemonStatus.read(from: state)?.positions == UInt64(after))
        #expect(Self.sql(db, "SELECT kind FROM events ORDER BY id DESC LIMIT 1") == ["stopped"])
        #expect(Self.integer(db, "SELECT count(*) FROM events WHERE kind = 'reload-failed' AND message LIKE '%absent.mgm%'") == 1)

        messages += receiver.receiveAll()
        #expect(messages.first?.hasPrefix("READY=1") == true, "\(messages)")
        #expect(messages.contains("WATCHDOG=1"), "\(messages)")
        #expect(messages.contains { $0.hasPrefix("STATUS=") && $0.contains("frames/s") }, "\(messages)")
        #expect(messages.contains("RELOADING=1"), "\(messages)")
        #expect(messages.last == "STOPPING=1" || messages.contains("STOPPING=1"), "\(messages)")
        // The log names no MAC either; nor does the database after a run.
        let log = readText(directory + "/stderr") ?? ""
        #expect(log.contains("Reload refused"), "\(log)")
        let leaks = Self.leakedMACs(f.macs, in: Self.databaseFiles(state) + [state + "/status.json", directory + "/stderr"])
        #expect(leaks.isEmpty, "\(leaks.prefix(10))")
    }

    @Test(.enabled(if: hasSQLite, "the sqlite3 shell is not installed (apt install sqlite3)"))
    func aFailingLiveSourceIsRetriedWithBackoffAndShutdownStillWorks() async throws {
        let f = try #require(await Self.fixture.value, "the simulate/train fixture failed")
        let sources = "[[sources]]\nkind = \"stream\"\npath = \"/nonexistent/fifo\"\nsensor = \"s-east\"\n"
        let (config, state) = Self.writeConfiguration(f, name: "retry", sources: sources, health: "retry_initial_seconds = 0.1\nretry_max_seconds = 0.4")
        let directory = String(config.dropLast("/gateway.toml".count))
        let daemon = try #require(BackgroundProcess(arguments: [mallgateBinary, "run", "--config", config], environment: [:], directory: directory))
        let retried = await waitFor(seconds: 30) {
            (DaemonStatus.read(from: state)?.sensors.first { $0.name == "s-east" }?.restarts ?? 0) >= 3
        }
        #expect(retried, "status: \(String(describing: DaemonStatus.read(from: state)))")
        #expect(kill(daemon.pid, 0) == 0)
        kill(daemon.pid, SIGTERM)
        #expect(await daemon.waitForExit(seconds: 30) == 0)
        let failures = Self.integer(state + "/buffer.sqlite", "SELECT count(*) FROM events WHERE kind = 'source-failed' AND message LIKE 'sensor s-east:%' AND level = 'error'") ?? 0
        #expect(failures >= 3)
        #expect(Self.sql(state + "/buffer.sqlite", "SELECT status FROM sensors WHERE sensor_id = 's-east'") == ["retrying"])
        #expect((readText(directory + "/stderr") ?? "").contains("Cannot open a capture source; retrying."))
    }

    /// More quiet stream sources than a two-core machine has pool threads (opening a FIFO blocks
    /// until a writer comes): the daemon still writes its status every interval, captures from the one FIFO that
    /// gets a writer, and stops on SIGTERM. Opened on the cooperative pool, the first two quiet
    /// sources held both threads of a two-core board: no status, no metrics, SIGTERM ignored.
    @Test(.enabled(if: hasSQLite, "the sqlite3 shell is not installed (apt install sqlite3)"))
    func quietStreamSourcesDoNotHoldTheDaemon() async throws {
        let f = try #require(await Self.fixture.value, "the simulate/train fixture failed")
        let captures = shell("ls \(sh(f.captures))/*.pcap").output.split(separator: "\n").map(String.init)
        try #require(!captures.isEmpty)
        let directory = makeTemporaryDirectory("quiet-fifos")
        // One FIFO per sensor of the arcade (three): more than the two threads of the cooperative
        // pool on a two-core machine like CI's (on a bigger one this test cannot see the fault).
        let count = captures.count
        var sources = ""
        var fifos: [(path: String, capture: String)] = []
        for i in 0..<count {
            let capture = captures[i % captures.count]
            let sensor = String(capture.split(separator: "/").last!.dropLast(".pcap".count))
            let fifo = directory + "/fifo-\(i)"
            try #require(mkfifo(fifo, 0o600) == 0, "mkfifo \(fifo)")
            fifos.append((fifo, capture))
            sources += "[[sources]]\nkind = \"stream\"\npath = \"\(fifo)\"\nsensor = \"\(sensor)\"\n"
        }
        let (config, state) = Self.writeConfiguration(f, name: "quiet-fifos", sources: sources, statusInterval: 0.2)
        let daemonDirectory = String(config.dropLast("/gateway.toml".count))
        let daemon = try #require(BackgroundProcess(arguments: [mallgateBinary, "run", "--config", config], environment: [:], directory: daemonDirectory))
        defer { kill(daemon.pid, SIGKILL) }
        // The status keeps being rewritten while every source waits for its writer.
        var first: Double?
        let ticking = await waitFor(seconds: 30) {
            guard let updated = DaemonStatus.read(from: state)?.updated else { return false }
            if first == nil { first = updated }
            return updated >= first! + 1
        }
        #expect(ticking, "status.json was not rewritten with \(count) quiet stream sources: \(String(describing: DaemonStatus.read(from: state)))\n\(readText(daemonDirectory + "/stderr") ?? "")")
        // The first FIFO gets a writer: its frames go through while the others still wait.
        let feeder = try #require(BackgroundProcess(arguments: ["/bin/sh", "-c", "cat \(sh(fifos[0].capture)) > \(sh(fifos[0].path))"], environment: [:], directory: directory))
        let captured = await waitFor(seconds: 30) { (DaemonStatus.read(from: state)?.probeRequests ?? 0) > 0 }
        #expect(captured, "nothing captured from the fed FIFO: \(String(describing: DaemonStatus.read(from: state)))")
        _ = await feeder.waitForExit(seconds: 10)
        kill(daemon.pid, SIGTERM)
        #expect(await daemon.waitForExit(seconds: 30) == 0, "mallgate run did not stop on SIGTERM with quiet sources: \(readText(daemonDirectory + "/stderr")?.suffix(2000) ?? "")")
    }

    /// SIGKILL at random moments while `mallgate replay` writes, restarting over the same state
    /// directory each time: the database always opens, passes `integrity_check`, and keeps every
    /// row the killed process had reported committed.
    @Test(.enabled(if: hasSQLite, "the sqlite3 shell is not installed (apt install sqlite3)"))
    func killingReplayAtRandomMomentsLosesNothingCommitted() async throws {
        let f = try #require(await Self.fixture.value, "the simulate/train fixture failed")
        let (config, state) = Self.writeConfiguration(f, name: "crash", sources: Self.replaySources, statusInterval: 0.1)
        let directory = String(config.dropLast("/gateway.toml".count))
        let db = state + "/buffer.sqlite"
        var previous = 0
        var killedWhileWriting = 0
        var generator = SystemRandomNumberGenerator()
        for round in 1...50 {
            // Paced at 500× the recorded speed: the 6-minute capture takes about 0.7 s, so kills land mid-run.
            let process = try #require(BackgroundProcess(
                arguments: [mallgateBinary, "replay", "--config", config, f.captures, "--quiet", "--speed", "500"], environment: [:], directory: directory))
            // Kill at a random moment after the process is up (its first status file), not after
            // a fixed delay from spawning: on a loaded machine start-up alone can take that long.
            _ = await waitFor(seconds: 30) { DaemonStatus.read(from: state)?.pid == process.pid }
            try await Task.sleep(for: .microseconds(Int.random(in: 0...400_000, using: &generator)))
            kill(process.pid, SIGKILL)
            let exit = await process.waitForExit(seconds: 30)
            // What the killed process last reported committed (its own status file, not an earlier run's).
            let status = DaemonStatus.read(from: state)
            let reported = status?.pid == process.pid ? Int(status?.sink.rowsCommitted ?? 0) : 0
            #expect(Self.sql(db, "PRAGMA integrity_check") == ["ok"], "round \(round)")
            let rows = try #require(Self.integer(db, "SELECT count(*) FROM positions"), "round \(round): the database does not open")
            #expect(rows >= previous, "round \(round): rows went from \(previous) to \(rows)")
            #expect(rows >= previous + reported, "round \(round): \(reported) positions reported committed, \(rows - previous) found")
            if exit == -SIGKILL && reported > 0 { killedWhileWriting += 1 }
            previous = rows
        }
        // Some kills must have hit a process in the middle of writing, or the test proved nothing.
        #expect(killedWhileWriting >= 5, "only \(killedWhileWriting) kills landed while rows were being written")
        // No corrupt database was ever moved aside, and no MAC is in what the kills left behind.
        #expect(!shell("ls \(sh(state))").output.contains("corrupt"))
        #expect(Self.leakedMACs(f.macs, in: Self.databaseFiles(state)).isEmpty)
    }

    @Test(.enabled(if: hasSQLite, "the sqlite3 shell is not installed (apt install sqlite3)"))
    func theIdentityKeyIsCreatedPrivateAndKeepsDeviceIDsAcrossRestarts() async throws {
        let f = try #require(await Self.fixture.value, "the simulate/train fixture failed")
        let sources = Self.replaySources + "[privacy]\nrotation = \"never\"\npseudo_devices = false\n"
        let (config, state) = Self.writeConfiguration(f, name: "key", sources: sources)
        let db = state + "/buffer.sqlite"
        let replay = "\(sh(mallgateBinary)) replay --config \(sh(config)) \(sh(f.captures)) --quiet 2>&1"
        let first = await shellOffPool(replay)
        #expect(first.status == 0, "\(first.output)")
        // stat(1), not stat(2): since MallGateDaemon links the sync stage (NIO), `struct stat` in
        // this target resolves to CNIOLinux's import of it and MemberImportVisibility refuses its fields.
        #expect(shell("stat -c %a \(sh(state + "/identity.key"))").output == "600\n")
        let key = readFile(state + "/identity.key")
        let mark = try #require(Self.integer(db, "SELECT max(id) FROM positions"))
        let firstIDs = Set(Self.sql(db, "SELECT DISTINCT device_id FROM positions WHERE id <= \(mark)"))

        let second = await shellOffPool(replay)
        #expect(second.status == 0, "\(second.output)")
        #expect(readFile(state + "/identity.key") == key)
        let secondIDs = Set(Self.sql(db, "SELECT DISTINCT device_id FROM positions WHERE id > \(mark)"))
        #expect(!firstIDs.isEmpty)
        #expect(secondIDs == firstIDs)

        // Another state directory, another key: the same phones get other ids.
        let (otherConfig, otherState) = Self.writeConfiguration(f, name: "key2", sources: sources)
        #expect(await shellOffPool("\(sh(mallgateBinary)) replay --config \(sh(otherConfig)) \(sh(f.captures)) --quiet 2>&1").status == 0)
        #expect(readFile(otherState + "/identity.key") != key)
        let otherIDs = Set(Self.sql(otherState + "/buffer.sqlite", "SELECT DISTINCT device_id FROM positions"))
        #expect(otherIDs.count == firstIDs.count)
        #expect(otherIDs.isDisjoint(with: firstIDs))
    }

    @Test(.enabled(if: hasSQLite, "the sqlite3 shell is not installed (apt install sqlite3)"))
    func anOptedOutDeviceLeavesNoPosition() async throws {
        let f = try #require(await Self.fixture.value, "the simulate/train fixture failed")
        let sources = Self.replaySources + "[privacy]\npseudo_devices = false\n"
        let (config, state) = Self.writeConfiguration(f, name: "optout", sources: sources)
        let directory = String(config.dropLast("/gateway.toml".count))
        let db = state + "/buffer.sqlite"
        let control = await shellOffPool("\(sh(mallgateBinary)) replay --config \(sh(config)) \(sh(f.captures)) --quiet 2>&1")
        #expect(control.status == 0, "\(control.output)")
        // The phone with the most positions in the control run, found by hashing the truth's MACs with the state's key.
        let key = try IdentityKeyFile.load(path: state + "/identity.key")
        var identifier = DeviceIdentifier(key: key)
        let counts = Dictionary(uniqueKeysWithValues: Self.sql(db, "SELECT device_id, count(*) FROM positions GROUP BY device_id").compactMap { row -> (UInt64, Int)? in
            let parts = row.split(separator: "|")
            guard parts.count == 2, let id = Int64(parts[0]), let n = Int(parts[1]) else { return nil }
            return (UInt64(bitPattern: id), n)
        })
        let candidates = f.macs.compactMap { text -> (MACAddress, UInt64, Int)? in
            guard let mac = MACAddress(string: text), let id = identifier.deviceID(mac, unixNanoseconds: 0), let n = counts[id] else { return nil }
            return (mac, id, n)
        }
        let (mac, id, n) = try #require(candidates.max { $0.2 < $1.2 })
        #expect(n > 0)

        var list = OptOutList(key: key)
        _ = list.add(mac)
        try OptOutFile.save(list, path: directory + "/opt-out.txt")
        _ = writeText(config, (readText(config) ?? "").replacingOccurrences(of: "pseudo_devices = false", with: "pseudo_devices = false\nopt_out_file = \"\(directory)/opt-out.txt\""))
        let mark = try #require(Self.integer(db, "SELECT max(id) FROM positions"))
        let visitMark = Self.integer(db, "SELECT coalesce(max(id), 0) FROM visits") ?? 0
        let run = await shellOffPool("\(sh(mallgateBinary)) replay --config \(sh(config)) \(sh(f.captures)) --quiet 2>&1")
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.contains("opted out: "), "\(run.output)")
        #expect(Self.integer(db, "SELECT count(*) FROM positions WHERE id > \(mark) AND device_id = \(Int64(bitPattern: id))") == 0)
        #expect(Self.integer(db, "SELECT count(*) FROM visits WHERE id > \(visitMark) AND device_id = \(Int64(bitPattern: id))") == 0)
        // Everyone else is still there.
        #expect(Self.integer(db, "SELECT count(*) FROM positions WHERE id > \(mark)") == mark - n)
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

/// Polls `condition` every 100 ms for up to `seconds`, suspended in between (see `eventually`).
func waitFor(seconds: Double, _ condition: () -> Bool) async -> Bool {
    await eventually(seconds: seconds, condition)
}

/// A child process (see `spawnChild`), stdout and stderr to files in `directory`, reaped with waitpid.
struct BackgroundProcess {
    let pid: Int32
    let directory: String

    init?(arguments: [String], environment: [String: String], directory: String) {
        self.directory = directory
        guard let child = spawnChild(arguments: arguments, environment: environment, stdout: directory + "/stdout", stderr: directory + "/stderr") else {
            return nil
        }
        pid = child
    }

    /// The exit status, or nil if the process is still running after `seconds` (then it is killed).
    func waitForExit(seconds: Double, meanwhile: () -> Void = {}) async -> Int32? {
        var status: Int32 = 0
        let reaped = await waitFor(seconds: seconds) {
            meanwhile()
            return waitpid(pid, &status, WNOHANG) == pid
        }
        return exitCode(reaped: reaped, status: status)
    }

    /// `waitForExit` for `defer` blocks, which cannot suspend: blocks the calling thread.
    func waitForExitBlocking(seconds: Double) -> Int32? {
        var status: Int32 = 0
        let deadline = Double(time(nil)) + seconds
        var reaped = waitpid(pid, &status, WNOHANG) == pid
        while !reaped && Double(time(nil)) < deadline {
            usleep(50_000)
            reaped = waitpid(pid, &status, WNOHANG) == pid
        }
        return exitCode(reaped: reaped, status: status)
    }

    /// Kills and reaps the process unless it was reaped; decodes the wait status.
    private func exitCode(reaped: Bool, status: Int32) -> Int32? {
        var status = status
        guard reaped else {
            kill(pid, SIGKILL)
            _ = waitpid(pid, &status, 0)
            return nil
        }
        return MallGateTestSupport.exitCode(waitStatus: status)
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
