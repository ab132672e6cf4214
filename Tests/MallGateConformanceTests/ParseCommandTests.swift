import MallGateTestSupport
import Glibc
import Testing

/// `mallgate parse` end to end: the built binary, real captures, tcpdump as the stream writer.
@Suite(.enabled(if: capturesPresent, "../shared/captures is absent: the CLI tests read the real captures"))
struct ParseCommandTests {
    let iPad = sharedCaptures + "/vigo_polimi/01_iPadApple_01_filtered.pcap"  // 420 probe requests (tshark)
    let oppo = sharedCaptures + "/baccichet_probing_patterns/OppoFindX3Neo-A_anonymized.pcap"  // 1185
    let samsung = sharedCaptures + "/vigo_polimi/01_SamsungA53_01_filtered.pcapng"  // 882, pcapng
    let huawei = sharedCaptures + "/vigo_polimi/01_HuaweiTablet_01_filtered.pcapng"  // 1310, pcapng

    func lines(_ text: String) -> [Substring] { text.split(separator: "\n") }

    @Test func printsOneJSONLinePerProbeRequestAndASummary() {
        let run = shell("\(sh(mallgateBinary)) parse \(sh(iPad))")
        #expect(run.status == 0)
        let rows = lines(run.output)
        #expect(rows.count == 420)
        #expect(rows.first?.hasPrefix("{\"sensor\":\"01_iPadApple_01_filtered\",\"time\":\"2024-08-22T14:04:59.997594Z\",\"frame\":1,") == true)
        // tshark: frame 1 is sa 7a:9b:53:de:c7:7e, seq 2825, dBm -25 (combined) and -25 (chain).
        #expect(rows.first?.contains("\"mac\":\"7a:9b:53:de:c7:7e\"") == true)
        #expect(rows.first?.contains("\"rssi_dbm\":-25,\"chains_dbm\":[-25]") == true)
        #expect(rows.first?.contains("\"seq\":2825") == true)

        let summary = shell("\(sh(mallgateBinary)) parse \(sh(iPad)) --format none 2>&1 >/dev/null")
        let row = lines(summary.output).first { $0.hasPrefix("01_iPadApple_01_filtered") }
        let cells = row.map { $0.split(separator: " ") } ?? []
        #expect(cells.count >= 3 && cells[1] == "420" && cells[2] == "420", "summary: \(summary.output)")
    }

    /// Python's json module, not MallGate, judges the JSON lines: every line of captures with
    /// directed, non-ASCII and wildcard SSIDs parses, and the SSID bytes survive the escaping.
    @Test(arguments: ["zamani_polimi/7.pcap", "baccichet_probing_patterns/iPhoneXR-L_anonymized.pcap", "testsuites/tcpdump/ieee802.11_exthdr.pcap"])
    func jsonLinesAreValidJSON(_ relative: String) {
        let path = sharedCaptures + "/" + relative
        let check = """
            import json, sys
            n = 0
            for line in sys.stdin:
                o = json.loads(line)
                assert o["ssid"].encode("utf-8").hex() == o["ssid_hex"] or "\\\\x" in o["ssid"], line
                n += 1
            print(n)
            """
        let run = shell("\(sh(mallgateBinary)) parse \(sh(path)) 2>/dev/null | python3 -c \(sh(check))", mergeStderr: true)
        #expect(run.status == 0, "\(run.output)")
        let lines = run.output.split(separator: "\n")
        #expect((lines.last.flatMap { Int($0) } ?? 0) > 0, "\(run.output)")
    }

    @Test func readsAPcapStreamOnStandardInput() {
        // tcpdump rewrites the pcapng file as a classic pcap stream, as on a remote sensor.
        let run = shell("tcpdump -r \(sh(samsung)) -w - 2>/dev/null | \(sh(mallgateBinary)) parse - --format csv")
        #expect(run.status == 0)
        let rows = lines(run.output)
        #expect(rows.first == "sensor,time,frame,kind,mac,randomized,rssi_dbm,chains_dbm,noise_dbm,freq_mhz,channel,seq,ssid,ssid_hex,fingerprint")
        #expect(rows.count == 1 + 882)
        #expect(rows.dropFirst().allSatisfy { $0.hasPrefix("stdin,") })
    }

    @Test func replaysSeveralSensorsInTimestampOrder() {
        // Files whose own frames are in time order (tshark: frame.time_epoch never decreases);
        // the Baccichet files are not (three radios written into one file), so a merge cannot sort them.
        let run = shell("\(sh(mallgateBinary)) parse a=\(sh(iPad)) b=\(sh(huawei)) c=\(sh(samsung))")
        #expect(run.status == 0)
        let rows = lines(run.output)
        #expect(rows.count == 420 + 1310 + 882)
        // Every line starts {"sensor":"X","time":"…": the time is the 4th quote-delimited field.
        let times = rows.map { row in row.split(separator: "\"", omittingEmptySubsequences: false)[7] }
        #expect(zip(times, times.dropFirst()).allSatisfy { $0 <= $1 }, "replayed frames are not in time order")
        for (sensor, count) in [("a", 420), ("b", 1310), ("c", 882)] {
            #expect(rows.filter { $0.hasPrefix("{\"sensor\":\"\(sensor)\"") }.count == count)
        }
    }

    @Test func countStopsEarly() {
        let run = shell("\(sh(mallgateBinary)) parse \(sh(oppo)) --format table --count 5")
        #expect(run.status == 0)
        #expect(lines(run.output).count == 1 + 5)
        #expect(lines(run.output).first?.hasPrefix("TIME ") == true)
    }

    @Test func aTruncatedFileKeepsItsWholeFramesAndFails() throws {
        let dir = "/tmp/mallgate-parse-test-\(getpid())"
        _ = shell("mkdir -p \(sh(dir))")
        defer { _ = shell("rm -rf \(sh(dir))") }
        // Cut the file 10 bytes into its last record: tshark reads 419 whole probe requests.
        let size = Int(shell("stat -c %s \(sh(iPad))").output.split(separator: "\n").first ?? "") ?? 0
        let lastRecordLength = Int(shell("tshark -r \(sh(iPad)) -T fields -e frame.cap_len | tail -1").output.split(separator: "\n").first ?? "") ?? 0
        #expect(size > 0 && lastRecordLength > 0)
        let cut = size - lastRecordLength - 16 + 10
        _ = shell("head -c \(cut) \(sh(iPad)) > \(dir)/cut.pcap")
        let run = shell("\(sh(mallgateBinary)) parse \(dir)/cut.pcap 2>\(dir)/err")
        #expect(run.status == 1)
        #expect(lines(run.output).count == 419)
        let errors = readText(dir + "/err") ?? ""
        #expect(errors.contains("frame 420"), "stderr: \(errors)")
    }

    @Test func refusesWhatIsNotACaptureWithAPreciseMessage() {
        let run = shell("\(sh(mallgateBinary)) parse \(sh(packageRoot + "/Package.swift"))", mergeStderr: true)
        #expect(run.status == 2)
        #expect(run.output.contains("Package.swift"))
        #expect(run.output.contains("not a pcap or pcapng file"), "got: \(run.output)")
    }

    @Test func rejectsAMalformedSourceBeforeOpeningAnything() {
        let run = shell("\(sh(mallgateBinary)) parse tzsp:notaport", mergeStderr: true)
        #expect(run.status == 64)  // EX_USAGE, as swift-argument-parser exits on validation errors
        #expect(run.output.contains("\"notaport\" is not a UDP port"))
        let twice = shell("\(sh(mallgateBinary)) parse x=\(sh(iPad)) x=\(sh(oppo))", mergeStderr: true)
        #expect(twice.status == 64)
        #expect(twice.output.contains("two sources are named sensor \"x\""))
    }
}
