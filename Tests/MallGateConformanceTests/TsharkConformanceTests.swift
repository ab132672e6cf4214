import MallGateTestSupport
import Testing
import MallGateCapture
import MallGateDecode

/// One probe request as tshark printed it (see Expectations/README.md for the columns).
struct ExpectedProbe: Equatable, CustomStringConvertible {
    var frame: UInt64
    var source: String
    var sequence: UInt16
    var ssidHex: String
    var dBm: [Int]
    var frequency: Int?

    var description: String {
        "frame \(frame): sa \(source) seq \(sequence) ssid \(ssidHex.isEmpty ? "(wildcard)" : ssidHex) dBm \(dBm) freq \(frequency.map(String.init) ?? "-")"
    }
}

/// One tshark expectation file: the capture it describes and the probe requests tshark found.
struct Expectation: CustomTestStringConvertible, Sendable {
    var file: String
    var testDescription: String { file }

    func load() throws -> (capture: String, probes: [ExpectedProbe]) {
        let text = try #require(readText(expectationsDirectory + "/" + file), "cannot read \(file)")
        var capture: String?
        var probes: [ExpectedProbe] = []
        var columns: [String] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            if line.hasPrefix("# capture: ") {
                // "# capture: ../shared/captures/PATH (N bytes, sha256 …)"
                let rest = line.dropFirst("# capture: ".count)
                capture = String(rest.prefix { $0 != " " })
                continue
            }
            if line.hasPrefix("#") { continue }
            let cells = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            if columns.isEmpty { columns = cells; continue }
            func cell(_ name: String) -> String {
                guard let index = columns.firstIndex(of: name), index < cells.count else { return "" }
                return cells[index]
            }
            probes.append(ExpectedProbe(
                frame: UInt64(cell("frame")) ?? 0,
                source: cell("sa"),
                sequence: UInt16(cell("seq")) ?? 0,
                ssidHex: cell("ssid_hex"),
                dBm: cell("dbm").split(separator: ",").compactMap { Int($0) },
                frequency: Int(cell("freq_mhz"))))
        }
        let path = try #require(capture, "\(file) names no capture")
        // Paths in the files are relative to the package root.
        return (packageRoot + "/" + path, probes)
    }
}

let expectationFiles: [Expectation] = listDirectory(expectationsDirectory)
    .filter { $0.hasSuffix(".tsv") }
    .map { Expectation(file: $0) }

/// What MallGate decodes from a capture, in the expectation's terms.
func decodeCapture(_ path: String) throws -> (probes: [ExpectedProbe], error: CaptureError?) {
    let source = try PcapFileSource(path: path, sensor: "conformance")
    var decoder = FrameDecoder(linkType: source.linkTypes[0])
    var probes: [ExpectedProbe] = []
    while true {
        do {
            let outcome = try source.read(maxFrames: 512) { frame in
                guard case .probeRequest(let probe) = decoder.decode(frame.bytes) else { return }
                var dBm: [Int] = probe.radio.signalDBm.map { [Int($0)] } ?? []
                dBm += probe.radio.chainSignals.map { Int($0.dBm) }
                probes.append(ExpectedProbe(
                    frame: frame.frameNumber, source: probe.source.description, sequence: probe.sequenceNumber,
                    ssidHex: probe.ssid.withUnsafeBytes { $0.map { byte in
                        let digits = Array("0123456789abcdef")
                        return String([digits[Int(byte >> 4)], digits[Int(byte & 0xF)]])
                    }.joined() },
                    dBm: dBm, frequency: probe.radio.channelMHz.map(Int.init)))
            }
            if outcome == .endOfInput { return (probes, nil) }
        } catch {
            // A truncated capture: every whole frame was delivered before the error.
            return (probes, error)
        }
    }
}

@Suite(.enabled(if: capturesPresent, "../shared/captures is absent: the tshark conformance tests need the real captures"))
struct TsharkConformanceTests {
    @Test func everySharedCaptureHasAnExpectation() {
        // Guards against a silently empty argument list below.
        #expect(expectationFiles.count >= 60)
    }

    /// MallGate finds exactly the probe requests tshark finds, with the same fields.
    @Test(arguments: expectationFiles)
    func sameProbeRequestsAsTshark(_ expectation: Expectation) throws {
        let (capture, expected) = try expectation.load()
        let decoded: [ExpectedProbe]
        do {
            decoded = try decodeCapture(capture).probes
        } catch let error as CaptureError where error.kind == .unsupportedLinkType {
            // Ethernet captures (802.11 inside LWAPP/GRE tunnels) are refused up front; tshark
            // finds no probe request in them either, since it does not treat the tunnels as 802.11 here.
            #expect(expected.isEmpty, "MallGate refused \(capture) (\(error)) but tshark found \(expected.count) probe requests")
            return
        }
        #expect(decoded.map(\.frame) == expected.map(\.frame), "probe request frame numbers differ from tshark in \(capture)")
        for (mine, theirs) in zip(decoded, expected) where mine != theirs {
            Issue.record("\(capture):\n  tshark:   \(theirs)\n  mallgate: \(mine)")
        }
    }
}

/// Where tshark prints a dBm no receiver can measure, MallGate agrees on the raw value
/// (checked above) but does not trust it for localization.
@Suite(.enabled(if: capturesPresent, "../shared/captures is absent"))
struct ImplausibleSignalTests {
    func probes(_ relative: String) throws -> [(frame: UInt64, radio: RadioInfo)] {
        let source = try PcapFileSource(path: sharedCaptures + "/" + relative, sensor: "x")
        var decoder = FrameDecoder(linkType: source.linkTypes[0])
        var out: [(UInt64, RadioInfo)] = []
        while try source.read(maxFrames: 256, { frame in
            if case .probeRequest(let probe) = decoder.decode(frame.bytes) { out.append((frame.frameNumber, probe.radio)) }
        }) != .endOfInput {}
        return out
    }

    @Test func aPlusFifteenDBmSignalIsKeptButNotTrusted() throws {
        // tshark: S21Ultra-M frame 138 has radiotap dBm 15 (see Expectations/README.md).
        let frame = try #require(try probes("baccichet_probing_patterns/S21Ultra-M_anonymized.pcap").first { $0.frame == 138 })
        #expect(frame.radio.signalDBm == 15)
        #expect(frame.radio.plausibleSignalDBm == nil)
        #expect(frame.radio.hasImplausibleSignal)
    }

    @Test func zeroDBmFromASnifferIsKeptButNotTrusted() throws {
        // tshark: all 16 probe requests of zamani_polimi/7.pcap carry radiotap dBm 0.
        let all = try probes("zamani_polimi/7.pcap")
        #expect(all.count == 16)
        #expect(all.allSatisfy { $0.radio.signalDBm == 0 && $0.radio.plausibleSignalDBm == nil })
    }

    @Test func realSignalsAreTrusted() throws {
        // tshark: vigo iPad signals span -92...-22 dBm.
        let all = try probes("vigo_polimi/01_iPadApple_01_filtered.pcap")
        #expect(all.count == 420)
        #expect(all.allSatisfy { $0.radio.plausibleSignalDBm == $0.radio.signalDBm })
    }
}
