/// How a model was trained and how well it did under cross-validation; stored in the model
/// file so `mallgate eval` and the web UI can show it without the training data.
public struct TrainingReport: Sendable, Equatable {
    /// Cross-validated figures of one model kind.
    public struct Candidate: Sendable, Equatable {
        public var kind: String
        /// Accuracy per label (``ClassList/labelNames`` order), then of the whole class.
        public var accuracy: [Float]
        /// Expected calibration error after temperature scaling (15 bins).
        public var calibrationError: Float
        /// Seconds spent training and predicting its folds (wall clock, all cores).
        public var seconds: Double
        public init(kind: String, accuracy: [Float], calibrationError: Float, seconds: Double) {
            self.kind = kind
            self.accuracy = accuracy
            self.calibrationError = calibrationError
            self.seconds = seconds
        }
        /// Accuracy of the whole class (all labels right).
        public var classAccuracy: Float { accuracy.last ?? 0 }
    }

    /// A pair of classes the chosen model mixed up, and how often (held-out folds).
    public struct Confusion: Sendable, Equatable {
        public var actual: Int
        public var predicted: Int
        public var count: Int
        public init(actual: Int, predicted: Int, count: Int) {
            self.actual = actual
            self.predicted = predicted
            self.count = count
        }
    }

    public var sampleCount: Int
    /// Training samples per class.
    public var classCounts: [Int]
    /// Cross-validation folds (0: none, the model was trained without selection).
    public var folds: Int
    public var seed: UInt64
    public var candidates: [Candidate]
    /// The kind that won (``LocalizationModel/Kind`` raw value).
    public var chosen: String
    /// The most frequent confusions of the chosen kind, most frequent first (at most 10).
    public var confusions: [Confusion]
    /// Wall-clock seconds for the whole training (cross-validation + final model).
    public var trainingSeconds: Double

    public init(
        sampleCount: Int, classCounts: [Int], folds: Int, seed: UInt64, candidates: [Candidate], chosen: String,
        confusions: [Confusion], trainingSeconds: Double
    ) {
        self.sampleCount = sampleCount
        self.classCounts = classCounts
        self.folds = folds
        self.seed = seed
        self.candidates = candidates
        self.chosen = chosen
        self.confusions = confusions
        self.trainingSeconds = trainingSeconds
    }
}
