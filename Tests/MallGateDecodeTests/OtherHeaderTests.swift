import Testing
@testable import MallGateDecode

@Suite struct OtherHeaderTests {
    static func ppi(flags: UInt8) -> [UInt8] {
        hex(
            "00", "00",               // PPI version 0, flags 0 (not 32-bit aligned)
            "20 00",                  // header length 32
            "69 00 00 00",            // wrapped DLT 105 (802.11)
            "02 00", "14 00",         // field type 2 (802.11-Common), 20 bytes
            "11 22 33 44 00 00 00 00",// TSF 0x44332211
        ) + [flags, 0x00] + hex(      // 802.11-Common flags
            "04 00",                  // rate 4 × 500 kb/s = 2 Mb/s
            "85 09", "a0 00",         // 2437 MHz, channel flags 0x00a0
            "00 00",                  // FHSS hop set / pattern
            "c4",                     // dBm antenna signal -60
            "a0"                      // dBm antenna noise -96
        )
    }

    @Test func ppiCommonField() throws {
        let probe = try #require(decodeOne(Self.ppi(flags: 0x01) + Fixture.probe + Fixture.probeFCS, .ppi).0.probe)  // flags: FCS present
        #expect(probe.radio.tsft == 0x4433_2211)
        #expect(probe.radio.rateKbps == 2000)
        #expect(probe.radio.channelMHz == 2437 && probe.radio.channel == 6)
        #expect(probe.radio.signalDBm == -60 && probe.radio.noiseDBm == -96)
        #expect(probe.radio.fcsPresent && probe.hasMalformedElements == false)
    }

    @Test func ppiFCSErrorDrops() {
        let (result, counters) = decodeOne(Self.ppi(flags: 0x05) + Fixture.probe + hex("00 00 00 00"), .ppi)  // FCS present + FCS error
        #expect(result.dropReason == .badFCS && counters.dropped(.badFCS) == 1)
    }

    @Test func ppiWrappingEthernetIsUnsupported() {
        var frame = Self.ppi(flags: 0) + Fixture.probe
        frame[4] = 1  // wrapped DLT 1 (Ethernet)
        #expect(decodeOne(frame, .ppi).0.dropReason == .unsupportedEncapsulation)
    }

    @Test func ppiFieldPastHeaderEndDrops() {
        var frame = Self.ppi(flags: 0) + Fixture.probe
        frame[10] = 0x40  // 802.11-Common claims 64 bytes inside a 32-byte header
        #expect(decodeOne(frame, .ppi).0.dropReason == .truncatedRadioField)
    }

    static func prismItem(_ did: String, status: String = "00 00", _ value: String) -> [UInt8] {
        hex(did, status, "04 00", value)  // DID, status, length 4, value
    }

    static func prism(signal: String, rssi: String = "00 00 00 00") -> [UInt8] {
        hex("44 00 00 00", "90 00 00 00")   // msgcode 0x44, msglen 144
            + hex("77 6c 61 6e 30") + [UInt8](repeating: 0, count: 11)  // device name "wlan0"
            + prismItem("44 00 01 00", "00 00 00 00")          // hosttime
            + prismItem("44 00 02 00", "40 e2 01 00")          // mactime 123456
            + prismItem("44 00 03 00", "0b 00 00 00")          // channel 11
            + prismItem("44 00 04 00", rssi)                   // rssi
            + prismItem("44 00 05 00", "00 00 00 00")          // sq
            + prismItem("44 00 06 00", signal)                 // signal
            + prismItem("44 00 07 00", status: "01 00", "00 00 00 00")  // noise: status 1 = no value
            + prismItem("44 00 08 00", "16 00 00 00")          // rate 22 × 500 kb/s = 11 Mb/s
            + prismItem("44 00 09 00", "00 00 00 00")          // istx
            + prismItem("44 00 0a 00", "8d 00 00 00")          // frmlen
    }

    @Test func prismWithDBmSignal() throws {
        let probe = try #require(decodeOne(Self.prism(signal: "c3 ff ff ff") + Fixture.probe, .prism).0.probe)  // signal -61
        #expect(probe.radio.signalDBm == -61)
        #expect(probe.radio.channel == 11)
        #expect(probe.radio.noiseDBm == nil)
        #expect(probe.radio.rateKbps == 11000)
        #expect(probe.radio.tsft == 123456)
    }

    @Test func prismRawUnitsAreNotDBm() throws {
        // As in aircrack-ng's wpa.cap: rssi 0 and signal 57 are raw units.
        let probe = try #require(decodeOne(Self.prism(signal: "39 00 00 00") + Fixture.probe, .prism).0.probe)
        #expect(probe.radio.signalDBm == nil)
        #expect(probe.radio.channel == 11)
    }

    static func avs(ssiType: UInt8) -> [UInt8] {
        hex(
            "80 21 10 01",              // version 0x80211001
            "00 00 00 40",              // header length 64
            "00 00 00 00 00 00 30 39",  // mactime 12345
            "00 00 00 00 00 00 00 00",  // hosttime
            "00 00 00 04",              // phytype 4 (DSSS)
            "00 00 00 06",              // channel 6
            "00 00 00 0a",              // data rate 10 × 100 kb/s = 1 Mb/s
            "00 00 00 01",              // antenna 1
            "00 00 00 00",              // priority
            "00 00 00 0\(ssiType)",    // ssi_type (single digit)
            "ff ff ff c4",              // ssi_signal -60
            "ff ff ff a0",              // ssi_noise -96
            "00 00 00 00",              // preamble
            "00 00 00 00"               // encoding
        )
    }

    @Test func avsDBm() throws {
        let probe = try #require(decodeOne(Self.avs(ssiType: 2) + Fixture.probe, .avs).0.probe)  // ssi_type 2 = dBm
        #expect(probe.radio.signalDBm == -60 && probe.radio.noiseDBm == -96)
        #expect(probe.radio.channel == 6 && probe.radio.rateKbps == 1000 && probe.radio.antenna == 1)
        #expect(probe.radio.tsft == 12345)
    }

    @Test func avsRawRSSIIsNotDBm() throws {
        let probe = try #require(decodeOne(Self.avs(ssiType: 3) + Fixture.probe, .avs).0.probe)  // ssi_type 3 = raw RSSI
        #expect(probe.radio.signalDBm == nil && probe.radio.noiseDBm == nil)
    }

    @Test func avsBadVersionAndLength() {
        var frame = Self.avs(ssiType: 2) + Fixture.probe
        frame[7] = 0x20  // length 32 < 64
        #expect(decodeOne(frame, .avs).0.dropReason == .radioHeaderLengthMismatch)
        frame[0] = 0x12  // not 0x8021100N
        #expect(decodeOne(frame, .avs).0.dropReason == .unsupportedRadioHeaderVersion)
    }

    static let tzspTags = hex(
        "01",        // TZSP version 1
        "00",        // type 0: received tag list
        "00 12",     // encapsulation 18: IEEE 802.11
        "0a 01 c4",  // tag 10 signal: -60 dBm
        "0b 01 a0",  // tag 11 noise: -96 dBm
        "12 01 06",  // tag 18 channel 6
        "0c 01 16",  // tag 12 rate code 22 → 11 Mb/s
        "0d 04 00 01 e2 40", // tag 13 timestamp 123456 µs
        "00",        // tag 0 padding
        "01"         // tag 1 end
    )

    @Test func tzspWith80211() throws {
        let probe = try #require(decodeOne(Self.tzspTags + Fixture.probe, .tzsp).0.probe)
        #expect(probe.radio.signalDBm == -60 && probe.radio.noiseDBm == -96)
        #expect(probe.radio.channel == 6 && probe.radio.rateKbps == 11000 && probe.radio.tsft == 123456)
        #expect(probe.ssid.description == "mall")
        let header = try (Self.tzspTags + Fixture.probe).withUnsafeBytes { try TZSPHeader.parse($0).get() }
        #expect(header.length == Self.tzspTags.count && header.encapsulation == .ieee80211)
    }

    @Test func tzspWithoutEndTagIsTruncated() {
        for n in 0 ..< Self.tzspTags.count {
            #expect(decodeOne(Array(Self.tzspTags.prefix(n)), .tzsp).0.dropReason == .truncatedTZSP, "length \(n)")
        }
    }

    @Test func tzspFCSErrorTagDrops() {
        let frame = hex("01 00 00 12", "11 01 01", "01") + Fixture.probe  // tag 17 FCS error = 1
        #expect(decodeOne(frame, .tzsp).0.dropReason == .badFCS)
    }

    @Test func tzspEthernetIsUnsupported() {
        let frame = hex("01 00 00 01", "01") + Fixture.probe  // encapsulation 1: Ethernet
        #expect(decodeOne(frame, .tzsp).0.dropReason == .unsupportedEncapsulation)
    }

    @Test func tzspWrappingPrismKeepsBoth() throws {
        let frame = hex("01 00 00 77", "12 01 01", "01") + Self.prism(signal: "c3 ff ff ff") + Fixture.probe  // encap 119 Prism; TZSP channel 1
        let probe = try #require(decodeOne(frame, .tzsp).0.probe)
        #expect(probe.radio.signalDBm == -61)
        #expect(probe.radio.channel == 11)  // the inner Prism header wins over the outer tag
    }
}
