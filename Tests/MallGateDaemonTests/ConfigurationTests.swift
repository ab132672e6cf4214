import Glibc
import MallGateDaemon
import MallGateTestSupport
import Testing

/// The configuration file's contract: what is accepted, and for every mistake the exact line a
/// technician reads. The expected texts are written by hand from the rules in
/// firmware-configs/gateway.toml (the key, its line in the file, what to do), not captured from a run.
struct ConfigurationTests {
    static let file = "/etc/mallgate/gateway.toml"

    /// A valid head: lines 1–7. Cases append to it, so their lines start at 8.
    static let head = """
        venue = "venue.json"
        model = "model.mgm"
        state_directory = "/var/lib/mallgate"
        [[sources]]
        kind = "file"
        path = "s1.pcap"
        sensor = "s1"

        """

    static let badFiles: [(name: String, text: String, environment: [String: String], expected: [String])] = [
        ("unknown key, close to a known one", head + """
            [metrics]
            listn = "127.0.0.1:9464"
            """, [:], [
            "\(file):9: metrics.listn: unknown key (did you mean \"listen\"?); known keys here: enabled, listen",
        ]),
        ("unknown table at the top", head + """
            [metric]
            enabled = false
            """, [:], [
            "\(file):8: metric: unknown key (did you mean \"metrics\"?); known keys here: venue, model, state_directory, sources, upstream, privacy, retention, windows, visits, metrics, health, web",
        ]),
        ("missing venue", """
            model = "model.mgm"
            state_directory = "/var/lib/mallgate"
            [[sources]]
            kind = "directory"
            path = "captures"
            """, [:], [
            "\(file): venue: missing; give the path of the venue layout (JSON)",
        ]),
        ("no sources at all", """
            venue = "venue.json"
            model = "model.mgm"
            state_directory = "/var/lib/mallgate"
            """, [:], [
            "\(file): sources: missing; add at least one [[sources]] table",
        ]),
        ("a number written as a string", head + """
            [windows]
            length_seconds = "10"
            """, [:], [
            "\(file):9: windows.length_seconds: expected a number, got a string",
        ]),
        ("step longer than the window", head + """
            [windows]
            length_seconds = 8
            step_seconds = 12
            """, [:], [
            "\(file):10: windows.step_seconds: must not exceed windows.length_seconds (8), or readings fall between windows (got 12)",
        ]),
        ("a dotted key out of range", head.replacingFirstLine(with: "windows.length_seconds = 0\nvenue = \"venue.json\""), [:], [
            "\(file):1: windows.length_seconds: must be between 1 and 600 (got 0)",
        ]),
        ("an unknown source kind", """
            venue = "venue.json"
            model = "model.mgm"
            state_directory = "/var/lib/mallgate"
            [[sources]]
            kind = "fiel"
            path = "s1.pcap"
            """, [:], [
            "\(file):5: sources[0].kind: unknown source kind \"fiel\" (did you mean \"file\"?); use one of file, directory, stream, interface, tzsp",
        ]),
        ("a radio without its interface, and a key of another kind", head + """
            [[sources]]
            kind = "interface"
            sensor = "s2"
            path = "/dev/null"
            channels = [1, 6, 15]
            """, [:], [
            "\(file):8: sources[1].interface: missing; give the monitor-mode radio, e.g. wlan1",
            "\(file):11: sources[1].path: unknown key; known keys here: kind, interface, sensor, channels, dwell_ms, monitor_mode",
        ]),
        ("two sources for one sensor", head + """
            [[sources]]
            kind = "tzsp"
            sensor = "s1"
            """, [:], [
            "\(file):10: sources[1].sensor: sensor \"s1\" is already used by sources[0]; each sensor has one source",
        ]),
        ("a TZSP sender map: a sensor key beside it, a host name, a sensor of another source", head + """
            [[sources]]
            kind = "tzsp"
            sensor = "s2"
            [sources.senders]
            "10.20.0.11" = "s3"
            "ap-4.local" = "s4"
            "10.20.0.12" = "s1"
            """, [:], [
            "\(file):10: sources[1].sensor: give either `senders` (one port, a sensor per sender address) or `sensor` with `allowed_senders`, not both",
            "\(file):11: sources[1].senders: sensor \"s1\" is already used by sources[0]; each sensor has one source",
            "\(file):13: sources[1].senders.ap-4.local: \"ap-4.local\" is not an IPv4 or IPv6 address; write each sensor's address like \"10.20.0.11\" = \"L0-s01-ap\"",
        ]),
        ("the token written inline, and no token source", head + """
            [upstream]
            url = "https://collector.example.com/v1"
            token = "abc123"
            """, [:], [
            "\(file):8: upstream: give the upload token with token_file = \"/etc/mallgate/token\" or token_env = \"MALLGATE_TOKEN\"",
            "\(file):10: upstream.token: do not write the token in the configuration file; put it in a file named by token_file (mode 0600) or an environment variable named by token_env",
        ]),
        ("the web UI on, without an access code", head + """
            [web]
            enabled = true
            """, [:], [
            "\(file):9: web.enabled: the web UI needs an access code: set access_code_file = \"/etc/mallgate/web-access-code\" (install.sh writes a random code there) or access_code_env = \"NAME\", or set enabled = false",
        ]),
        ("the web access code written inline, a listen address without a port", head + """
            [web]
            enabled = true
            listen = "0.0.0.0"
            access_code = "letmein-please"
            """, [:], [
            "\(file):9: web.enabled: the web UI needs an access code: set access_code_file = \"/etc/mallgate/web-access-code\" (install.sh writes a random code there) or access_code_env = \"NAME\", or set enabled = false",
            "\(file):10: web.listen: must be HOST:PORT with a port 1–65535, e.g. 127.0.0.1:8380 or 0.0.0.0:8380 (got \"0.0.0.0\")",
            "\(file):11: web.access_code: do not write the access code in the configuration file; put it in a file named by access_code_file (install.sh writes /etc/mallgate/web-access-code) or an environment variable named by access_code_env",
        ]),
        ("a web access code that is too short, from the environment", head + """
            [web]
            enabled = true
            access_code_env = "MG_WEB_CODE"
            """, ["MG_WEB_CODE": "1234567\n"], [
            "\(file):10: web.access_code_env: environment MG_WEB_CODE holds a code shorter than 8 characters; use a random code of at least 8 characters",
        ]),
        ("both a web access code file and variable", head + """
            [web]
            access_code_file = "/etc/mallgate/web-access-code"
            access_code_env = "MG_WEB_CODE"
            """, ["MG_WEB_CODE": "long-enough-code"], [
            "\(file):10: web.access_code_env: give either access_code_file or access_code_env, not both",
        ]),
        ("a token variable that is not set", head + """
            [upstream]
            url = "https://collector.example.com/v1"
            token_env = "MALLGATE_TOKEN"
            """, ["MALLGATE_TOKEN": "  "], [
            "\(file):10: upstream.token_env: environment variable MALLGATE_TOKEN is not set or empty; set it in the service's environment (systemd: Environment= or LoadCredential=)",
        ]),
        ("plain http to another machine", head + """
            [upstream]
            url = "http://collector.example.com/v1"
            token_env = "MALLGATE_TOKEN"
            """, ["MALLGATE_TOKEN": "t"], [
            "\(file):9: upstream.url: must be an https:// URL (plain http only to a collector on this machine); got \"http://collector.example.com/v1\"",
        ]),
        ("sync keys out of range, a gateway name with a space, a request timeout shorter than the connect timeout", head + """
            [upstream]
            url = "https://collector.example.com"
            token_env = "MALLGATE_TOKEN"
            gateway_id = "mall 7"
            batch_rows = 10
            interval_seconds = 0
            connect_timeout_seconds = 20
            request_timeout_seconds = 5
            client_key_file = "/nonexistent/key.pem"
            verify_tls = "no"
            """, ["MALLGATE_TOKEN": "t"], [
            "\(file):11: upstream.gateway_id: must be the gateway's name at the collector (no spaces or slashes), as given to `mallgate-collector gateway add` (got \"mall 7\")",
            "\(file):12: upstream.batch_rows: must be between 100 and 100000 rows (got 10)",
            "\(file):13: upstream.interval_seconds: must be between 1 and 3600 (got 0)",
            "\(file):15: upstream.request_timeout_seconds: must not be shorter than upstream.connect_timeout_seconds (20): the whole upload includes the connection (got 5)",
            "\(file):16: upstream.client_key_file: cannot read /nonexistent/key.pem (No such file or directory); give a PEM file readable by the mallgate user",
            "\(file):17: upstream.verify_tls: expected true or false, got a string",
        ]),
        ("an unknown [upstream] key names the sync keys", head + """
            [upstream]
            url = "https://collector.example.com"
            token_env = "MALLGATE_TOKEN"
            batch_size = 500
            """, ["MALLGATE_TOKEN": "t"], [
            "\(file):11: upstream.batch_size: unknown key; known keys here: url, token_file, token_env, gateway_id, batch_rows, interval_seconds, connect_timeout_seconds, response_timeout_seconds, request_timeout_seconds, backoff_max_seconds, ca_file, client_certificate_file, client_key_file, verify_tls, pull_interval_seconds",
        ]),
        ("a rotation that does not exist, in an inline table", head.replacingFirstLine(with: "privacy = { rotation = \"hourly\" }\nvenue = \"venue.json\""), [:], [
            "\(file):1: privacy.rotation: must be one of never, daily, weekly (got \"hourly\")",
        ]),
        ("a key after [[sources]] belongs to the source, not to the top", head + """
            privacy = { rotation = "daily" }
            """, [:], [
            "\(file):8: sources[0].privacy: unknown key; known keys here: kind, path, sensor, speed",
        ]),
        ("a listen address without a port", head + """
            [metrics]
            # on the loopback only
            listen = "127.0.0.1"
            """, [:], [
            "\(file):10: metrics.listen: must be HOST:PORT with a port 1–65535, e.g. 127.0.0.1:9464 or [::1]:9464 (got \"127.0.0.1\")",
        ]),
        ("a count interval that does not divide a day, after a comment holding quotes", head + """
            [visits]
            # note = \"\"\"
            min_dwell_seconds = 30
            count_interval_seconds = 7000
            """, [:], [
            "\(file):11: visits.count_interval_seconds: must divide a day evenly (e.g. 300, 900, 3600), so intervals line up across days (got 7000)",
        ]),
        ("visits: a silence timeout shorter than the exit timeout, no windows to enter", head + """
            [visits]
            exit_timeout_seconds = 120
            silence_timeout_seconds = 60
            enter_windows = 0
            """, [:], [
            "\(file):10: visits.silence_timeout_seconds: must not be shorter than visits.exit_timeout_seconds (120): an idle phone in a store probes rarely (got 60)",
            "\(file):11: visits.enter_windows: must be between 1 and 100 windows (got 0)",
        ]),
        ("pseudo-devices switched with a string", head + """
            [privacy]
            pseudo_devices = "no"
            """, [:], [
            "\(file):9: privacy.pseudo_devices: expected true or false, got a string",
        ]),
        ("several problems, reported in file order", head + """
            [health]
            retry_max_seconds = -1
            [retention]
            max_database_mb = 4
            """, [:], [
            "\(file):9: health.retry_max_seconds: must be between 0.01 and 86400 (got -1)",
            "\(file):11: retention.max_database_mb: must be between 16 and 1048576 MiB (got 4)",
        ]),
    ]

    @Test(arguments: badFiles.indices)
    func aBadFileIsRefusedWithTheExactProblems(index: Int) {
        let (name, text, environment, expected) = Self.badFiles[index]
        do {
            _ = try DaemonConfiguration.parse(text: text, file: Self.file, environment: environment)
            Issue.record("\(name): accepted")
        } catch {
            #expect(error.problems.map(\.description) == expected, "\(name)")
        }
    }

    @Test func aSyntaxErrorNamesItsLine() throws {
        let text = Self.head + "[windows]\nlength_seconds = = 3\n"
        do {
            _ = try DaemonConfiguration.parse(text: text, file: Self.file, environment: [:])
            Issue.record("accepted")
        } catch {
            let line = try #require(error.problems.first?.description)
            #expect(line.hasPrefix("\(Self.file):9: TOML syntax error: "), "\(line)")
        }
    }

    @Test func theExampleConfigurationParses() throws {
        let path = packageRoot + "/firmware-configs/gateway.toml"
        let c = try DaemonConfiguration.load(path: path, environment: [:])
        #expect(c.venuePath == packageRoot + "/firmware-configs/venues/small-arcade.json")
        #expect(c.modelPath == "/var/lib/mallgate/small-arcade.mgm")
        #expect(c.sources == [SourceConfiguration(kind: .directory(path: "/var/lib/mallgate/replay"), sensor: "")])
        #expect(c.privacy.rotation == .daily)
        #expect(c.metrics.host == "127.0.0.1" && c.metrics.port == 9464)
        #expect(c.upstream == nil)
        #expect(c.windows.lengthSeconds == 10 && c.windows.stepSeconds == 5)
        #expect(c.visits.countIntervalSeconds == 900)
    }

    @Test func visitAndPrivacyKeysReachTheStages() throws {
        let directory = makeTemporaryDirectory("config-visits")
        let text = Self.head + """
            [privacy]
            rotation = "weekly"
            pseudo_devices = false
            opt_out_file = "opt-out.txt"
            [visits]
            min_dwell_seconds = 45
            exit_timeout_seconds = 120
            silence_timeout_seconds = 900
            enter_windows = 4
            count_interval_seconds = 300
            [retention]
            max_database_mb = 64
            """
        #expect(writeText(directory + "/gateway.toml", text))
        let c = try DaemonConfiguration.load(path: directory + "/gateway.toml", environment: [:])
        #expect(c.privacy == PrivacyConfiguration(rotation: .weekly, optOutFile: directory + "/opt-out.txt", pseudoDevices: false))
        #expect(c.visits.minimumDwellSeconds == 45 && c.visits.exitTimeoutSeconds == 120)
        #expect(c.visits.silenceTimeoutSeconds == 900 && c.visits.enterWindows == 4)
        #expect(c.visits.countIntervalSeconds == 300)
        #expect(c.retention.maxDatabaseMegabytes == 64)
        // Defaults when the tables are absent: grouping on, the tracker's own timeouts.
        #expect(writeText(directory + "/plain.toml", Self.head))
        let plain = try DaemonConfiguration.load(path: directory + "/plain.toml", environment: [:])
        #expect(plain.privacy.pseudoDevices && plain.visits.silenceTimeoutSeconds == 600 && plain.visits.enterWindows == 2)
    }

    @Test func everySourceKindParses() throws {
        let text = """
            venue = "/v.json"
            model = "m.mgm"
            state_directory = "state"
            [[sources]]
            kind = "interface"
            interface = "wlan1"
            sensor = "s1"
            channels = [1, 6, 11]
            dwell_ms = 300
            monitor_mode = false
            [[sources]]
            kind = "stream"
            path = "/run/mallgate/s2"
            sensor = "s2"
            [[sources]]
            kind = "tzsp"
            sensor = "s3"
            port = 40000
            allowed_senders = ["192.0.2.10", "2001:db8::1"]
            [[sources]]
            kind = "file"
            path = "s4.pcap"
            sensor = "s4"
            [[sources]]
            kind = "tzsp"
            bind = "0.0.0.0"
            senders = { "10.20.0.11" = "s5", "10.20.0.12" = "s6", "2001:db8::12" = "s6" }
            """
        let c = try DaemonConfiguration.parse(text: text, file: "/etc/mg/gw.toml", environment: [:])
        #expect(c.sources == [
            SourceConfiguration(kind: .interface(name: "wlan1", channels: [1, 6, 11], dwellMilliseconds: 300, monitorMode: false), sensor: "s1"),
            SourceConfiguration(kind: .stream(path: "/run/mallgate/s2"), sensor: "s2"),
            SourceConfiguration(kind: .tzsp(port: 40000, bindAddress: "::", allowedSenders: ["192.0.2.10", "2001:db8::1"]), sensor: "s3"),
            SourceConfiguration(kind: .file(path: "/etc/mg/s4.pcap"), sensor: "s4"),
            SourceConfiguration(kind: .tzspSenders(port: 37008, bindAddress: "0.0.0.0", senders: [
                TZSPSender(address: "10.20.0.11", sensor: "s5"), TZSPSender(address: "10.20.0.12", sensor: "s6"),
                TZSPSender(address: "2001:db8::12", sensor: "s6"),
            ]), sensor: ""),
        ])
        #expect(c.sources.map(\.sensorNames) == [["s1"], ["s2"], ["s3"], ["s4"], ["s5", "s6"]])
        #expect(c.modelPath == "/etc/mg/m.mgm" && c.venuePath == "/v.json" && c.stateDirectory == "/etc/mg/state")
        #expect(c.sources.map(\.isLive) == [true, true, true, false, true])
    }

    @Test func theTokenComesFromTheEnvironment() throws {
        let text = Self.head + "[upstream]\nurl = \"https://c.example.com\"\ntoken_env = \"MG_TOKEN\"\n"
        let c = try DaemonConfiguration.parse(text: text, file: Self.file, environment: ["MG_TOKEN": " s3cret\n"])
        let upstream = try #require(c.upstream)
        #expect(upstream.token.value == "s3cret")
        #expect(upstream.token.origin == "environment MG_TOKEN")
        #expect(!"\(upstream.token)".contains("s3cret"))
    }

    @Test func theTokenComesFromAFile() throws {
        let directory = makeTemporaryDirectory("token")
        let tokenPath = directory + "/token"
        try #require(writeText(tokenPath, "abc-123\n"))
        let text = Self.head + "[upstream]\nurl = \"http://127.0.0.1:8080/v1\"\ntoken_file = \"token\"\n"
        let c = try DaemonConfiguration.parse(text: text, file: directory + "/gw.toml", environment: [:])
        #expect(c.upstream?.token.value == "abc-123")
        #expect(c.upstream?.token.origin == "file \(tokenPath)")

        let missing = Self.head + "[upstream]\nurl = \"https://c.example.com\"\ntoken_file = \"absent\"\n"
        do {
            _ = try DaemonConfiguration.parse(text: missing, file: directory + "/gw.toml", environment: [:])
            Issue.record("accepted a missing token file")
        } catch {
            #expect(error.problems.map(\.description) == [
                "\(directory)/gw.toml:10: upstream.token_file: cannot read \(directory)/absent (No such file or directory); create it with the gateway's token, readable by the mallgate user",
            ])
        }
    }

    @Test func theWebUIIsOffByDefaultAndTakesItsCodeFromAFileOrTheEnvironment() throws {
        let off = try DaemonConfiguration.parse(text: Self.head, file: Self.file, environment: [:])
        #expect(!off.web.enabled && off.web.host == "127.0.0.1" && off.web.port == 8380 && off.web.accessCode == nil)
        // Off, a code file that does not exist is no problem (the example configurations name one).
        let named = try DaemonConfiguration.parse(text: Self.head + "[web]\naccess_code_file = \"/nonexistent/code\"\n", file: Self.file, environment: [:])
        #expect(!named.web.enabled && named.web.accessCode == nil)

        let directory = makeTemporaryDirectory("web-code")
        try #require(writeText(directory + "/code", "  s3cret-code-1\n"))
        let file = try DaemonConfiguration.parse(
            text: Self.head + "[web]\nenabled = true\nlisten = \"[::1]:9000\"\naccess_code_file = \"code\"\n", file: directory + "/gw.toml", environment: [:])
        #expect(file.web.enabled && file.web.host == "::1" && file.web.port == 9000)
        #expect(file.web.accessCode?.value == "s3cret-code-1")
        #expect(file.web.accessCode?.origin == "file \(directory)/code")
        #expect(!"\(file.web)".contains("s3cret-code-1"))

        let environment = try DaemonConfiguration.parse(
            text: Self.head + "[web]\nenabled = true\naccess_code_env = \"MG_WEB_CODE\"\n", file: Self.file, environment: ["MG_WEB_CODE": "from-the-env-42\n"])
        #expect(environment.web.accessCode?.value == "from-the-env-42")
        #expect(environment.web.accessCode?.origin == "environment MG_WEB_CODE")

        do {
            _ = try DaemonConfiguration.parse(text: Self.head + "[web]\nenabled = true\naccess_code_file = \"absent\"\n", file: directory + "/gw.toml", environment: [:])
            Issue.record("accepted a missing access code file")
        } catch {
            #expect(error.problems.map(\.description) == [
                "\(directory)/gw.toml:10: web.access_code_file: cannot read \(directory)/absent (No such file or directory); create it with the access code (install.sh writes one), readable by the mallgate user",
            ])
        }
    }

    @Test func configCheckExitsOneWithOneLinePerProblem() throws {
        let directory = makeTemporaryDirectory("check")
        try #require(writeText(directory + "/bad.toml", Self.head + "[windows]\nlength_seconds = \"10\"\n[metrics]\nlistn = \"x\"\n"))
        let run = shell("\(sh(mallgateBinary)) config check \(sh(directory + "/bad.toml")) 2>&1")
        #expect(run.status == 1)
        #expect(run.output == """
            \(directory)/bad.toml:9: windows.length_seconds: expected a number, got a string
            \(directory)/bad.toml:11: metrics.listn: unknown key (did you mean "listen"?); known keys here: enabled, listen

            """)
    }
}

extension String {
    /// The text with its first line replaced (the head's `venue = …`).
    func replacingFirstLine(with line: String) -> String {
        line + "\n" + split(separator: "\n", omittingEmptySubsequences: false).dropFirst().joined(separator: "\n")
    }
}
