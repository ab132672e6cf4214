/// How a model did on labelled samples: accuracy per label and of the whole class,
/// calibration, and the classes it mixes up.
public struct Evaluation: Sendable, Equatable {
    public var labelNames: [String]
    /// Per label, then the whole class (all labels right).
    public var accuracy: [Float]
    /// Expected calibration error of the confidence (15 equal-width bins).
    public var calibrationError: Float
    public var sampleCount: Int
    /// (actual label tuple, predicted label tuple, count), most frequent first.
    public var confusions: [(actual: String, predicted: String, count: Int)]

    public static func == (a: Evaluation, b: Evaluation) -> Bool {
        a.labelNames == b.labelNames && a.accuracy == b.accuracy && a.calibrationError == b.calibrationError
            && a.sampleCount == b.sampleCount && a.confusions.elementsEqual(b.confusions, by: { $0 == $1 })
    }

    public var classAccuracy: Float { accuracy.last ?? 0 }

    /// Scores predictions (class index and confidence per row) against the true label tuples.
    public init(classes: ClassList, truth: [[String]], predicted: [Int], confidence: [Float]) {
        let labels = classes.labelNames.count
        var correct = [Int](repeating: 0, count: labels + 1)
        var pairs: [String: Int] = [:]
        var bins = [(count: Int, confidence: Double, correct: Int)](repeating: (0, 0, 0), count: 15)
        for i in truth.indices {
            let p = classes.classes[predicted[i]]
            var all = true
            for l in 0..<labels {
                if p[l] == truth[i][l] { correct[l] += 1 } else { all = false }
            }
            if all { correct[labels] += 1 } else { pairs[truth[i].joined(separator: "/") + "\u{0}" + p.joined(separator: "/"), default: 0] += 1 }
            let b = min(14, Int(confidence[i] * 15))
            bins[b].count += 1
            bins[b].confidence += Double(confidence[i])
            bins[b].correct += all ? 1 : 0
        }
        let n = max(1, truth.count)
        labelNames = classes.labelNames
        accuracy = correct.map { Float($0) / Float(n) }
        var ece = 0.0
        for b in bins where b.count > 0 {
            ece += Double(b.count) / Double(n) * abs(b.confidence / Double(b.count) - Double(b.correct) / Double(b.count))
        }
        calibrationError = Float(ece)
        sampleCount = truth.count
        confusions = pairs.sorted { $0.value > $1.value || ($0.value == $1.value && $0.key < $1.key) }.prefix(10).map {
            let parts = $0.key.split(separator: "\u{0}", omittingEmptySubsequences: false)
            return (String(parts[0]), String(parts[1]), $0.value)
        }
    }
}

extension LocalizationModel {
    /// Predicts every sample of `set` (aligned to this model's sensors by name) and scores it,
    /// on all cores. Returns nil when the set shares no sensor with the model.
    public func evaluate(_ set: FingerprintSet) async -> (Evaluation, predicted: [Int], probabilities: [Float])? {
        guard let set = set.aligned(to: features.sensorNames) else { return nil }
        let c = classes.count
        let model = self
        let chunks = Trainer.chunks(set.count, parts: Trainer.parallelism * 4)
        var probs = [Float](repeating: 0, count: set.count * c)
        var predicted = [Int](repeating: 0, count: set.count)
        var confidence = [Float](repeating: 0, count: set.count)
        await withTaskGroup(of: (Range<Int>, [Float]).self) { group in
            for range in chunks {
                group.addTask {
                    var out = [Float](repeating: 0, count: range.count * c)
                    out.withUnsafeMutableBufferPointer { out in
                        for (k, i) in range.enumerated() {
                            _ = model.predict(set.samples[i], probabilities: UnsafeMutableBufferPointer(rebasing: out[(k * c)..<((k + 1) * c)]))
                        }
                    }
                    return (range, out)
                }
            }
            for await (range, out) in group {
                for (k, i) in range.enumerated() {
                    var best = 0
                    for j in 0..<c where out[k * c + j] > out[k * c + best] { best = j }
                    predicted[i] = best
                    confidence[i] = out[k * c + best]
                    for j in 0..<c { probs[i * c + j] = out[k * c + j] }
                }
            }
        }
        return (Evaluation(classes: classes, truth: set.labels, predicted: predicted, confidence: confidence), predicted, probs)
    }
}
