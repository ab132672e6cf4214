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
        mutating func absorb(word w: UInt64) { h = Self.step(h, w) }

        /// One absorb step on state `h`.
        @inline(__always)
        static func step(_ h: UInt64, _ w: UInt64) -> UInt64 {
            let k = rotl(w &* p2, 31) &* p1  // wrapping is the point: hash arithmetic mod 2⁶⁴
            return rotl(h ^ k, 27) &* p1 &+ p4  // wrapping is the point: hash arithmetic mod 2⁶⁴
        }

        /// Bytes of S not yet absorbed (fewer than 8), little-endian from bit 0.
        var pending: UInt64 = 0
        var pendingBytes: UInt64 = 0
        var total: UInt64 = 0

        /// Appends list bytes `from ..< to` to S; the caller has checked `to ≤ listCount`.
        @inline(__always)
        mutating func feed(_ base: UnsafeRawPointer, from: Int, to: Int, listCount: Int) {
            var i = from
            total &+= UInt64(to &- from)  // to ≥ from, and a list is far below 2⁶⁴ bytes
            if pendingBytes != 0 {
                let take = Swift.min(8 &- Int(pendingBytes), to &- i)  // 1…7
                pending |= Self.partialWord(base, at: i, count: take, listCount: listCount) << (pendingBytes &* 8)
                pendingBytes &+= UInt64(take)  // ≤ 8
                i &+= take
                guard pendingBytes == 8 else { return }
                absorb(word: pending)
                pending = 0
                pendingBytes = 0
            }
            // A counted loop with the state in a local: no overflow checks or stores per word.
            // i ≤ to ≤ listCount, so `&+` on i and the word count cannot overflow.
            var words = (to &- i) >> 3
            var state = h
            while words > 0 {
                let w = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: i, as: UInt64.self))
                state = Self.step(state, w)
                i &+= 8
                words &-= 1
            }
            h = state
            if i < to {
                pending = Self.partialWord(base, at: i, count: to - i, listCount: listCount)
                pendingBytes = UInt64(to - i)
            }
        }

        /// `count` (1…7) list bytes at `at` as a little-endian word, using one 8-byte load
        /// that stays inside the list (ending at `at + count`, or starting at `at`) when the list is long enough.
        @inline(__always)
        static func partialWord(_ base: UnsafeRawPointer, at: Int, count: Int, listCount: Int) -> UInt64 {
            let end = at + count
            if end >= 8 {
                let w = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: end - 8, as: UInt64.self))
                return w >> (UInt64(8 - count) * 8)
            }
            if listCount - at >= 8 {
                let w = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: at, as: UInt64.self))
                return w & ((1 << (UInt64(count) * 8)) - 1)
            }
            var w: UInt64 = 0
            var k = 0
            while k < count {
                w |= UInt64(base.load(fromByteOffset: at + k, as: UInt8.self)) << (UInt64(k) * 8)
                k += 1
            }
            return w
        }

        @inline(__always)
        func finalize() -> IEFingerprint {
            var copy = self
            if copy.pendingBytes != 0 { copy.absorb(word: copy.pending) }
            copy.absorb(word: total)
            var x = copy.h
            x ^= x >> 33
            x = x &* Self.p2  // wrapping is the point: hash arithmetic mod 2⁶⁴
            x ^= x >> 29
            x = x &* Self.p3  // wrapping is the point: hash arithmetic mod 2⁶⁴
            x ^= x >> 32
            return IEFingerprint(rawValue: x)
        }

        @inline(__always)
        static func rotl(_ x: UInt64, _ r: UInt64) -> UInt64 { x << r | x >> (64 &- r) }
    }
}
