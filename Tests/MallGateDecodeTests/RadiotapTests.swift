import Testing
@testable import MallGateDecode

@Suite struct RadiotapTests {
    @Test func readsEveryCommonField() throws {
        let (result, counters) = decodeOne(Fixture.radiotap() + Fixture.probe, .radiotap)
        let probe = try #require(result.probe)
        let radio = probe.radio
        #expect(radio.tsft == 0x0807_0605_0403_0201)
        #expect(radio.flags == [])
        #expect(radio.rateKbps == 1000)
        #expect(radio.channelMHz == 2437)
        #expect(radio.channelFlags == 0x00A0)
        #expect(radio.channel == 6)
        #expect(radio.signalDBm == -60)
        #expect(radio.noiseDBm == -96)
        #expect(radio.antenna == 1)
        #expect(radio.chainSignals.isEmpty)
        #expect(radio.fcsPresent == false)
        #expect(counters.probeRequests == 1 && counters.frames == 1)
    }

    @Test func headerParserReportsLength() throws {
        let header = try Fixture.radiotap().withUnsafeBytes { try RadiotapHeader.parse($0).get() }
        #expect(header.length == 25)
    }

    /// Three radiotap namespaces, as iwlwifi/ath9k emit: combined signal, then one per chain.
    static let threeChains = hex(
        "00 00 1b 00",   // version 0, pad, length 27
        "2e 00 00 a0",   // word 0: flags(1) rate(2) channel(3) signal(5); bit 29 radiotap NS next, bit 31 more
        "20 08 00 a0",   // word 1: signal(5) antenna(11); bit 29, bit 31
        "20 08 00 00",   // word 2: signal(5) antenna(11); last word
        "00",            // @16 flags: none
        "02",            // @17 rate 1 Mb/s
        "6c 09 a0 00",   // @18 channel 2412 MHz (ch 1), flags 0x00a0
        "b0",            // @22 combined signal -80 dBm
        "ae", "00",      // @23 chain: signal -82 dBm, @24 antenna 0
        "b4", "01"       // @25 chain: signal -76 dBm, @26 antenna 1
    )

    @Test func extendedBitmapsGivePerChainSignals() throws {
        let probe = try #require(decodeOne(Self.threeChains + Fixture.probe, .radiotap).0.probe)
        #expect(probe.radio.signalDBm == -80)
        #expect(probe.radio.channel == 1)
        #expect(Array(probe.radio.chainSignals) == [ChainSignal(antenna: 0, dBm: -82), ChainSignal(antenna: 1, dBm: -76)])
        #expect(probe.radio.antenna == nil)
    }

    @Test func vendorNamespaceIsSkippedBySkipLength() throws {
        let frame = hex(
            "00 00 1f 00",     // version 0, length 31
            "20 00 00 c0",     // word 0: signal(5); bit 30 vendor NS next, bit 31 more
            "01 00 00 a0",     // word 1 (vendor NS): vendor bit 0; bit 29 radiotap NS next, bit 31 more
            "20 08 00 00",     // word 2 (radiotap NS again): signal(5) antenna(11)
            "c8",              // @16 signal -56 dBm
            "ff",              // @17 padding to 2-byte alignment for the vendor header
            "00 11 22",        // @18 vendor OUI
            "00",              // @21 sub-namespace 0
            "05 00",           // @22 skip_length 5
            "de ad be ef 99",  // @24 vendor data, skipped
            "c0",              // @29 chain signal -64 dBm
            "02"               // @30 antenna 2
        ) + Fixture.probe
        let probe = try #require(decodeOne(frame, .radiotap).0.probe)
        #expect(probe.radio.signalDBm == -56)
        #expect(Array(probe.radio.chainSignals) == [ChainSignal(antenna: 2, dBm: -64)])
        #expect(probe.ssid.description == "mall")
    }

    @Test func unknownFieldStopsWalkButKeepsEarlierFields() throws {
        let frame = hex(
            "00 00 0e 00",   // length 14
            "20 00 00 10",   // present: signal(5) and TLV(28), whose size is not fixed
            "c4",            // @8 signal -60 dBm
            "aa bb cc dd e0" // @9 TLV bytes the walker cannot size; header length skips them
        ) + Fixture.probe
        let probe = try #require(decodeOne(frame, .radiotap).0.probe)
        #expect(probe.radio.signalDBm == -60)
        #expect(probe.source == MACAddress(0x02, 0x11, 0x22, 0x33, 0x44, 0x55))
    }

    @Test func fcsAtEndIsStripped() throws {
        let frame = Fixture.radiotap(flags: 0x10) + Fixture.probe + Fixture.probeFCS  // flags: FCS at end
        for policy in [FCSPolicy.trustRadioHeader, .verify] {
            let probe = try #require(decodeOne(frame, .radiotap, options: .init(fcsPolicy: policy)).0.probe)
            #expect(probe.radio.fcsPresent)
            // Without stripping, the 4 FCS bytes would end the HE element list as a malformed element.
            #expect(probe.hasMalformedElements == false)
            #expect(probe.fingerprint.rawValue == Fixture.allElementsFingerprint)
        }
    }

    @Test func wrongFCSIsDroppedOnlyWhenVerifying() {
        let frame = Fixture.radiotap(flags: 0x10) + Fixture.probe + hex("00 00 00 00")  // flags: FCS at end; FCS wrong
        #expect(decodeOne(frame, .radiotap).0.probe != nil)
        let (result, counters) = decodeOne(frame, .radiotap, options: .init(fcsPolicy: .verify))
        #expect(result.dropReason == .badFCS)
        #expect(counters.dropped(.badFCS) == 1)
    }

    @Test func badFCSFlagDrops() {
        let frame = Fixture.radiotap(flags: 0x50) + Fixture.probe + Fixture.probeFCS  // flags: FCS at end + bad FCS
        let (result, counters) = decodeOne(frame, .radiotap)
        #expect(result.dropReason == .badFCS)
        #expect(counters.dropped(.badFCS) == 1 && counters.probeRequests == 0)
    }

    @Test(arguments: [0, 1, 7, 65535])
    func lyingLengthFieldDrops(length: Int) {
        var frame = Fixture.radiotap() + Fixture.probe
        frame[2] = UInt8(length & 0xFF)
        frame[3] = UInt8(length >> 8)
        let (result, counters) = decodeOne(frame, .radiotap)
        #expect(result.dropReason == .radioHeaderLengthMismatch)
        #expect(counters.dropped(.radioHeaderLengthMismatch) == 1)
    }

    @Test func lengthShorterThanFieldsDrops() {
        var frame = Fixture.radiotap() + Fixture.probe
        frame[2] = 20  // claims 20 bytes, but the announced fields need 25
        #expect(decodeOne(frame, .radiotap).0.dropReason == .truncatedRadioField)
    }

    @Test(arguments: [8, 12, 64, 400])
    func presenceBitmapThatNeverEndsDrops(size: Int) {
        // Every word has bit 31 set, up to the end of the header (= the frame).
        var frame = [UInt8](repeating: 0xFF, count: size)
        frame[0] = 0; frame[1] = 0
        frame[2] = UInt8(size & 0xFF); frame[3] = UInt8(size >> 8)
        let (result, counters) = decodeOne(frame, .radiotap)
        #expect(result.dropReason == .unterminatedPresenceBitmap)
        #expect(counters.dropped(.unterminatedPresenceBitmap) == 1)
    }

    @Test func versionOtherThanZeroDrops() {
        var frame = Fixture.radiotap() + Fixture.probe
        frame[0] = 1
        #expect(decodeOne(frame, .radiotap).0.dropReason == .unsupportedRadioHeaderVersion)
    }

    @Test(arguments: [Fixture.radiotap(), threeChains])
    func everyTruncationIsAProbeOrACountedDrop(header: [UInt8]) {
        let full = header + Fixture.probe
        let headerLength = header.count
        for n in 0 ... full.count {
            let (result, counters) = decodeOne(Array(full.prefix(n)), .radiotap)
            #expect(counters.frames == 1)
            switch n {
            case 0 ..< 8:
                #expect(result.dropReason == .truncatedRadioHeader, "length \(n)")
            case 8 ..< headerLength:
                #expect(result.dropReason == .radioHeaderLengthMismatch, "length \(n)")
            case headerLength ..< headerLength + 24:
                #expect(result.dropReason == .truncated80211Header, "length \(n)")
                #expect(counters.dropped(.truncated80211Header) == 1)
            default:
                let elementBytes = n - headerLength - 24
                let probe = result.probe
                #expect(probe != nil, "length \(n)")
                #expect(probe?.hasMalformedElements == !Fixture.elementEnds.contains(elementBytes), "length \(n)")
                #expect(counters.malformedElementLists == (Fixture.elementEnds.contains(elementBytes) ? 0 : 1))
            }
        }
    }
}
