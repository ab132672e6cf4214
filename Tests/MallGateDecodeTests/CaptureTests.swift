import Testing
@testable import MallGateDecode

/// Real third-party captures from ../shared/captures; expected numbers come from each
/// folder's README (measured by the dataset curator with tshark) or from tcpdump's own output.
@Suite(.enabled(if: capturesDirectory != nil, "../shared/captures is absent: real-capture tests skipped"))
struct CaptureTests {
    struct Expected: Sendable, CustomStringConvertible {
        var file: String
        var probes: Int
        var sources: Int
        var dBm: ClosedRange<Int>
        var channels: [Int: Int]
        var description: String { file }
    }

    /// baccichet_probing_patterns/README.md, columns PR, SA, dBm range, ch.
    static let baccichet: [Expected] = [
        .init(file: "OppoFindX3Neo-A", probes: 1185, sources: 15, dBm: -73 ... -42, channels: [1: 415, 6: 400, 11: 370]),
        .init(file: "S21Ultra-M", probes: 139, sources: 28, dBm: -82 ... 15, channels: [6: 49, 11: 46, 1: 44]),
        .init(file: "iPhone11-B", probes: 782, sources: 465, dBm: -70 ... -40, channels: [11: 309, 6: 260, 1: 213]),
        .init(file: "iPhone11-C", probes: 531, sources: 334, dBm: -78 ... -46, channels: [6: 203, 11: 196, 1: 132]),
        .init(file: "iPhone11-F", probes: 106, sources: 47, dBm: -100 ... -25, channels: [11: 45, 6: 40, 1: 21]),
        .init(file: "iPhone11-M", probes: 497, sources: 236, dBm: -80 ... -13, channels: [11: 183, 6: 182, 1: 132]),
        .init(file: "iPhone12-M", probes: 612, sources: 325, dBm: -78 ... -54, channels: [6: 220, 11: 219, 1: 173]),
        .init(file: "iPhone12Pro-C", probes: 154, sources: 1, dBm: -74 ... -27, channels: [11: 75, 6: 40, 1: 39]),
        .init(file: "iPhone7-F", probes: 638, sources: 35, dBm: -86 ... -21, channels: [11: 318, 6: 181, 1: 139]),
        .init(file: "iPhoneXR-A", probes: 136, sources: 9, dBm: -94 ... -23, channels: [6: 60, 11: 48, 1: 28]),
        .init(file: "iPhoneXR-L", probes: 2223, sources: 91, dBm: -100 ... -13, channels: [11: 889, 6: 668, 1: 666]),
    ]

    /// zamani_polimi/README.md: probe requests with radiotap dBm, many of them a literal 0
    /// (the radio wrote 0; it is reported as 0, not hidden).
    static let zamani: [Expected] = [
        .init(file: "1", probes: 15, sources: 2, dBm: -91 ... -80, channels: [2: 15]),
        .init(file: "10", probes: 7, sources: 3, dBm: -33 ... 0, channels: [2: 7]),
        .init(file: "11", probes: 6, sources: 3, dBm: -45 ... -34, channels: [6: 6]),
        .init(file: "12", probes: 11, sources: 4, dBm: -87 ... 0, channels: [6: 11]),
        .init(file: "2", probes: 16, sources: 3, dBm: -91 ... 0, channels: [6: 16]),
        .init(file: "3", probes: 27, sources: 5, dBm: -91 ... 0, channels: [1: 27]),
        .init(file: "4", probes: 33, sources: 8, dBm: -35 ... 0, channels: [1: 33]),
        .init(file: "5", probes: 6, sources: 3, dBm: -25 ... 0, channels: [11: 6]),
        .init(file: "7", probes: 16, sources: 2, dBm: 0 ... 0, channels: [6: 16]),
        .init(file: "8", probes: 5, sources: 2, dBm: -81 ... -73, channels: [6: 5]),
        .init(file: "9", probes: 9, sources: 4, dBm: -26 ... 0, channels: [9: 9]),
    ]

    static func check(_ path: String, _ expected: Expected) throws {
        let decoded = try #require(try decodeCapture(path))
        let probes = decoded.results.compactMap(\.probe)
        #expect(probes.count == expected.probes)
        #expect(decoded.counters.probeRequests == UInt64(expected.probes))
        #expect(decoded.counters.frames == UInt64(decoded.pcap.records.count))
        #expect(decoded.counters.droppedTotal == 0)
        #expect(Set(probes.map(\.source)).count == expected.sources)
        let signals = probes.compactMap { $0.radio.signalDBm.map(Int.init) }
        #expect(signals.count == expected.probes, "every probe request carries dBm")
        #expect(signals.min() == expected.dBm.lowerBound)
        #expect(signals.max() == expected.dBm.upperBound)
        var channels: [Int: Int] = [:]
        for probe in probes { channels[Int(probe.radio.channel ?? 0), default: 0] += 1 }
        #expect(channels == expected.channels)
    }

    @Test(arguments: baccichet)
    func baccichetProbingPatterns(_ expected: Expected) throws {
        try Self.check("baccichet_probing_patterns/\(expected.file)_anonymized.pcap", expected)
    }

    @Test func baccichetImplausiblePositiveDBmIsReportedAsIs() throws {
        // README edge case: S21Ultra-M frame 138 has radiotap dBm = +15.
        let decoded = try #require(try decodeCapture("baccichet_probing_patterns/S21Ultra-M_anonymized.pcap"))
        #expect(decoded.results[137].probe?.radio.signalDBm == 15)
    }

    @Test(arguments: zamani)
    func zamaniZeroDBm(_ expected: Expected) throws {
        try Self.check("zamani_polimi/\(expected.file).pcap", expected)
    }

    @Test func vigoIPadHasCombinedAndPerChainSignal() throws {
        let decoded = try #require(try decodeCapture("vigo_polimi/01_iPadApple_01_filtered.pcap"))
        let probes = decoded.results.compactMap(\.probe)
        #expect(probes.count == 420)
        #expect(probes.allSatisfy { $0.radio.signalDBm != nil && $0.radio.chainSignals.count == 1 })
        #expect(probes.allSatisfy { $0.radio.chainSignals.first?.antenna == 0 && $0.radio.channel == 10 })
        let signals = probes.compactMap { $0.radio.signalDBm.map(Int.init) }
        #expect(signals.min() == -92 && signals.max() == -22)
        #expect(Set(probes.map(\.source)).count == 104)
    }

    @Test func aircrackTest1HasThreeDBmValues() throws {
        let decoded = try #require(try decodeCapture("testsuites/aircrack-ng/test1.pcap"))
        #expect(decoded.counters.frames == 192)
        let probes = decoded.results.compactMap(\.probe)
        // tshark -e radiotap.dbm_antsignal for the 5 probe requests (combined, chain 0, chain 1).
        let tshark: [[Int8]] = [[-86, -89, -89], [-86, -88, -91], [-77, -77, -88], [-83, -86, -86], [-77, -84, -78]]
        #expect(probes.map { [$0.radio.signalDBm ?? 0] + $0.radio.chainSignals.map(\.dBm) } == tshark)
        #expect(probes.allSatisfy { $0.radio.channel == 6 && $0.radio.chainSignals.map(\.antenna) == [0, 1] })
    }

    @Test func meshIDCaptureHasTwoChains() throws {
        let decoded = try #require(try decodeCapture("testsuites/tcpdump/ieee802.11_meshid.pcap"))
        let probe = try #require(decoded.results.compactMap(\.probe).first)
        // tshark: radiotap.dbm_antsignal -38,-38,-44, radiotap.antenna 0,1; channel 149.
        #expect(probe.radio.signalDBm == -38)
        #expect(Array(probe.radio.chainSignals) == [ChainSignal(antenna: 0, dBm: -38), ChainSignal(antenna: 1, dBm: -44)])
        #expect(probe.radio.channel == 149)
    }

    /// Expected values parsed from tcpdump's own decode (ieee802.11_exthdr.out).
    @Test func tcpdumpExtendedHeaderMatchesTcpdumpOutput() throws {
        let dir = try #require(capturesDirectory)
        let out = String(decoding: try #require(readFile(dir + "/testsuites/tcpdump/ieee802.11_exthdr.out")), as: UTF8.self)
        struct Line { var tsft: UInt64; var signal: Int8; var ssid: String; var rates: [UInt32] }
        var lines: [Line] = []
        for text in out.split(separator: "\n") where text.contains("Probe Request") {
            let words = text.split(separator: " ")
            let tsft = try #require(words.first { $0.hasSuffix("us") }.flatMap { UInt64($0.dropLast(2)) })
            let signalIndex = try #require(words.firstIndex(of: "signal"))
            let signal = try #require(Int8(words[signalIndex - 1].dropLast(3)))  // "-22dBm"
            let ssid = String(try #require(text.split(separator: "(").last?.split(separator: ")").first))
            let rateList = try #require(text.split(separator: "[").last?.split(separator: "]").first)
            let rates = rateList.split(separator: " ").compactMap { Double($0) }.map { UInt32($0 * 1000) }
            lines.append(Line(tsft: tsft, signal: signal, ssid: ssid, rates: rates))
        }
        #expect(lines.count == 6)

        let decoded = try #require(try decodeCapture("testsuites/tcpdump/ieee802.11_exthdr.pcap"))
        #expect(decoded.counters.frames == 26)
        let probes = decoded.results.compactMap(\.probe)
        #expect(probes.count == lines.count)
        for (probe, line) in zip(probes, lines) {
            #expect(probe.radio.tsft == line.tsft)
            #expect(probe.radio.signalDBm == line.signal)
            #expect(probe.radio.noiseDBm == -86)    // every line: "-86dBm noise"
            #expect(probe.radio.antenna == 1)       // every line: "antenna 1"
            #expect(probe.radio.channelMHz == 2412) // "2412 MHz"
            #expect(probe.radio.rateKbps == 1000)   // "1.0 Mb/s"
            #expect(probe.ssid.description == line.ssid)
            // tcpdump prints the Supported Rates element only.
            #expect(probe.supportedRates.ratesKbps.sorted() == line.rates.sorted())
        }
    }

    struct SmallFile: Sendable, CustomStringConvertible {
        var path: String
        var frames: Int
        var probes: Int
        var signal: Int8?
        var channel: UInt16?
        var description: String { path }
    }

    /// testsuites/*/README.md rows: frames, PR, dBm and channel of the probe request.
    static let small: [SmallFile] = [
        .init(path: "aircrack-ng/testm1m2m3.pcap", frames: 5, probes: 1, signal: -23, channel: 11),
        .init(path: "aircrack-ng/wpa3-psk.pcap", frames: 24, probes: 1, signal: nil, channel: 1),
        .init(path: "aircrack-ng/n-02.cap", frames: 218, probes: 9, signal: nil, channel: nil),
        .init(path: "aircrack-ng/wpa2-psk-linksys.cap", frames: 499, probes: 18, signal: nil, channel: nil),
        .init(path: "aircrack-ng/pmkid-not-recognized.cap", frames: 20056, probes: 128, signal: nil, channel: nil),
        .init(path: "packetnet/80211_probe_request_frame.pcap", frames: 1, probes: 1, signal: -74, channel: 6),
        .init(path: "libpcap/wpa2linkuppassphraseiswireshark.pcap", frames: 16, probes: 1, signal: -50, channel: 36),
        .init(path: "zeek/radiotap.pcap", frames: 3, probes: 0, signal: nil, channel: nil),
        .init(path: "zeek/wlanmon.pcap", frames: 3, probes: 0, signal: nil, channel: nil),
        .init(path: "tcpdump/ieee802.11_htc.pcap", frames: 1, probes: 0, signal: nil, channel: nil),
        .init(path: "tcpdump/ieee802.11_rx-stbc.pcap", frames: 3, probes: 0, signal: nil, channel: nil),
    ]

    @Test(arguments: small)
    func smallTestSuiteCaptures(_ file: SmallFile) throws {
        let decoded = try #require(try decodeCapture("testsuites/" + file.path))
        #expect(decoded.counters.frames == UInt64(file.frames))
        let probes = decoded.results.compactMap(\.probe)
        #expect(probes.count == file.probes)
        for probe in probes {
            #expect(probe.radio.signalDBm == file.signal)
            #expect(probe.radio.channel == file.channel)
        }
    }

    @Test func packetnetRadiotapCapture() throws {
        let decoded = try #require(try decodeCapture("testsuites/packetnet/80211_plus_radiotap_header.pcap"))
        #expect(decoded.counters.frames == 225)
        let probes = decoded.results.compactMap(\.probe)
        #expect(probes.count == 4)
        #expect(probes.allSatisfy { ($0.radio.signalDBm ?? 0) >= -20 && ($0.radio.signalDBm ?? 0) <= -18 && $0.radio.channel == 6 })
    }

    @Test func ppiCapturesAndFCS() throws {
        // FCS status by Python zlib.crc32 over each frame; PPI flags 0x05 = FCS present + FCS error.
        let invalid = try #require(try decodeCapture("testsuites/packetnet/80211_ppi_fcs_present_and_invalid.pcap"))
        #expect(invalid.counters.dropped(.badFCS) == 1)
        for policy in [FCSPolicy.trustRadioHeader, .verify] {
            let valid = try #require(try decodeCapture("testsuites/packetnet/80211_ppi_fcs_present_and_valid.pcap", options: .init(fcsPolicy: policy)))
            #expect(valid.counters.otherFrames == 1 && valid.counters.droppedTotal == 0)
        }
        // http_PPI: 5 frames with PPI 802.11-Common; tshark: data frames to the AP from 00:14:a5:cb:6e:1a at -56 dBm, 2422 MHz.
        let http = try #require(try decodeCapture("testsuites/libpcap/http_PPI.pcap", options: .init(includeDeviceFrames: true, fcsPolicy: .verify)))
        #expect(http.counters.frames == 5 && http.counters.droppedTotal == 0)
        let toAP = try #require(http.results.first?.device)
        #expect(toAP.kind == .dataToAP)
        #expect(toAP.source == MACAddress(string: "00:14:a5:cb:6e:1a"))
        #expect(toAP.radio.signalDBm == -56 && toAP.radio.channelMHz == 2422 && toAP.radio.noiseDBm != nil)
        let multi = try #require(try decodeCapture("testsuites/packetnet/80211_ppi_multiplefields.pcap", options: .init(includeDeviceFrames: true)))
        #expect(multi.results.first?.device?.radio.signalDBm == -56)
    }

    @Test func prismWpaCapDoesNotInventDBm() throws {
        let dir = try #require(capturesDirectory)
        let pcap = try PcapFile(path: dir + "/testsuites/aircrack-ng/wpa.cap")
        #expect(pcap.linkType == .prism && pcap.records.count == 13)
        for record in pcap.records {
            let header = try record.data.withUnsafeBytes { try PrismHeader.parse($0).get() }
            #expect(header.length == 144)
            // The signal DID holds 57-ish raw units and rssi 0: not dBm, so nothing is reported.
            #expect(header.radio.signalDBm == nil)
            #expect(header.radio.channel == 7)
        }
        let decoded = try #require(try decodeCapture("testsuites/aircrack-ng/wpa.cap"))
        #expect(decoded.counters.droppedTotal == 0 && decoded.counters.probeRequests == 0)
    }

    @Test(arguments: [
        "tcpdump/ieee802.11_parse_elements_oobr.pcap", "tcpdump/ieee802.11_rates_oobr.pcap",
        "tcpdump/radiotap-heapoverflow.pcap", "aircrack-ng/wpaclean_crash.pcap",
    ])
    func fuzzCasesDecodeWithoutCrashAndCountDrops(_ path: String) throws {
        let decoded = try #require(try decodeCapture("testsuites/" + path))
        let c = decoded.counters
        #expect(c.frames == UInt64(decoded.pcap.records.count) && c.frames > 0)
        #expect(c.probeRequests + c.deviceFrames + c.otherFrames + c.droppedTotal == c.frames)
        #expect(c.probeRequests == 0)  // README: no probe request in any of them
    }

    @Test func knownDropReasonsForFuzzCases() throws {
        // radiotap-heapoverflow.pcap: an 8-byte frame "30 30 08 00 …": radiotap version 0x30.
        let heap = try #require(try decodeCapture("testsuites/tcpdump/radiotap-heapoverflow.pcap"))
        #expect(heap.counters.dropped(.unsupportedRadioHeaderVersion) == 1)
        // wpaclean_crash.pcap: a 17-byte Prism frame, shorter than the 24-byte fixed header.
        let prism = try #require(try decodeCapture("testsuites/aircrack-ng/wpaclean_crash.pcap"))
        #expect(prism.counters.dropped(.truncatedRadioHeader) == 1)
    }
}
