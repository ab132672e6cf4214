import Testing
@testable import MallGateLocalize

/// The trees on problems whose answer is known from the rule that made the data.
@Suite struct TreeEnsembleTests {
    /// Four classes by quadrant of two features (x ≤ 0.5 or not, y ≤ 0.5 or not) plus a noise
    /// feature: axis-aligned cuts separate them exactly, so held-out points must all be right.
    @Test func quadrantsAreSeparated() {
        var rng = SeededGenerator(seed: 11)
        func point() -> ([Float], Int) {
            // Keep clear of the boundary by 0.05 so quantization cannot decide the class.
            func coordinate() -> Float { let u = rng.unit() * 0.9; return u < 0.45 ? u : u + 0.1 }
            let x = coordinate(), y = coordinate()
            return ([x, y, rng.unit()], (x > 0.5 ? 1 : 0) + (y > 0.5 ? 2 : 0))
        }
        var features: [Float] = [], labels: [Int] = []
        for _ in 0..<400 {
            let (f, l) = point()
            features += f
            labels.append(l)
        }
        let model = TreeTrainer(featureCount: 3, classCount: 4, options: TreeOptions())
            .train(features: features, labels: labels, rows: Array(0..<400), seed: 1)
        #expect(model.treeCount == 100)
        var wrong = 0
        var scores = [Float](repeating: 0, count: 4)
        for _ in 0..<500 {
            let (f, l) = point()
            f.withUnsafeBufferPointer { x in scores.withUnsafeMutableBufferPointer { model.logScores(x, into: $0) } }
            if scores.indices.max(by: { scores[$0] < scores[$1] }) != l { wrong += 1 }
        }
        #expect(wrong == 0)
    }

    /// The node budget caps the forest (fewer trees, never a broken one) and every tree still
    /// ends in leaves of known classes.
    @Test func nodeBudgetCapsTheForest() {
        let set = SyntheticFingerprints.make(zones: 40, sensors: 16, samplesPerZone: 10, seed: 2)
        let spec = FeatureSpec(sensorNames: set.sensorNames)
        let (_, y) = ClassList.from(labelNames: set.labelNames, rows: set.labels)
        let x = set.samples.flatMap { spec.encode($0) }
        var o = TreeOptions()
        o.nodeBudget = 3000
        let model = TreeTrainer(featureCount: spec.featureCount, classCount: 40, options: o)
            .train(features: x, labels: y, rows: Array(y.indices), seed: 3)
        #expect(model.nodeCount <= 3000)
        #expect(model.treeCount >= 1 && model.treeCount < 100)
        #expect(TreeEnsembleModel.structuralProblem(featureCount: model.featureCount, classCount: 40, feature: model.feature,
                                                    threshold: model.threshold, value: model.value, roots: model.roots) == nil)
    }
}
