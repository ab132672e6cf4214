internal import CZlib
/// Builds radiotap + 802.11 probe request frames into one reused buffer.
///
/// The radiotap header is what a Linux mac80211 monitor interface with two receive chains
/// writes (https://www.radiotap.org/fields/defined), 38 bytes: it_present words
/// 0 (TSFT, Flags, Rate, Channel, dBm antenna signal, RX flags, radiotap namespace next,
/// Ext) and 1–2 (dBm antenna signal + Antenna per chain). The frame ends with its FCS
/// (Flags bit 0x10), so readers can check it.
struct ProbeFrameBuilder {
    static let radiotapLength = 38
    private(set) var bytes: [UInt8] = []

    init() { bytes.reserveCapacity(512) }

    struct Radio {
        var tsft: UInt64
        var rate: UInt8
        var channel: UInt8
        var signal: Int8
        var chain0: Int8
        var chain1: Int8
    }

    mutating func build(radio: Radio, source: UInt64, sequence: UInt16, ssid: [UInt8], head: [UInt8], tail: [UInt8]) {
        bytes.removeAll(keepingCapacity: true)
        // Radiotap header.
        bytes.append(0)  // version
        bytes.append(0)  // pad
        put16(UInt16(ProbeFrameBuilder.radiotapLength))
        put32(1 << 0 | 1 << 1 | 1 << 2 | 1 << 3 | 1 << 5 | 1 << 14 | 1 << 29 | 1 << 31)
        put32(1 << 5 | 1 << 11 | 1 << 29 | 1 << 31)
        put32(1 << 5 | 1 << 11)
        put64(radio.tsft)  // offset 16, 8-byte aligned
        bytes.append(0x10)  // Flags: FCS at end
        bytes.append(radio.rate)
        put16(UInt16(2407 + 5 * Int(radio.channel)))  // channels 1–13 (14 is not simulated)
        put16(radio.rate == 2 ? 0x00A0 : 0x00C0)  // 2 GHz + CCK, or 2 GHz + OFDM
        bytes.append(UInt8(bitPattern: radio.signal))
        bytes.append(0)  // pad: RX flags are 2-byte aligned
        put16(0)  // RX flags
        bytes.append(UInt8(bitPattern: radio.chain0))
        bytes.append(0)  // antenna 0
        bytes.append(UInt8(bitPattern: radio.chain1))
        bytes.append(1)  // antenna 1
        // 802.11 probe request (IEEE 802.11-2020 9.3.3.9).
        let start = bytes.count
        bytes.append(0x40)  // frame control: management, probe request
        bytes.append(0x00)
        put16(0)  // duration
        for _ in 0..<6 { bytes.append(0xFF) }  // DA broadcast
        for i in (0..<6).reversed() { bytes.append(UInt8(truncatingIfNeeded: source >> (UInt64(i) * 8))) }
        for _ in 0..<6 { bytes.append(0xFF) }  // BSSID wildcard
        put16(sequence << 4)
        bytes.append(0)  // SSID element
        bytes.append(UInt8(ssid.count))
        bytes.append(contentsOf: ssid)
        bytes.append(contentsOf: head)
        bytes.append(3)  // DS Parameter Set: the channel the probe is sent on
        bytes.append(1)
        bytes.append(radio.channel)
        bytes.append(contentsOf: tail)
        let fcs = bytes.withUnsafeBufferPointer { CRC32.checksum(UnsafeBufferPointer(rebasing: $0[start...])) }
        put32(fcs)
    }

    @inline(__always) private mutating func put16(_ v: UInt16) {
        bytes.append(UInt8(truncatingIfNeeded: v))
        bytes.append(UInt8(truncatingIfNeeded: v >> 8))
    }
    @inline(__always) private mutating func put32(_ v: UInt32) {
        put16(UInt16(truncatingIfNeeded: v))
        put16(UInt16(truncatingIfNeeded: v >> 16))
    }
    @inline(__always) private mutating func put64(_ v: UInt64) {
        put32(UInt32(truncatingIfNeeded: v))
        put32(UInt32(truncatingIfNeeded: v >> 32))
    }
}

/// CRC-32 as the 802.11 FCS uses it (IEEE 802.3), computed by the system zlib.
enum CRC32 {
    static func checksum(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt32 {
        UInt32(truncatingIfNeeded: crc32(0, bytes.baseAddress, uInt(bytes.count)))
    }
}
