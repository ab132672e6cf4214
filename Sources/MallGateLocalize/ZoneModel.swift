internal import RealModule

/// A classifier from a feature vector to one score per class; kNN and the MLP both are one,
/// so training, evaluation, the model file and (later) smoothing treat them alike.
public protocol ZoneModel: Sendable {
    var featureCount: Int { get }
    var classCount: Int { get }
    /// Writes one log-score per class (log-probabilities up to a constant) into `scores`.
    /// Must not allocate: it runs once per device and window.
    func logScores(_ features: UnsafeBufferPointer<Float>, into scores: UnsafeMutableBufferPointer<Float>)
}

/// What a model says about one window: the most likely class and how sure it is.
public struct ZonePrediction: Sendable, Equatable {
    /// Index into the model's ``ClassList``.
    public var classIndex: Int
    /// Calibrated probability of ``classIndex`` (temperature-scaled on held-out folds).
    public var confidence: Float
    /// Calibrated probability of every class; what temporal smoothing multiplies in.
    public var probabilities: [Float]

    public init(classIndex: Int, confidence: Float, probabilities: [Float]) {
        self.classIndex = classIndex
        self.confidence = confidence
        self.probabilities = probabilities
    }
}

/// Softmax of `scores / temperature`, in place; returns the index of the largest.
@discardableResult
func softmaxInPlace(_ scores: UnsafeMutableBufferPointer<Float>, temperature: Float) -> Int {
    var best = 0
    var top = -Float.infinity
    for i in scores.indices where scores[i] > top {
        top = scores[i]
        best = i
    }
    let inv = 1 / temperature
    var sum: Float = 0
    for i in scores.indices {
        let e = fastExp((scores[i] - top) * inv)
        scores[i] = e
        sum += e
    }
    let norm = 1 / sum
    for i in scores.indices { scores[i] *= norm }
    return best
}

/// e^x for x ≤ 0 in Float, to about 2 ulp: x = k ln2 + r, |r| ≤ ln2/2, degree-6 polynomial,
/// 2^k by building the exponent bits. Softmax runs it once per class and window.
@inline(__always) func fastExp(_ x: Float) -> Float {
    if x < -87 { return 0 }
    let k = (x * 1.442695).rounded()
    let r = x - k * 0.6931472
    var p: Float = 1.0 / 720
    p = p * r + 1.0 / 120
    p = p * r + 1.0 / 24
    p = p * r + 1.0 / 6
    p = p * r + 0.5
    p = p * r + 1
    p = p * r + 1
    return p * Float(bitPattern: UInt32(Int32(k) + 127) << 23)
}

// The localizer's elementary functions come from swift-numerics (libm underneath), so the
// pure module needs neither Foundation nor Glibc; `fastExp` above stays for softmax.
@inline(__always) func expf(_ x: Float) -> Float { Float.exp(x) }
@inline(__always) func exp(_ x: Double) -> Double { Double.exp(x) }
@inline(__always) func log(_ x: Double) -> Double { Double.log(x) }
