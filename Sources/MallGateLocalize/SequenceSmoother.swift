/// A forward filter over one device's consecutive samples with a single "stay" probability:
/// the simplest temporal smoothing, for datasets that come as time series of one tag.
///
/// The venue version replaces the uniform switch with the layout's connections (a device
/// moves only to adjacent zones); the recursion is the same: prior = transition × belief,
/// belief ∝ prior × per-sample probability. Only past samples are used (it runs online).
public struct SequenceSmoother: Sendable {
    /// Probability per step that the device moved to another class (spread evenly over them).
    public var switchProbability: Float

    public init(switchProbability: Float = 0.02) {
        self.switchProbability = switchProbability
    }

    /// Smooths per-sample class probabilities (`classCount` per row) over each sequence, rows
    /// of one sequence taken in `time` order (else in row order).
    public func smooth(probabilities: [Float], classCount c: Int, sequence: [String], time: [Double]?) -> (predicted: [Int], confidence: [Float]) {
        let n = sequence.count
        var predicted = [Int](repeating: 0, count: n)
        var confidence = [Float](repeating: 0, count: n)
        var groups: [String: [Int]] = [:]
        for i in 0..<n { groups[sequence[i], default: []].append(i) }
        var belief = [Float](repeating: 0, count: c)
        for (_, var rows) in groups {
            if let time { rows.sort { time[$0] < time[$1] || (time[$0] == time[$1] && $0 < $1) } }
            for j in 0..<c { belief[j] = 1 / Float(c) }
            let stay = 1 - switchProbability
            let move = switchProbability / Float(max(1, c - 1))
            for r in rows {
                var sum: Float = 0
                for j in 0..<c {
                    // P(class j now) = stay × b_j + move × (1 − b_j).
                    let prior = stay * belief[j] + move * (1 - belief[j])
                    let v = prior * max(probabilities[r * c + j], 1e-6)
                    belief[j] = v
                    sum += v
                }
                var best = 0
                for j in 0..<c {
                    belief[j] /= sum
                    if belief[j] > belief[best] { best = j }
                }
                predicted[r] = best
                confidence[r] = belief[best]
            }
        }
        return (predicted, confidence)
    }
}
