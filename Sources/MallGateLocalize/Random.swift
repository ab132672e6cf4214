/// A small seeded generator (SplitMix64), so training, folds and synthetic data repeat exactly
/// for a given `--seed` on every platform.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) {
        state = seed
    }

    public mutating func next() -> UInt64 {
        // SplitMix64 (Steele, Lea, Flood 2014); wrapping arithmetic is the algorithm.
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    mutating func unit() -> Float {
        Float(next() >> 40) * (1 / Float(1 << 24))
    }

    /// Standard normal (Box–Muller).
    mutating func gaussian() -> Float {
        let u1 = max(Double(next() >> 11) * (1 / Double(1 << 53)), 1e-300)
        let u2 = Double(next() >> 11) * (1 / Double(1 << 53))
        let r = (-2 * log(u1)).squareRoot()
        return Float(r * cosine(2 * Double.pi * u2))
    }
}

/// cos without libm: reduce to [−π, π], then a Taylor polynomial (enough for weight init).
func cosine(_ x: Double) -> Double {
    var r = x.truncatingRemainder(dividingBy: 2 * Double.pi)
    if r > Double.pi { r -= 2 * Double.pi } else if r < -Double.pi { r += 2 * Double.pi }
    let r2 = r * r
    var p = -1.0 / 87178291200
    p = p * r2 + 1.0 / 479001600
    p = p * r2 - 1.0 / 3628800
    p = p * r2 + 1.0 / 40320
    p = p * r2 - 1.0 / 720
    p = p * r2 + 1.0 / 24
    p = p * r2 - 0.5
    return p * r2 + 1
}
