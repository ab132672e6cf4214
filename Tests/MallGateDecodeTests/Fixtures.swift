@testable import MallGateDecode

/// Hand-written frames; each hex group's comment says what it claims.
enum Fixture {
    /// The 24-byte management header of a probe request from a randomized address.
    static let probeHeader = hex(
        "40 00",              // frame control: type 0 (management), subtype 4 (probe request), no flags
        "00 00",              // duration
        "ff ff ff ff ff ff",  // addr1 = DA: broadcast
        "02 11 22 33 44 55",  // addr2 = SA: 02:… has the locally-administered bit (randomized)
        "ff ff ff ff ff ff",  // addr3 = BSSID: wildcard
        "30 12"               // sequence control: sequence 0x123, fragment 0
    )

    /// A probe request element list with every element the decoder reads (117 bytes).
    static let allElements = hex(
        "00 04 6d 61 6c 6c",                         // SSID "mall"
        "01 04 82 84 8b 96",                         // supported rates 1, 2, 5.5, 11 Mb/s, all basic
        "03 01 06",                                  // DS parameter set: channel 6
        "2d 1a ef 01", String(repeating: "00", count: 24), // HT capabilities: info 0x01ef, 24 zero bytes
        "32 04 0c 12 18 60",                         // extended rates 6, 9, 12, 48 Mb/s, not basic
        "7f 08 04 00 0a 02 01 00 40 80",             // extended capabilities, 8 bytes
        "bf 0c 92 01 80 33 fe ff 00 00 fe ff 00 00", // VHT capabilities: info 0x33800192, MCS map
        "dd 07 00 50 f2 08 00 12 00",                // vendor: Microsoft OUI 00:50:f2, type 8
        "dd 09 00 10 18 02 00 00 1c 00 00",          // vendor: Broadcom OUI 00:10:18, type 2
        "ff 16 23",                                  // extension element, ext id 35 = HE capabilities
        "03 08 00 80 0c 40",                         //   HE MAC capabilities (6 bytes)
        "00 20 02 c0 0f 43 95 18 00 0c 00",          //   HE PHY capabilities (11 bytes)
        "fa ff fa ff"                                //   HE MCS/NSS map
    )
    /// Where each element of ``allElements`` ends (the list is well-formed when cut there).
    static let elementEnds: Set<Int> = [0, 6, 12, 15, 43, 49, 59, 73, 82, 93, 117]

    /// `allElements` fingerprint by the documented MGIE1 algorithm, computed by an
    /// independent Python implementation of the doc comment (not by MallGate).
    static let allElementsFingerprint: UInt64 = 0x3319_F12B_FDFE_A554

    static let probe = probeHeader + allElements
    /// CRC-32 of ``probe``, little-endian, from Python's zlib.crc32.
    static let probeFCS = hex("fc b8 27 9e")

    /// A radiotap header with TSFT, flags, rate, channel, dBm signal, dBm noise and antenna (25 bytes).
    static func radiotap(flags: UInt8 = 0x00) -> [UInt8] {
        hex(
            "00",                       // version 0
            "00",                       // pad
            "19 00",                    // header length 25
            "6f 08 00 00",              // present: TSFT(0) flags(1) rate(2) channel(3) signal(5) noise(6) antenna(11)
            "01 02 03 04 05 06 07 08",  // @8  TSFT 0x0807060504030201 µs (8-aligned)
        ) + [flags] + hex(              // @16 flags
            "02",                       // @17 rate 2 × 500 kb/s = 1 Mb/s
            "85 09 a0 00",              // @18 channel 2437 MHz (ch 6), flags 0x00a0 (CCK, 2 GHz)
            "c4",                       // @22 dBm antenna signal -60
            "a0",                       // @23 dBm antenna noise -96
            "01"                        // @24 antenna 1
        )
    }
}
