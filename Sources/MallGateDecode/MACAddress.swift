/// A 48-bit IEEE MAC address, held in the low 48 bits of a `UInt64` in transmission order.
///
/// A plain integer keeps addresses cheap to copy, hash and compare on the hot path; the
/// first octet sits in the most significant byte so `<` orders addresses as their text does.
public struct MACAddress: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The address, first octet in bits 40–47.
    public let rawValue: UInt64

    /// Makes an address from its 48-bit value; higher bits are discarded.
    @inlinable
    public init(rawValue: UInt64) { self.rawValue = rawValue & 0xFFFF_FFFF_FFFF }

    /// Makes an address from six octets in transmission order.
    public init(_ o0: UInt8, _ o1: UInt8, _ o2: UInt8, _ o3: UInt8, _ o4: UInt8, _ o5: UInt8) {
        var value = UInt64(o0) << 40 | UInt64(o1) << 32 | UInt64(o2) << 24
        value |= UInt64(o3) << 16 | UInt64(o4) << 8 | UInt64(o5)
        self.init(rawValue: value)
    }

    /// Parses "aa:bb:cc:dd:ee:ff" (also with `-` separators, any case); nil for anything else.
    public init?(string: String) {
        var value: UInt64 = 0
        var digits = 0
        var groupDigits = 0
        for unit in string.utf8 {
            let nibble: UInt64
            switch unit {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = UInt64(unit - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = UInt64(unit - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): nibble = UInt64(unit - UInt8(ascii: "A") + 10)
            case UInt8(ascii: ":"), UInt8(ascii: "-"):
                guard groupDigits == 2 else { return nil }
                groupDigits = 0
                continue
            default: return nil
            }
            guard groupDigits < 2, digits < 12 else { return nil }
            value = value << 4 | nibble
            digits += 1
            groupDigits += 1
        }
        guard digits == 12, groupDigits == 2 else { return nil }
        self.init(rawValue: value)
    }

    /// The broadcast address ff:ff:ff:ff:ff:ff.
    public static let broadcast = MACAddress(rawValue: 0xFFFF_FFFF_FFFF)

    /// The octet at `index` (0 = first transmitted).
    @inlinable
    public func octet(_ index: Int) -> UInt8 {
        UInt8(truncatingIfNeeded: rawValue >> (UInt64(5 - min(max(index, 0), 5)) * 8))
    }

    /// The I/G bit: a multicast or broadcast address.
    @inlinable
    public var isGroup: Bool { rawValue & (1 << 40) != 0 }

    /// The U/L bit: set by the device rather than the vendor, which is how phones mark
    /// randomized addresses (IEEE 802 clause 8.2).
    @inlinable
    public var isLocallyAdministered: Bool { rawValue & (2 << 40) != 0 }

    /// The first three octets (the OUI for universally administered addresses).
    @inlinable
    public var oui: UInt32 { UInt32(truncatingIfNeeded: rawValue >> 24) }

    public var description: String {
        let hex: StaticString = "0123456789abcdef"
        var bytes: [UInt8] = []
        bytes.reserveCapacity(17)
        hex.withUTF8Buffer { table in
            for i in 0 ..< 6 {
                let octet = self.octet(i)
                if i > 0 { bytes.append(UInt8(ascii: ":")) }
                bytes.append(table[Int(octet >> 4)])
                bytes.append(table[Int(octet & 0xF)])
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    @inlinable
    public static func < (lhs: MACAddress, rhs: MACAddress) -> Bool { lhs.rawValue < rhs.rawValue }
}
