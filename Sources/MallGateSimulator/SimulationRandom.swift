#if canImport(Glibc)
internal import Glibc
#endif

/// The simulator's seeded random number generator: xoshiro256** (Blackman & Vigna,
/// https://prng.di.unimi.it/), seeded through SplitMix64.
///
/// Every random choice in a simulation comes from one of these, seeded from the
/// configuration's seed and a stream number (a person, a sensor, a field), so a run is
/// byte-identical for a seed whatever the thread scheduling, and one person's draws do
/// not shift when another person is added.
public struct SimulationRandom: RandomNumberGenerator, Sendable {
    private var s0: UInt64
    private var s1: UInt64
    private var s2: UInt64
    private var s3: UInt64

    /// A generator for `stream` of a simulation seeded with `seed`.
    public init(seed: UInt64, stream: UInt64 = 0) {
        var state = seed ^ (stream &* 0xD1B5_4A32_D192_ED03)
        s0 = SimulationRandom.splitMix(&state)
        s1 = SimulationRandom.splitMix(&state)
        s2 = SimulationRandom.splitMix(&state)
        s3 = SimulationRandom.splitMix(&state)
        if s0 | s1 | s2 | s3 == 0 { s0 = 1 }  // the all-zero state is the one xoshiro cannot leave
    }

    /// SplitMix64 (Steele, Lea & Flood 2014): spreads any 64-bit seed over the state.
    @inline(__always)
    static func splitMix(_ state: inout UInt64) -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A stateless 64-bit hash of several words: per-frame randomness (fast fading,
    /// chain differences) that does not depend on the order frames are computed in.
    @inline(__always)
    public static func hash(_ a: UInt64, _ b: UInt64, _ c: UInt64 = 0, _ d: UInt64 = 0) -> UInt64 {
        var state = a
        var h = splitMix(&state)
        state = h ^ b
        h = splitMix(&state)
        state = h ^ c
        h = splitMix(&state)
        state = h ^ d
        return splitMix(&state)
    }

    @inline(__always)
    public mutating func next() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = s3 << 45 | s3 >> 19
        return result
    }

    /// Uniform in [0, 1), 53 bits.
    @inline(__always)
    public mutating func unit() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// Uniform in [low, high).
    public mutating func uniform(_ low: Double, _ high: Double) -> Double { low + (high - low) * unit() }

    /// True with probability `p`.
    public mutating func chance(_ p: Double) -> Bool { unit() < p }

    /// A standard normal deviate (Box–Muller; one of the pair is dropped to keep draws countable).
    public mutating func gaussian() -> Double {
        let u1 = max(unit(), 0x1.0p-53)
        let u2 = unit()
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }

    /// Exponentially distributed with the given mean.
    public mutating func exponential(mean: Double) -> Double { -mean * log(max(1 - unit(), 0x1.0p-53)) }

    /// Log-normally distributed with the given median and σ of the logarithm.
    public mutating func logNormal(median: Double, sigma: Double) -> Double { median * exp(sigma * gaussian()) }

    /// An index drawn with probability proportional to `weights`.
    public mutating func weightedIndex(_ weights: [Double]) -> Int {
        let total = weights.reduce(0, +)
        var target = unit() * total
        for (i, w) in weights.enumerated() {
            target -= w
            if target < 0 { return i }
        }
        return weights.count - 1
    }
}

/// A standard normal deviate from a 64-bit hash (two 26-bit uniforms, Box–Muller).
@inline(__always)
func gaussianFromHash(_ h: UInt64) -> Double {
    let u1 = (Double(h >> 38) + 0.5) * 0x1.0p-26
    let u2 = Double((h >> 12) & 0x3FF_FFFF) * 0x1.0p-26
    return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
}
