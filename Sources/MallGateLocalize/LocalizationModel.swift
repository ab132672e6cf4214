/// A trained localizer as stored in a model file: what it was trained for (venue, layout),
/// how it reads samples (feature spec), what it tells apart (classes), how well it did
/// (report), the classifier and its calibration.
public struct LocalizationModel: Sendable {
    /// The model kinds the trainer knows, and the classifier a file holds.
    public enum Kind: String, Sendable, CaseIterable {
        /// Weighted k-nearest neighbours (baseline).
        case knn
        /// One-hidden-layer perceptron with 8-bit weights (compact).
        case mlp
        /// Extremely randomized trees over 8-bit features (compact).
        case trees
        /// The MLP and the trees, their calibrated probabilities averaged.
        case mlpTrees = "mlp+trees"
        /// kNN and the trees averaged (small datasets only: the kNN member stores every sample).
        case knnTrees = "knn+trees"
        /// All three averaged (same caveat).
        case knnMLPTrees = "knn+mlp+trees"

        /// The kinds whose cross-validated predictions this kind is built from (itself for a single model).
        public var members: [Kind] {
            switch self {
            case .mlpTrees: [.mlp, .trees]
            case .knnTrees: [.knn, .trees]
            case .knnMLPTrees: [.knn, .mlp, .trees]
            default: [self]
            }
        }
    }

    public enum Classifier: ZoneModel {
        case knn(KNNModel)
        case mlp(MLPModel)
        case trees(TreeEnsembleModel)
        case ensemble(EnsembleModel)

        public var kind: Kind {
            switch self {
            case .knn: .knn
            case .mlp: .mlp
            case .trees: .trees
            case .ensemble(let m): m.kind
            }
        }

        public var featureCount: Int {
            switch self {
            case .knn(let m): m.featureCount
            case .mlp(let m): m.featureCount
            case .trees(let m): m.featureCount
            case .ensemble(let m): m.featureCount
            }
        }

        public var classCount: Int {
            switch self {
            case .knn(let m): m.classCount
            case .mlp(let m): m.classCount
            case .trees(let m): m.classCount
            case .ensemble(let m): m.classCount
            }
        }

        public func logScores(_ features: UnsafeBufferPointer<Float>, into scores: UnsafeMutableBufferPointer<Float>) {
            switch self {
            case .knn(let m): m.logScores(features, into: scores)
            case .mlp(let m): m.logScores(features, into: scores)
            case .trees(let m): m.logScores(features, into: scores)
            case .ensemble(let m): m.logScores(features, into: scores)
            }
        }
    }

    /// The venue this model localizes in (empty for a public dataset).
    public var venueID: String
    /// ``LayoutHash`` of the venue file the classes came from (0 when there is none).
    public var layoutHash: UInt64
    public var features: FeatureSpec
    public var classes: ClassList
    public var classifier: Classifier
    /// Divides the log-scores before the softmax; fitted on held-out folds.
    public var temperature: Float
    public var report: TrainingReport

    public init(
        venueID: String, layoutHash: UInt64, features: FeatureSpec, classes: ClassList, classifier: Classifier,
        temperature: Float, report: TrainingReport
    ) {
        precondition(classifier.featureCount == features.featureCount && classifier.classCount == classes.count)
        self.venueID = venueID
        self.layoutHash = layoutHash
        self.features = features
        self.classes = classes
        self.classifier = classifier
        self.temperature = temperature
        self.report = report
    }

    /// Classifies one window: calibrated probabilities of every class.
    public func predict(_ sample: Sample) -> ZonePrediction {
        var probabilities = [Float](repeating: 0, count: classes.count)
        let (best, confidence) = probabilities.withUnsafeMutableBufferPointer { predict(sample, probabilities: $0) }
        return ZonePrediction(classIndex: best, confidence: confidence, probabilities: probabilities)
    }

    /// Classifies one window into a caller-owned buffer of ``ClassList/count`` probabilities;
    /// allocates nothing for the compact model (the per-window path of the daemon).
    public func predict(_ sample: Sample, probabilities: UnsafeMutableBufferPointer<Float>) -> (classIndex: Int, confidence: Float) {
        withUnsafeTemporaryAllocation(of: Float.self, capacity: features.featureCount) { x in
            features.encode(sample, into: x)
            return predict(features: UnsafeBufferPointer(x), probabilities: probabilities)
        }
    }

    /// Classifies an already encoded feature vector.
    public func predict(features x: UnsafeBufferPointer<Float>, probabilities: UnsafeMutableBufferPointer<Float>) -> (classIndex: Int, confidence: Float) {
        let scores = UnsafeMutableBufferPointer(rebasing: probabilities[0..<classes.count])
        classifier.logScores(x, into: scores)
        let best = softmaxInPlace(scores, temperature: temperature)
        return (best, scores[best])
    }
}
