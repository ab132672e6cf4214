import Glibc
import MallGateDaemon
import MallGateSync
import MallGateTestSupport
import Testing

/// `mallgate doctor` against induced faults: each is reported as FAIL (or warn) with its fix, and a
/// healthy gateway passes. Faults come from the injectable environment (a fake sysfs and /proc in a
/// temporary directory, a faked clock, a faked disk), so no root or radio is needed. Expected
/// statuses and fixes follow issue 7 and the brief (sysfs link types, capability bits 12/13), not a run.
struct DoctorTests {
    /// A gateway directory: configuration, state directory, fake sysfs and /proc status.
    struct Setup {
        let directory: String
        let config: String
        let state: String
        var environment: DoctorEnvironment
    }

    static let radioSource = """
        [[sources]]
        kind = "interface"
        interface = "wlan1"
        sensor = "s-west"
        channels = [6]
        monitor_mode = false
        """

    /// A healthy setup: the arcade fixture's venue and model, a radio `wlan1` in monitor mode,
    /// CAP_NET_RAW and CAP_NET_ADMIN, a synchronised clock and 10 GiB free.
    static func setup(_ name: String, sources: String = radioSource, venue: String? = nil, extra: String = "") async throws -> Setup {
        let f = try #require(await DaemonProcessTests.fixture.value, "the simulate/train fixture failed")
        let directory = makeTemporaryDirectory("doctor-\(name)")
        let state = directory + "/state"
        #expect(mkdir(state, 0o755) == 0)
        #expect(mkdir(directory + "/net", 0o755) == 0 && mkdir(directory + "/net/wlan1", 0o755) == 0)
        #expect(writeText(directory + "/net/wlan1/type", "803\n"))
        // Bits 12 (CAP_NET_ADMIN) and 13 (CAP_NET_RAW): 0x3000.
        #expect(writeText(directory + "/status", "Name:\tmallgate\nCapInh:\t0000000000000000\nCapEff:\t0000000000003000\nCapBnd:\t000001ffffffffff\n"))
        let config = directory + "/gateway.toml"
        #expect(writeText(config, """
            venue = "\(venue ?? f.venue)"
            model = "\(f.model)"
            state_directory = "\(state)"
            \(sources)
            \(extra)
            """))
        var environment = DoctorEnvironment()
        environment.netClassDirectory = directory + "/net"
        environment.processStatusFile = directory + "/status"
        environment.clockSync = { .synchronised }
        environment.freeBytes = { _ in 10 << 30 }
        environment.tcpConnect = { _, _, _ in "not expected in this test" }
        environment.processEnvironment = ["MALLGATE_TOKEN": "secret"]
        environment.radioInfo = { name in name == "wlan1" ? Self.iwInfo(channel: 6, frequency: 2437) : nil }
        environment.regulatoryDomain = { Self.iwRegulatory(country: "DE") }
        return Setup(directory: directory, config: config, state: state, environment: environment)
    }

    static func run(_ s: Setup) -> DoctorReport { Doctor.run(configurationPath: s.config, environment: s.environment) }

    /// A localhost TCP port that nothing listens on (bound, then closed).
    static func closedPort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        close(fd)
        return Int(UInt16(bigEndian: address.sin_port))
    }

    @Test func aHealthySetupPasses() async throws {
        let report = Self.run(try await Self.setup("healthy"))
        #expect(!report.failed, "\(report.text)")
        #expect(report.checks.allSatisfy { $0.status == .ok }, "\(report.text)")
        #expect(report.checks.map(\.id) == ["config", "model", "interface.wlan1", "channel.wlan1", "regulatory-domain", "capabilities", "clock", "disk", "database", "kernel-drops"])
    }

    @Test func aMissingInterfaceFails() async throws {
        var s = try await Self.setup("missing-interface")
        s.environment.netClassDirectory = s.directory + "/no-such-net"
        let check = try #require(Self.run(s)["interface.wlan1"])
        #expect(check.status == .fail)
        #expect(check.message.contains("does not exist"))
        #expect(check.fix.contains("ip link"))
        #expect(Self.run(s).failed)
    }

    @Test func anInterfaceNotInMonitorModeFailsUnlessTheDaemonSwitchesIt() async throws {
        let s = try await Self.setup("managed")
        #expect(writeText(s.directory + "/net/wlan1/type", "1\n"))  // ARPHRD_ETHER: a managed-mode Wi-Fi interface
        let report = Self.run(s)
        let check = try #require(report["interface.wlan1"])
        #expect(check.status == .fail && report.failed)
        #expect(check.fix.contains("iw dev wlan1 set type monitor") && check.fix.contains("mallgate-radio@wlan1"))

        let hopping = try await Self.setup("managed-rfmon", sources: Self.radioSource.replacingOccurrences(of: "monitor_mode = false", with: "monitor_mode = true"))
        #expect(writeText(hopping.directory + "/net/wlan1/type", "1\n"))
        let warned = try #require(Self.run(hopping)["interface.wlan1"])
        #expect(warned.status == .warn && warned.fix.contains("iw dev wlan1 set type monitor"))
        #expect(!Self.run(hopping).failed)
    }

    @Test(arguments: ["801", "802", "803"])
    func prismAVSAndRadiotapCountAsMonitorMode(type: String) async throws {
        let s = try await Self.setup("type-\(type)")
        #expect(writeText(s.directory + "/net/wlan1/type", type + "\n"))
        #expect(Self.run(s)["interface.wlan1"]?.status == .ok)
    }

    @Test func noCaptureCapabilityFails() async throws {
        let s = try await Self.setup("no-caps")
        #expect(writeText(s.directory + "/status", "CapEff:\t0000000000000000\n"))
        let check = try #require(Self.run(s)["capabilities"])
        #expect(check.status == .fail)
        #expect(check.message.contains("CAP_NET_RAW") && !check.message.contains("CAP_NET_ADMIN"))
        #expect(check.fix.contains("AmbientCapabilities=CAP_NET_RAW"))
        #expect(Self.run(s).failed)
    }

    @Test func hoppingChannelsNeedsNetAdmin() async throws {
        let s = try await Self.setup("hop", sources: Self.radioSource.replacingOccurrences(of: "channels = [6]", with: "channels = [1, 6, 11]"))
        #expect(writeText(s.directory + "/status", "CapEff:\t0000000000002000\n"))  // CAP_NET_RAW only
        let check = try #require(Self.run(s)["capabilities"])
        #expect(check.status == .fail)
        #expect(check.message.contains("CAP_NET_ADMIN") && !check.message.contains("lacks CAP_NET_RAW"))
        #expect(check.fix.contains("channel-control.conf"))
    }

    @Test func fileSourcesNeedNoCapability() async throws {
        let s = try await Self.setup("files", sources: "[[sources]]\nkind = \"file\"\npath = \"w.pcap\"\nsensor = \"s-west\"")
        #expect(writeText(s.directory + "/status", "CapEff:\t0000000000000000\n"))
        let report = Self.run(s)
        #expect(report["capabilities"]?.status == .ok)
        #expect(!report.checks.contains { $0.id.hasPrefix("interface.") })
    }

    @Test func anUnsynchronisedClockFailsAndSaysPositionsAreAffected() async throws {
        var s = try await Self.setup("clock")
        s.environment.clockSync = { .unsynchronised(detail: "faked") }
        let report = Self.run(s)
        let check = try #require(report["clock"])
        #expect(check.status == .fail && report.failed)
        #expect(check.message.contains("stamped before NTP sync"))
        #expect(check.fix.contains("chrony") && check.fix.contains("timesyncd"))
    }

    @Test func lowDiskFailsUnderTheFloorAndWarnsUnderTheCap() async throws {
        var s = try await Self.setup("disk", extra: "[retention]\nmax_database_mb = 512")
        s.environment.freeBytes = { _ in 20 << 20 }
        let low = try #require(Self.run(s)["disk"])
        #expect(low.status == .fail && low.message.contains("20 MiB free"))
        #expect(!low.fix.isEmpty)
        s.environment.freeBytes = { _ in 200 << 20 }
        let underCap = try #require(Self.run(s)["disk"])
        #expect(underCap.status == .warn && underCap.fix.contains("max_database_mb"))
        #expect(!Self.run(s).failed)
    }

    @Test func aMissingStateDirectoryFails() async throws {
        let s = try await Self.setup("no-state")
        #expect(rmdir(s.state) == 0)
        let check = try #require(Self.run(s)["disk"])
        #expect(check.status == .fail && check.message.contains(s.state))
        #expect(check.fix.contains("StateDirectory="))
    }

    @Test func aModelForAnotherLayoutFails() async throws {
        let s = try await Self.setup("layout", venue: packageRoot + "/firmware-configs/venues/demo-mall.json")
        let report = Self.run(s)
        let check = try #require(report["model"])
        #expect(check.status == .fail && report.failed)
        #expect(check.message.contains("small-arcade") && check.message.contains("demo-mall"))
        #expect(check.fix.contains("mallgate train"))
    }

    @Test func anUnreachableUpstreamFails() async throws {
        var s = try await Self.setup("upstream-down", extra: "[upstream]\nurl = \"http://127.0.0.1:\(Self.closedPort())/v1\"\ntoken_env = \"MALLGATE_TOKEN\"")
        s.environment.tcpConnect = DoctorEnvironment.posixTCPConnect
        let report = Self.run(s)
        let check = try #require(report["upstream"])
        #expect(check.status == .fail && report.failed)
        #expect(check.message.contains("unreachable"))
        #expect(check.fix.contains("firewall"))
    }

    @Test func aListeningUpstreamPasses() async throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        #expect(listen(fd, 4) == 0)
        var s = try await Self.setup("upstream-up", extra: "[upstream]\nurl = \"http://127.0.0.1:\(UInt16(bigEndian: address.sin_port))/v1\"\ntoken_env = \"MALLGATE_TOKEN\"")
        s.environment.tcpConnect = DoctorEnvironment.posixTCPConnect
        // The token check itself runs against a real collector in MallGateSyncTests (DoctorUpstreamTests).
        s.environment.upstreamProbe = { upstream, _ in .accepted(gateway: upstream.gatewayID, venue: "small-arcade") }
        let check = try #require(Self.run(s)["upstream"])
        #expect(check.status == .ok && check.message.contains("token accepted"), "\(check.line)")
    }

    @Test func kernelDropsInTheLastStatusWarn() async throws {
        let s = try await Self.setup("drops")
        // The status file as the daemon writes it (snake_case keys, docs/daemon.md), written by hand.
        func sensor(_ name: String, kernel: Int) -> String {
            "{\"name\":\"\(name)\",\"frames\":100,\"probe_requests\":50,\"dropped_at_edge\":0,\"kernel_dropped\":\(kernel),\"last_heard\":1000,\"silent\":false,\"restarts\":0}"
        }
        #expect(writeText(s.state + "/status.json", """
            {"pid":1,"updated":1000,"started":900,"mode":"run","venue":"small-arcade","sensors":[\(sensor("s-west", kernel: 0)),\(sensor("s-cafe", kernel: 37))],
            "sources_running":2,"frames_per_second":1,"probe_requests_per_second":1,"positions_per_second":0,"probe_requests":50,"positions":0,
            "visits":0,"active_devices":0,"devices_per_store":{},"sink":{},"reloads":0}
            """))
        let check = try #require(Self.run(s)["kernel-drops"])
        #expect(check.status == .warn)
        #expect(check.message.contains("s-cafe 37") && !check.message.contains("s-west"))
        #expect(check.fix.contains("buffer") && check.fix.contains("channels"))
    }

    @Test func aDamagedDatabaseFails() async throws {
        var s = try await Self.setup("database")
        #expect(writeText(s.state + "/buffer.sqlite", String(repeating: "not a database ", count: 100)))
        s.environment.sqliteQuickCheck = { _ in "*** in database main ***\nPage 3: btreeInitPage() returns error code 11" }
        let check = try #require(Self.run(s)["database"])
        #expect(check.status == .fail && check.message.contains("Page 3"))
        #expect(check.fix.contains("move"))
    }

    @Test(.enabled(if: shell("command -v sqlite3").status == 0, "the sqlite3 command is not installed"))
    func theSqliteCommandChecksARealDatabase() async throws {
        let s = try await Self.setup("sqlite")
        let database = s.state + "/buffer.sqlite"
        #expect(shell("sqlite3 \(sh(database)) 'CREATE TABLE t(x); INSERT INTO t VALUES (1);'").status == 0)
        let good = try #require(Self.run(s)["database"])
        #expect(good.status == .ok && good.message.contains("quick_check ok"))
        #expect(writeText(database, String(repeating: "garbage ", count: 1000)))
        #expect(Self.run(s)["database"]?.status == .fail)
    }

    @Test func anInvalidConfigurationIsTheOnlyCheck() async throws {
        let s = try await Self.setup("bad-config", extra: "[metrics]\nlistn = \"x\"")
        let report = Self.run(s)
        #expect(report.checks.map(\.id) == ["config"] && report.failed)
        #expect(report.checks[0].message.contains("metrics.listn"))
    }

    @Test func eachLineSaysStatusWhatAndFix() async throws {
        var s = try await Self.setup("text")
        s.environment.clockSync = { .unsynchronised(detail: "faked") }
        let lines = Self.run(s).text.split(separator: "\n")
        let clock = try #require(lines.first { $0.contains("clock:") })
        #expect(clock.hasPrefix("FAIL  clock: system clock not synchronised (faked)") && clock.contains(" — fix: enable time sync"))
        #expect(lines.filter { $0.hasPrefix("ok    ") }.count == lines.count - 1)
        #expect(!lines.contains { $0.hasPrefix("ok") && $0.contains("fix:") })
    }

    /// The real statvfs probe agrees with python's os.statvfs (other processes write meanwhile: 256 MiB slack).
    @Test func theStatvfsProbeAgreesWithPython() async throws {
        let free = try #require(DoctorEnvironment.statvfsFreeBytes("/tmp"))
        let python = shell("python3 -c 'import os; s = os.statvfs(\"/tmp\"); print(s.f_bavail * s.f_frsize)'")
        let reference = try #require(UInt64(python.output.trimmingCharacters(in: " \n")))
        #expect(free > reference ? free - reference < 256 << 20 : reference - free < 256 << 20)
        #expect(DoctorEnvironment.statvfsFreeBytes("/no/such/directory") == nil)
    }

    /// The binary with `--json`: one object python's json module parses, exit 1 on the induced faults.
    @Test func theBinaryPrintsJSONForFleetTooling() async throws {
        let s = try await Self.setup(
            "binary", sources: "[[sources]]\nkind = \"file\"\npath = \"w.pcap\"\nsensor = \"s-west\"", venue: packageRoot + "/firmware-configs/venues/demo-mall.json",
            extra: "[upstream]\nurl = \"http://127.0.0.1:\(Self.closedPort())/v1\"\ntoken_env = \"MALLGATE_TOKEN\"")
        let output = s.directory + "/doctor.json"
        let run = shell("MALLGATE_TOKEN=t \(sh(mallgateBinary)) doctor --config \(sh(s.config)) --json > \(sh(output)); echo $?")
        #expect(run.output.trimmingCharacters(in: " \n") == "1")
        let script = """
            import json, sys
            d = json.load(open(sys.argv[1]))
            assert set(d) == {"checks", "failed"} and d["failed"] is True
            for c in d["checks"]:
                assert set(c) == {"id", "status", "message", "fix"} and c["status"] in ("ok", "warn", "fail")
                assert c["status"] == "ok" or c["fix"], c
            print(" ".join(c["id"] + "=" + c["status"] for c in d["checks"] if c["id"] in ("model", "upstream", "capabilities")))
            """
        #expect(writeText(s.directory + "/check.py", script))
        let parsed = shell("python3 \(sh(s.directory + "/check.py")) \(sh(output)) 2>&1")
        #expect(parsed.status == 0, "\(parsed.output)")
        #expect(parsed.output == "model=fail capabilities=ok upstream=fail\n")
    }
}

/// The channel and regulatory-domain checks, fed with `iw`'s output as iw 5.x prints it
/// (`print_channel` in iw's interface.c: "channel N (F MHz), width: …"; `iw reg get` in reg.c).
extension DoctorTests {
    static func iwInfo(channel: Int, frequency: Int) -> String {
        "Interface wlan1\n\tifindex 4\n\twdev 0x1\n\taddr 00:c0:ca:00:00:01\n\ttype monitor\n\twiphy 0\n"
            + "\tchannel \(channel) (\(frequency) MHz), width: 20 MHz (no HT), center1: \(frequency) MHz\n\ttxpower 20.00 dBm\n"
    }

    static func iwRegulatory(country: String) -> String {
        "global\ncountry \(country): DFS-ETSI\n\t(2400 - 2483 @ 40), (N/A, 20), (N/A)\n\t(5150 - 5250 @ 80), (N/A, 23), (N/A), NO-OUTDOOR, AUTO-BW\n\nphy#0 (self-managed)\ncountry 00: DFS-UNSET\n"
    }

    @Test func iwOutputIsParsed() {
        #expect(RadioChannelReport.parse(iwInfo: Self.iwInfo(channel: 36, frequency: 5180)) == RadioChannelReport(channel: 36, frequencyMHz: 5180))
        #expect(RadioChannelReport.parse(iwInfo: "Interface wlan1\n\ttype monitor\n") == RadioChannelReport(channel: nil, frequencyMHz: nil))
        #expect(RadioChannelReport.parse(regulatoryDomain: Self.iwRegulatory(country: "DE")) == "DE")
        #expect(RadioChannelReport.parse(regulatoryDomain: "global\ncountry 00: DFS-UNSET\n") == "00")
        #expect(RadioChannelReport.parse(regulatoryDomain: "") == nil)
    }

    @Test func aRadioOnItsChannelPasses() async throws {
        let report = Self.run(try await Self.setup("channel-ok"))
        #expect(report["channel.wlan1"]?.status == .ok)
        #expect(report["channel.wlan1"]?.message.contains("channel 6 (2437 MHz)") == true)
        #expect(report["regulatory-domain"]?.status == .ok)
    }

    @Test func aRadioOffItsChannelWarnsWithTheCommandToTuneIt() async throws {
        var s = try await Self.setup("channel-off")
        s.environment.radioInfo = { _ in Self.iwInfo(channel: 11, frequency: 2462) }
        let check = try #require(Self.run(s)["channel.wlan1"])
        #expect(check.status == .warn)
        #expect(check.message.contains("channel 11") && check.message.contains("configured channel 6"))
        #expect(check.fix.contains("iw dev wlan1 set channel 6") && check.fix.contains("nmcli"))

        var hopping = try await Self.setup("channel-hop", sources: Self.radioSource.replacingOccurrences(of: "channels = [6]", with: "channels = [1, 6, 11]"))
        hopping.environment.radioInfo = { _ in Self.iwInfo(channel: 11, frequency: 2462) }
        #expect(Self.run(hopping)["channel.wlan1"]?.status == .ok)
    }

    @Test func aRadioOnNoChannelFailsWhenItHasOneToBeOn() async throws {
        var s = try await Self.setup("channel-none")
        s.environment.radioInfo = { _ in "Interface wlan1\n\ttype monitor\n\twiphy 0\n" }
        let check = try #require(Self.run(s)["channel.wlan1"])
        #expect(check.status == .fail && check.fix.contains("ip link set wlan1 up"))
    }

    @Test func channelsTheWorldDomainForbidsWarnWithoutACountry() async throws {
        var s = try await Self.setup("regdomain", sources: Self.radioSource.replacingOccurrences(of: "channels = [6]", with: "channels = [1, 13]"))
        s.environment.regulatoryDomain = { "global\ncountry 00: DFS-UNSET\n\t(2402 - 2472 @ 40), (6, 20), (N/A)\n" }
        let check = try #require(Self.run(s)["regulatory-domain"])
        #expect(check.status == .warn && check.message.contains("13") && !check.message.contains("1,"))
        #expect(check.fix.contains("iw reg set"))
        // With the same channels and a country set, nothing to say.
        s.environment.regulatoryDomain = { Self.iwRegulatory(country: "FR") }
        #expect(Self.run(s)["regulatory-domain"]?.status == .ok)
    }

    @Test func withoutIwTheChannelCheckSaysSo() async throws {
        var s = try await Self.setup("no-iw")
        s.environment.radioInfo = { _ in nil }
        let check = try #require(Self.run(s)["channel.wlan1"])
        #expect(check.status == .warn && check.fix.contains("apt-get install iw"))
    }
}
