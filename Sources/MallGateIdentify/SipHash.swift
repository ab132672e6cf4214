/// SipHash-2-4 of one 64-bit word under a 128-bit key (Aumasson & Bernstein, "SipHash: a fast
/// short-input PRF", 2012, https://www.aumasson.jp/siphash/siphash.pdf).
///
/// The device-id cache is keyed by this, with a key drawn at random per process, so the cache
/// holds no MAC and no unkeyed function of one (an unkeyed 48-bit input is reversed by
/// enumeration). Swift's `Hasher` is SipHash-1-3 too, but its seed is fixed when the
/// environment sets SWIFT_DETERMINISTIC_HASHING, which would make the cache keys an unkeyed hash.
struct SipHash24: Sendable {
    let k0: UInt64
    let k1: UInt64

    init(k0: UInt64, k1: UInt64) {
        self.k0 = k0
        self.k1 = k1
    }

    /// A key from the system's secure generator.
    static func random() -> SipHash24 {
        var g = SystemRandomNumberGenerator()
        return SipHash24(k0: g.next(), k1: g.next())
    }

    /// The hash of the 8-byte message `m` (little-endian, as the reference implementation reads it).
    @inline(__always)
    func hash(_ m: UInt64) -> UInt64 {
        var v0: UInt64 = k0 ^ 0x736f_6d65_7073_6575
        var v1: UInt64 = k1 ^ 0x646f_7261_6e64_6f6d
        var v2: UInt64 = k0 ^ 0x6c79_6765_6e65_7261
        var v3: UInt64 = k1 ^ 0x7465_6462_7974_6573
        @inline(__always) func round() {
            // Wrapping additions are the cipher's ARX arithmetic, mod 2⁶⁴ by design.
            v0 &+= v1; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32)
            v2 &+= v3; v3 = rotl(v3, 16); v3 ^= v2
            v0 &+= v3; v3 = rotl(v3, 21); v3 ^= v0
            v2 &+= v1; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32)
        }
        v3 ^= m
        round(); round()
        v0 ^= m
        let last: UInt64 = 8 << 56  // message length 8 in the top byte, no trailing bytes
        v3 ^= last
        round(); round()
        v0 ^= last
        v2 ^= 0xFF
        round(); round(); round(); round()
        return v0 ^ v1 ^ v2 ^ v3
    }

    @inline(__always)
    func rotl(_ x: UInt64, _ r: UInt64) -> UInt64 { x << r | x >> (64 &- r) }
}
