import Glibc
@testable import MallGateDecode

/// Bytes from hex groups (spaces ignored), so fixtures can comment each group.
func hex(_ groups: String...) -> [UInt8] {
    var out: [UInt8] = []
    var pending: UInt8? = nil
    for unit in groups.joined().utf8 {
        let nibble: UInt8
        switch unit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = unit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = unit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): nibble = unit - UInt8(ascii: "A") + 10
        default: continue
        }
        if let high = pending { out.append(high << 4 | nibble); pending = nil } else { pending = nibble }
    }
    precondition(pending == nil, "odd number of hex digits in fixture")
    return out
}

/// Decodes one frame with a fresh decoder; returns the result and the decoder's counters.
func decodeOne(_ bytes: [UInt8], _ linkType: LinkType, options: DecodeOptions = .init()) -> (DecodedFrame, DecodeCounters) {
    var decoder = FrameDecoder(linkType: linkType, options: options)
    let result = bytes.withUnsafeBytes { decoder.decode($0) }
    return (result, decoder.counters)
}

extension DecodedFrame {
    var probe: ProbeRequest? { if case .probeRequest(let p) = self { return p } else { return nil } }
    var device: DeviceFrame? { if case .deviceFrame(let d) = self { return d } else { return nil } }
    var dropReason: DropReason? { if case .dropped(let r) = self { return r } else { return nil } }
    var isOther: Bool { if case .otherFrame = self { return true } else { return false } }
}

/// The shared third-party captures, or nil when `../shared` is absent (tests then skip).
let capturesDirectory: String? = {
    // #filePath = <root>/Tests/MallGateDecodeTests/TestSupport.swift
    var parts = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast(3)
    let dir = parts.joined(separator: "/") + "/../shared/captures"
    return access(dir, F_OK) == 0 ? dir : nil
}()

func readFile(_ path: String) -> [UInt8]? {
    guard let f = fopen(path, "rb") else { return nil }
    defer { fclose(f) }
    var out: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = fread(&buffer, 1, buffer.count, f)
        if n <= 0 { break }
        out.append(contentsOf: buffer[0 ..< n])
    }
    return out
}

/// A minimal classic-pcap reader for tests (both byte orders, µs and ns magic).
struct PcapFile {
    struct Record { var data: [UInt8]; var originalLength: Int }
    var linkType: LinkType
    var records: [Record]

    enum Failure: Error { case unreadable(String), notClassicPcap(String) }

    init(path: String) throws {
        guard let bytes = readFile(path) else { throw Failure.unreadable(path) }
        guard bytes.count >= 24 else { throw Failure.notClassicPcap(path) }
        let magic = UInt32(bytes[0]) | UInt32(bytes[1]) << 8 | UInt32(bytes[2]) << 16 | UInt32(bytes[3]) << 24
        let bigEndian: Bool
        switch magic {
        case 0xA1B2_C3D4, 0xA1B2_3C4D: bigEndian = false
        case 0xD4C3_B2A1, 0x4D3C_B2A1: bigEndian = true
        default: throw Failure.notClassicPcap(path)
        }
        func u32(_ o: Int) -> UInt32 {
            let v = UInt32(bytes[o]) | UInt32(bytes[o + 1]) << 8 | UInt32(bytes[o + 2]) << 16 | UInt32(bytes[o + 3]) << 24
            return bigEndian ? v.byteSwapped : v
        }
        linkType = LinkType(rawValue: Int32(u32(20) & 0x0FFF_FFFF))
        records = []
        var offset = 24
        while offset + 16 <= bytes.count {
            let included = Int(u32(offset + 8))
            let original = Int(u32(offset + 12))
            offset += 16
            // A record cut off by the end of the file is dropped, as libpcap/tshark do.
            guard included <= bytes.count - offset else { break }
            let end = offset + included
            records.append(Record(data: Array(bytes[offset ..< end]), originalLength: original))
            offset = end
        }
    }
}

/// Decodes every frame of a capture; returns the decoded frames and the counters.
func decodeCapture(_ relativePath: String, options: DecodeOptions = .init()) throws -> (pcap: PcapFile, results: [DecodedFrame], counters: DecodeCounters)? {
    guard let dir = capturesDirectory else { return nil }
    let pcap = try PcapFile(path: dir + "/" + relativePath)
    var decoder = FrameDecoder(linkType: pcap.linkType, options: options)
    let results = pcap.records.map { record in record.data.withUnsafeBytes { decoder.decode($0) } }
    return (pcap, results, decoder.counters)
}

/// A small deterministic generator (SplitMix64) for reproducible random inputs.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
