/// How well a grouping of frames into devices matches the truth: the figures docs/accuracy.md reports.
///
/// Standard clustering measures over frames: purity (each predicted device is credited with its
/// majority true device; the share of frames credited), inverse purity (the same from the true
/// devices' side, i.e. how unfragmented they are), and the count error the issue asks for.
public struct GroupingScore: Sendable, Equatable {
    /// Frames scored (those with a truth label).
    public var frames: Int
    /// Distinct predicted devices among the scored frames.
    public var predictedDevices: Int
    /// Distinct true devices among the scored frames.
    public var trueDevices: Int
    /// Σ over predicted devices of their largest true-device share, over frames.
    public var purity: Double
    /// Σ over true devices of their largest predicted-device share, over frames.
    public var inversePurity: Double
    /// Predicted devices per true device: Σ over true devices of the predicted devices holding
    /// its frames, divided by the true devices (1 = no fragmentation).
    public var fragmentation: Double

    /// (predicted − true) / true.
    public var countError: Double { trueDevices > 0 ? Double(predictedDevices - trueDevices) / Double(trueDevices) : 0 }

    /// Scores `pairs` of (predicted device, true device), one per frame.
    public init<P: Hashable, T: Hashable>(_ pairs: some Sequence<(predicted: P, truth: T)>) {
        var joint: [P: [T: Int]] = [:]
        var byTruth: [T: [P: Int]] = [:]
        var n = 0
        for (p, t) in pairs {
            joint[p, default: [:]][t, default: 0] += 1
            byTruth[t, default: [:]][p, default: 0] += 1
            n += 1
        }
        frames = n
        predictedDevices = joint.count
        trueDevices = byTruth.count
        let majority = joint.values.reduce(0) { $0 + ($1.values.max() ?? 0) }
        let inverse = byTruth.values.reduce(0) { $0 + ($1.values.max() ?? 0) }
        purity = n > 0 ? Double(majority) / Double(n) : 1
        inversePurity = n > 0 ? Double(inverse) / Double(n) : 1
        fragmentation = byTruth.isEmpty ? 1 : Double(byTruth.values.reduce(0) { $0 + $1.count }) / Double(byTruth.count)
    }
}
