/// An SSID as sent in a probe request: up to 32 arbitrary bytes, stored inline.
///
/// SSIDs are octet strings (IEEE 802.11-2020 9.4.2.2), not text: non-UTF-8 bytes are kept
/// exactly, and only ``description`` turns them into text (escaping what is not UTF-8).
public struct SSID: Sendable, Hashable, CustomStringConvertible {
    public static let maxLength = 32
    // Bytes 0…31 in memory order across four words; bytes past `length` stay 0 so
    // synthesized equality and hashing see only the SSID's own bytes.
    private var w0: UInt64 = 0
    private var w1: UInt64 = 0
    private var w2: UInt64 = 0
    private var w3: UInt64 = 0
    private var storedLength: UInt8 = 0

    /// The empty (wildcard) SSID.
    public init() {}

    /// Copies `bytes`; nil when longer than 32 bytes.
    public init?(bytes: UnsafeRawBufferPointer) {
        guard bytes.count <= Self.maxLength else { return nil }
        self.init(truncating: bytes)
    }

    /// Copies `bytes`; nil when longer than 32 bytes.
    public init?(_ bytes: some Sequence<UInt8>) {
        let array = Array(bytes)
        guard array.count <= Self.maxLength else { return nil }
        self = array.withUnsafeBytes { SSID(truncating: $0) }
    }

    /// Copies at most the first 32 bytes of `bytes` (one memcpy).
    @inline(__always)
    init(truncating bytes: UnsafeRawBufferPointer) {
        let n = Swift.min(bytes.count, Self.maxLength)
        var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        if n > 0, let source = bytes.baseAddress {
            Swift.withUnsafeMutableBytes(of: &words) { target in
                target.baseAddress?.copyMemory(from: source, byteCount: n)
            }
        }
        (w0, w1, w2, w3) = words
        storedLength = UInt8(n)
    }

    /// The number of bytes (0…32).
    public var count: Int { Int(storedLength) }

    /// The wildcard SSID (length 0): the phone asks every network to answer.
    public var isWildcard: Bool { storedLength == 0 }

    /// Calls `body` with the SSID's bytes; the view is valid only inside `body`.
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        let words = (w0, w1, w2, w3)
        return try Swift.withUnsafeBytes(of: words) { all in
            try body(UnsafeRawBufferPointer(rebasing: all[0 ..< count]))
        }
    }

    /// The bytes as an array (allocates; for tools and tests, not the hot path).
    public var bytes: [UInt8] { withUnsafeBytes { Array($0) } }

    /// The SSID as UTF-8 text when it is valid UTF-8, else printable ASCII with every
    /// other byte written as `\xNN` (and `\` as `\\`), so distinct SSIDs stay distinct.
    public var description: String {
        withUnsafeBytes { raw in
            if let text = String(validating: raw, as: UTF8.self) { return text }
            let hex: [UInt8] = Array("0123456789abcdef".utf8)
            var out: [UInt8] = []
            for byte in raw {
                if byte == UInt8(ascii: "\\") {
                    out.append(byte); out.append(byte)
                } else if byte >= 0x20 && byte < 0x7F {
                    out.append(byte)
                } else {
                    out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "x"))
                    out.append(hex[Int(byte >> 4)]); out.append(hex[Int(byte & 0xF)])
                }
            }
            return String(decoding: out, as: UTF8.self)
        }
    }
}

/// The rates of a Supported Rates or Extended Supported Rates element, as a bitmask.
///
/// Each rate byte is a 7-bit code in 500 kb/s units plus a "basic rate" top bit
/// (IEEE 802.11-2020 9.4.2.3). Codes 122…127 are BSS membership selectors (e.g. 127 = HT PHY,
/// 126 = VHT PHY, 123 = SAE hash-to-element), kept like rates. Order and duplicates are
/// not kept here; the fingerprint hashes the raw element bytes instead.
public struct RateSet: Sendable, Hashable {
    private var present0: UInt64 = 0
    private var present1: UInt64 = 0
    private var basic0: UInt64 = 0
    private var basic1: UInt64 = 0

    public init() {}

    /// Builds a set from raw rate bytes (code | 0x80 when basic).
    public init(rateBytes: UnsafeRawBufferPointer) {
        for byte in rateBytes { insert(rawByte: byte) }
    }

    /// Adds one raw rate byte: code in the low 7 bits, basic flag in the top bit.
    @inline(__always)
    public mutating func insert(rawByte: UInt8) {
        let bit: UInt64 = 1 << UInt64(rawByte & 0x3F)
        let basicMask: UInt64 = 0 &- UInt64(rawByte >> 7)  // all ones when the basic bit is set
        if rawByte & 0x40 == 0 {
            present0 |= bit
            basic0 |= bit & basicMask
        } else {
            present1 |= bit
            basic1 |= bit & basicMask
        }
    }

    /// Whether the 500 kb/s code (0…127) is in the set.
    public func contains(code: UInt8) -> Bool {
        let c = code & 0x7F
        return c < 64 ? present0 & (1 << UInt64(c)) != 0 : present1 & (1 << UInt64(c - 64)) != 0
    }

    /// Whether the code is in the set and marked basic.
    public func isBasic(code: UInt8) -> Bool {
        let c = code & 0x7F
        return c < 64 ? basic0 & (1 << UInt64(c)) != 0 : basic1 & (1 << UInt64(c - 64)) != 0
    }

    /// The number of distinct codes.
    public var count: Int { present0.nonzeroBitCount + present1.nonzeroBitCount }

    public var isEmpty: Bool { present0 | present1 == 0 }

    /// The codes in ascending order (allocates; for tools and tests).
    public var codes: [UInt8] { (0 ..< 128).compactMap { contains(code: UInt8($0)) ? UInt8($0) : nil } }

    /// The data rates in kb/s, ascending, excluding BSS membership selectors (codes ≥ 122).
    public var ratesKbps: [UInt32] { codes.filter { $0 < 122 }.map { UInt32($0) * 500 } }
}

/// The first 16 bytes of an Extended Capabilities element plus its length, stored inline.
///
/// Bit n of the element (IEEE 802.11-2020 9.4.2.26) is bit n of ``low`` (n < 64) or of
/// ``high`` (64 ≤ n < 128); later bits are rare and only counted by ``length``.
public struct ExtendedCapabilities: Sendable, Hashable {
    public var low: UInt64
    public var high: UInt64
    /// The element's body length in bytes, which may exceed the 16 stored.
    public var length: UInt8

    public init(low: UInt64 = 0, high: UInt64 = 0, length: UInt8 = 0) {
        self.low = low
        self.high = high
        self.length = length
    }

    /// Whether capability bit `n` is set (false for bits not stored).
    public func bit(_ n: Int) -> Bool {
        switch n {
        case 0 ..< 64: return low & (1 << UInt64(n)) != 0
        case 64 ..< 128: return high & (1 << UInt64(n - 64)) != 0
        default: return false
        }
    }
}

/// A vendor-specific element's identity: the 24-bit OUI and, when present, the type byte.
public struct VendorElement: Sendable, Hashable {
    public var oui: UInt32
    public var type: UInt8?
    public init(oui: UInt32, type: UInt8?) {
        self.oui = oui & 0xFF_FFFF
        self.type = type
    }
}

/// Up to eight vendor elements (OUI + type) stored inline, with a count of those that did not fit.
public struct VendorElements: Sendable, Hashable, RandomAccessCollection {
    public static let capacity = 8
    // Each slot is OUI << 8 | type in 32 bits, two slots per word; bit i of `typeKnown`
    // says whether slot i had a type byte.
    private var s01: UInt64 = 0
    private var s23: UInt64 = 0
    private var s45: UInt64 = 0
    private var s67: UInt64 = 0
    private var typeKnown: UInt8 = 0
    private var stored: UInt8 = 0
    /// How many vendor elements were seen beyond the eight stored.
    public private(set) var overflowCount: UInt8 = 0

    public init() {}

    public var startIndex: Int { 0 }
    public var endIndex: Int { Int(stored) }

    public subscript(position: Int) -> VendorElement {
        let i = Swift.min(Swift.max(position, 0), 7)
        let word: UInt64
        switch i / 2 {
        case 0: word = s01
        case 1: word = s23
        case 2: word = s45
        default: word = s67
        }
        let slot = UInt32(truncatingIfNeeded: word >> (UInt64(i % 2) * 32))
        let known = typeKnown & (1 << UInt8(i)) != 0
        return VendorElement(oui: slot >> 8, type: known ? UInt8(truncatingIfNeeded: slot) : nil)
    }

    public mutating func append(_ element: VendorElement) {
        guard stored < 8 else {
            if overflowCount < .max { overflowCount += 1 }
            return
        }
        let i = Int(stored)
        let slot = UInt64((element.oui & 0xFF_FFFF) << 8 | UInt32(element.type ?? 0))
        let shifted = slot << (UInt64(i % 2) * 32)
        switch i / 2 {
        case 0: s01 |= shifted
        case 1: s23 |= shifted
        case 2: s45 |= shifted
        default: s67 |= shifted
        }
        if element.type != nil { typeKnown |= 1 << stored }
        stored += 1
    }
}
