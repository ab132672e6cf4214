/// What to train and how to choose; one struct so the CLI, the daemon and tests agree.
public struct TrainingOptions: Sendable {
    public var channels: FeatureSpec.Channels = .robust
    public var statistic: FeatureSpec.Statistic = .median
    /// A sensor this many dB below the strongest maps to 0 in the relative block.
    public var relativeSpanDB: Float = FeatureSpec.defaultRelativeSpanDB
    /// Model kinds to cross-validate; the most accurate is kept (ties go to the later one in the list).
    public var candidates: [LocalizationModel.Kind] = [.knn, .mlp]
    /// Cross-validation folds; below 2 there is no selection and the first candidate is trained.
    public var folds: Int = 5
    public var seed: UInt64 = 0
    public var knnK: Int = 5
    public var mlp = MLPOptions()
    public var trees = TreeOptions()
    public var venueID: String = ""
    public var layoutHash: UInt64 = 0
    public init() {}
}

/// Progress of a training run, for a progress bar.
public struct TrainingProgress: Sendable {
    /// Finished and total jobs (one per model kind and fold, plus the final model).
    public var done: Int
    public var total: Int
    public var message: String
}

/// Why training could not start.
public struct TrainingError: Error, CustomStringConvertible {
    public let description: String
}

/// Cross-validates the candidate models, keeps the best, fits its temperature on the
/// held-out predictions and trains it on all samples, using every core.
public enum Trainer {
    /// Concurrent jobs; the gateways have 2–4 cores.
    static let parallelism = 2

    public static func train(
        _ set: FingerprintSet, options: TrainingOptions, progress: (@Sendable (TrainingProgress) -> Void)? = nil
    ) async throws -> LocalizationModel {
        try await trainWithHeldOut(set, options: options, progress: progress).model
    }

    /// ``train(_:options:progress:)``, also returning the chosen kind's calibrated probabilities
    /// on the held-out folds (`classCount` per sample, in the model's class order; nil without
    /// cross-validation), e.g. to evaluate temporal smoothing without training on the test rows.
    public static func trainWithHeldOut(
        _ set: FingerprintSet, options: TrainingOptions, progress: (@Sendable (TrainingProgress) -> Void)? = nil
    ) async throws -> (model: LocalizationModel, heldOut: [Float]?) {
        let clock = ContinuousClock()
        let start = clock.now
        guard set.count > 0 else { throw TrainingError(description: "no training samples") }
        guard !set.sensorNames.isEmpty else { throw TrainingError(description: "no RSSI columns: nothing to localize from") }
        guard !options.candidates.isEmpty else { throw TrainingError(description: "no model kind to train") }
        let (classes, y) = ClassList.from(labelNames: set.labelNames, rows: set.labels)
        guard classes.count >= 2 else { throw TrainingError(description: "only one class (\(classes.name(0))): nothing to tell apart") }
        guard classes.count <= Int(UInt16.max) else { throw TrainingError(description: "\(classes.count) classes; at most 65535") }
        let spec = FeatureSpec(sensorNames: set.sensorNames, channels: options.channels, statistic: options.statistic, relativeSpanDB: options.relativeSpanDB)
        let f = spec.featureCount
        var x = [Float](repeating: 0, count: set.count * f)
        x.withUnsafeMutableBufferPointer { x in
            for i in 0..<set.count { spec.encode(set.samples[i], into: UnsafeMutableBufferPointer(rebasing: x[(i * f)..<((i + 1) * f)])) }
        }
        let c = classes.count
        var classCounts = [Int](repeating: 0, count: c)
        for v in y { classCounts[v] += 1 }
        let folds = options.folds >= 2 ? min(options.folds, set.count) : 0
        let candidates = folds == 0 ? [options.candidates[0]] : options.candidates
        // Single models to cross-validate: the candidates and the members of any ensemble.
        var base: [LocalizationModel.Kind] = []
        for k in candidates { for m in k.members where !base.contains(m) { base.append(m) } }
        let fitted = folds == 0 ? [] : base
        let total = fitted.count * folds + candidates.map(\.members.count).max()!
        let features = x
        let sensorCount = spec.sensorCount
        if base.contains(.trees) && f >= Int(TreeEnsembleModel.leafMarker) {
            throw TrainingError(description: "\(f) features; trees take at most \(Int(TreeEnsembleModel.leafMarker) - 1)")
        }

        // Cross-validation: one job per (kind, fold), all in one task group.
        var reports: [TrainingReport.Candidate] = []
        var oof: [LocalizationModel.Kind: [Float]] = [:]
        var temperature: [LocalizationModel.Kind: Float] = [:]
        var done = 0
        if folds > 0 {
            let fold = stratifiedFolds(labels: y, classCount: c, folds: folds, seed: options.seed)
            var scores: [LocalizationModel.Kind: [Float]] = [:]
            var seconds: [LocalizationModel.Kind: Double] = [:]
            for k in fitted { scores[k] = [Float](repeating: 0, count: set.count * c) }
            await withTaskGroup(of: (LocalizationModel.Kind, [Int], [Float], Double).self) { group in
                for kind in fitted {
                    for k in 0..<folds {
                        group.addTask {
                            let t0 = ContinuousClock().now
                            let trainRows = (0..<y.count).filter { fold[$0] != k }
                            let testRows = (0..<y.count).filter { fold[$0] == k }
                            let model = fit(kind, features: features, labels: y, rows: trainRows, featureCount: f,
                                            sensorCount: sensorCount, classCount: c, options: options, seed: options.seed &+ UInt64(k))
                            var out = [Float](repeating: 0, count: testRows.count * c)
                            features.withUnsafeBufferPointer { fx in
                                out.withUnsafeMutableBufferPointer { out in
                                    for (t, r) in testRows.enumerated() {
                                        model.logScores(UnsafeBufferPointer(rebasing: fx[(r * f)..<((r + 1) * f)]),
                                                        into: UnsafeMutableBufferPointer(rebasing: out[(t * c)..<((t + 1) * c)]))
                                    }
                                }
                            }
                            return (kind, testRows, out, (ContinuousClock().now - t0).seconds)
                        }
                    }
                }
                for await (kind, rows, out, secs) in group {
                    for (t, r) in rows.enumerated() {
                        for j in 0..<c { scores[kind]![r * c + j] = out[t * c + j] }
                    }
                    seconds[kind, default: 0] += secs
                    done += 1
                    progress?(TrainingProgress(done: done, total: total, message: "\(kind.rawValue) fold \(done)"))
                }
            }
            for kind in fitted {
                temperature[kind] = fitTemperature(scores: scores[kind]!, labels: y, classCount: c)
            }
            // An ensemble's held-out scores follow from its members' (log of the mean calibrated probability).
            for kind in candidates where kind.members.count > 1 {
                var s = [Float](repeating: 0, count: set.count * c)
                var row = [Float](repeating: 0, count: c)
                for m in kind.members {
                    let ms = scores[m]!
                    for i in 0..<set.count {
                        for j in 0..<c { row[j] = ms[i * c + j] }
                        row.withUnsafeMutableBufferPointer { _ = softmaxInPlace($0, temperature: temperature[m]!) }
                        for j in 0..<c { s[i * c + j] += row[j] / Float(kind.members.count) }
                    }
                }
                for i in s.indices { s[i] = Float(log(Double(max(s[i], 1e-30)))) }
                scores[kind] = s
                temperature[kind] = fitTemperature(scores: s, labels: y, classCount: c)
                seconds[kind] = kind.members.reduce(0) { $0 + seconds[$1]! }
            }
            var listed = candidates
            for k in fitted where !listed.contains(k) { listed.append(k) }
            for kind in listed {
                let s = scores[kind]!
                let (pred, conf) = decide(scores: s, classCount: c, temperature: temperature[kind]!)
                let e = Evaluation(classes: classes, truth: set.labels, predicted: pred, confidence: conf)
                reports.append(.init(kind: kind.rawValue, accuracy: e.accuracy, calibrationError: e.calibrationError,
                                     seconds: seconds[kind]! / Double(parallelism)))
                oof[kind] = s
            }
        }
        // Highest class accuracy among the candidates wins; on a tie the later one in the list.
        var chosen = candidates[0]
        var bestAccuracy: Float = -1
        for (i, kind) in candidates.enumerated() where folds > 0 {
            if reports[i].classAccuracy >= bestAccuracy {
                bestAccuracy = reports[i].classAccuracy
                chosen = kind
            }
        }
        var confusions: [TrainingReport.Confusion] = []
        if let s = oof[chosen] {
            let (pred, _) = decide(scores: s, classCount: c, temperature: 1)
            var pairs: [Int: Int] = [:]
            for i in 0..<y.count where pred[i] != y[i] { pairs[y[i] * c + pred[i], default: 0] += 1 }
            confusions = pairs.sorted { $0.value > $1.value || ($0.value == $1.value && $0.key < $1.key) }.prefix(10)
                .map { .init(actual: $0.key / c, predicted: $0.key % c, count: $0.value) }
        }
        let allRows = Array(0..<y.count)
        var finals: [LocalizationModel.Classifier] = []
        for m in chosen.members {
            progress?(TrainingProgress(done: done, total: total, message: "final \(m.rawValue) model"))
            finals.append(fit(m, features: features, labels: y, rows: allRows, featureCount: f, sensorCount: sensorCount,
                              classCount: c, options: options, seed: options.seed))
            done += 1
        }
        let final: LocalizationModel.Classifier = chosen.members.count == 1 ? finals[0]
            : .ensemble(EnsembleModel(members: zip(chosen.members, finals).map { .init(classifier: $1, temperature: temperature[$0] ?? 1) }))
        progress?(TrainingProgress(done: total, total: total, message: "done"))
        let report = TrainingReport(
            sampleCount: set.count, classCounts: classCounts, folds: folds, seed: options.seed, candidates: reports,
            chosen: chosen.rawValue, confusions: confusions, trainingSeconds: (clock.now - start).seconds)
        let model = LocalizationModel(
            venueID: options.venueID, layoutHash: options.layoutHash, features: spec, classes: classes, classifier: final,
            temperature: temperature[chosen] ?? 1, report: report)
        var heldOut = oof[chosen]
        if heldOut != nil {
            let t = model.temperature
            heldOut!.withUnsafeMutableBufferPointer { h in
                for i in 0..<set.count { softmaxInPlace(UnsafeMutableBufferPointer(rebasing: h[(i * c)..<((i + 1) * c)]), temperature: t) }
            }
        }
        return (model, heldOut)
    }

    static func fit(
        _ kind: LocalizationModel.Kind, features: [Float], labels: [Int], rows: [Int], featureCount f: Int, sensorCount: Int,
        classCount c: Int, options: TrainingOptions, seed: UInt64
    ) -> LocalizationModel.Classifier {
        switch kind {
        case .knn:
            var sub = [Float](repeating: 0, count: rows.count * f)
            for (t, r) in rows.enumerated() { for j in 0..<f { sub[t * f + j] = features[r * f + j] } }
            return .knn(KNNModel(features: sub, labels: rows.map { labels[$0] }, featureCount: f, classCount: c, k: options.knnK))
        case .mlp:
            let trainer = MLPTrainer(featureCount: f, sensorCount: sensorCount, classCount: c, options: options.mlp)
            return .mlp(trainer.train(features: features, labels: labels, rows: rows, seed: seed))
        case .trees:
            let trainer = TreeTrainer(featureCount: f, classCount: c, options: options.trees)
            return .trees(trainer.train(features: features, labels: labels, rows: rows, seed: seed))
        case .mlpTrees, .knnTrees, .knnMLPTrees:
            preconditionFailure("an ensemble is fitted member by member")
        }
    }

    /// Argmax and its probability at temperature `t`, per row.
    static func decide(scores: [Float], classCount c: Int, temperature t: Float) -> ([Int], [Float]) {
        let n = scores.count / c
        var pred = [Int](repeating: 0, count: n)
        var conf = [Float](repeating: 0, count: n)
        var row = [Float](repeating: 0, count: c)
        for i in 0..<n {
            for j in 0..<c { row[j] = scores[i * c + j] }
            let b = row.withUnsafeMutableBufferPointer { softmaxInPlace($0, temperature: t) }
            pred[i] = b
            conf[i] = row[b]
        }
        return (pred, conf)
    }

    /// Temperature scaling (Guo et al., ICML 2017): the T minimising the negative log-likelihood
    /// of the held-out labels, by golden-section search over log T in [1/20, 20].
    static func fitTemperature(scores: [Float], labels: [Int], classCount c: Int) -> Float {
        func nll(_ logT: Double) -> Double {
            let t = Float(exp(logT))
            var total = 0.0
            var row = [Float](repeating: 0, count: c)
            for i in labels.indices {
                for j in 0..<c { row[j] = scores[i * c + j] }
                _ = row.withUnsafeMutableBufferPointer { softmaxInPlace($0, temperature: t) }
                total -= log(Double(max(row[labels[i]], 1e-12)))
            }
            return total
        }
        var a = log(1.0 / 20), b = log(20.0)
        let g = 0.6180339887498949
        var x1 = b - g * (b - a), x2 = a + g * (b - a)
        var f1 = nll(x1), f2 = nll(x2)
        for _ in 0..<30 {
            if f1 < f2 {
                b = x2; x2 = x1; f2 = f1
                x1 = b - g * (b - a); f1 = nll(x1)
            } else {
                a = x1; x1 = x2; f1 = f2
                x2 = a + g * (b - a); f2 = nll(x2)
            }
        }
        return Float(exp((a + b) / 2))
    }

    /// `count` split into at most `parts` contiguous ranges.
    static func chunks(_ count: Int, parts: Int) -> [Range<Int>] {
        let p = max(1, min(parts, count))
        return (0..<p).map { (count * $0 / p)..<(count * ($0 + 1) / p) }.filter { !$0.isEmpty }
    }
}

extension Duration {
    var seconds: Double {
        let (s, a) = components
        return Double(s) + Double(a) * 1e-18
    }
}
