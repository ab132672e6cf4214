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
