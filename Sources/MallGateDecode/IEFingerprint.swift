/// A stable 64-bit hash of the parts of a probe request that stay the same from scan to scan.
///
/// Phones randomize their MAC, sequence numbers and often the SSIDs they ask for, but the
/// set and content of capability elements rarely changes between scans, so this hash helps
/// group frames from one device (Vanhoef et al., "Why MAC address randomization is not
/// enough", AsiaCCS 2016).
///
/// **Algorithm ("MGIE1")**, fixed forever so values can be stored and compared across runs,
/// processes, architectures and versions (it does not use Swift's `Hasher`):
/// - Input: the byte string S = the raw bytes (id, length, body) of every well-formed element
///   of the list, in order, **except** SSID (0) — it changes with every directed scan — and
///   DS Parameter Set (3) — it is the channel being scanned. Everything else is kept,
///   including vendor elements such as WPS whose UUID is device-unique: that helps grouping.
///   Elements after a malformed one are not seen. (The TLV bytes are self-delimiting, so
///   S is unambiguous without extra separators.)
/// - State: `h = 0x4D47_4945_3100_0000 ^ P5` (64-bit, wrapping arithmetic, P1…P5 the xxHash64 primes).
/// - S is absorbed in 8-byte little-endian words, the last one zero-padded, then one more
///   word holding S's length in bytes.
/// - absorb(w): `k = rotl(w &* P2, 31) &* P1; h = rotl(h ^ k, 27) &* P1 &+ P4`.
/// - Finally the xxHash64 avalanche: `h ^= h >> 33; h &*= P2; h ^= h >> 29; h &*= P3; h ^= h >> 32`.
///
/// Cost: one multiply chain step per 8 bytes of elements (~10 steps for a typical probe).
public struct IEFingerprint: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt64
    @inlinable
    public init(rawValue: UInt64) { self.rawValue = rawValue }

    /// Sixteen lowercase hex digits.
    public var description: String {
        let digits = String(rawValue, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    /// The fingerprint of a whole element list (same rules as in probe decoding).
    public init(elements bytes: UnsafeRawBufferPointer) {
        self = ProbeRequestElements(parsing: bytes).fingerprint
    }

    struct Hasher {
        static let p1: UInt64 = 0x9E37_79B1_85EB_CA87
        static let p2: UInt64 = 0xC2B2_AE3D_27D4_EB4F
        static let p3: UInt64 = 0x1656_67B1_9E37_79F9
        static let p4: UInt64 = 0x85EB_CA77_C2B2_AE63
        static let p5: UInt64 = 0x27D4_EB2F_1656_67C5

        var h: UInt64 = 0x4D47_4945_3100_0000 ^ p5

        @inline(__always)
        mutating func absorb(word w: UInt64) {
            let k = rotl(w &* Self.p2, 31) &* Self.p1
            h = rotl(h ^ k, 27) &* Self.p1 &+ Self.p4
        }

        /// Bytes of S not yet absorbed (fewer than 8), little-endian from bit 0.
        var pending: UInt64 = 0
        var pendingBytes: UInt64 = 0
        var total: UInt64 = 0

        /// Appends list bytes `from ..< to` to S; the caller has checked `to ≤` the list's count.
        @inline(__always)
        mutating func feed(_ base: UnsafeRawPointer, from: Int, to: Int) {
            var i = from
            total &+= UInt64(to - from)  // to ≥ from, and a list is far below 2⁶⁴ bytes
            while pendingBytes != 0 && i < to {
                pending |= UInt64(base.load(fromByteOffset: i, as: UInt8.self)) << (pendingBytes * 8)
                pendingBytes += 1
                i += 1
                if pendingBytes == 8 {
                    absorb(word: pending)
                    pending = 0
                    pendingBytes = 0
                }
            }
            while to - i >= 8 {
                absorb(word: UInt64(littleEndian: base.loadUnaligned(fromByteOffset: i, as: UInt64.self)))
                i += 8
            }
            while i < to {
                pending |= UInt64(base.load(fromByteOffset: i, as: UInt8.self)) << (pendingBytes * 8)
                pendingBytes += 1
                i += 1
            }
        }

        @inline(__always)
        func finalize() -> IEFingerprint {
            var copy = self
            if copy.pendingBytes != 0 { copy.absorb(word: copy.pending) }
            copy.absorb(word: total)
            var x = copy.h
            x ^= x >> 33
            x = x &* Self.p2
            x ^= x >> 29
            x = x &* Self.p3
            x ^= x >> 32
            return IEFingerprint(rawValue: x)
        }

        @inline(__always)
        func rotl(_ x: UInt64, _ r: UInt64) -> UInt64 { x << r | x >> (64 - r) }
    }
}
