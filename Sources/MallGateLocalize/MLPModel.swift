/// A one-hidden-layer perceptron with 8-bit weights: the compact model.
///
/// 64 sensors × 2 features → 128 hidden → 200 zones is 42 k weights, 43 KB in the file, and
/// a few microseconds per window. Inputs are mostly zero in a large venue (a phone is heard
/// by a handful of sensors), so the first layer is stored input-major and skips zero inputs.
/// Each weight row has its own scale (symmetric int8 quantization, scale = max|w| / 127).
public struct MLPModel: ZoneModel {
    public let featureCount: Int
    public let hiddenCount: Int
    public let classCount: Int
    /// First layer, `featureCount` rows of `hiddenCount` int8 weights, one scale per row.
    let w1: [Int8]
    let s1: [Float]
    let b1: [Float]
    /// Second layer, `hiddenCount` rows of `classCount` int8 weights, one scale per row.
    let w2: [Int8]
    let s2: [Float]
    let b2: [Float]

    init(featureCount: Int, hiddenCount: Int, classCount: Int, w1: [Int8], s1: [Float], b1: [Float], w2: [Int8], s2: [Float], b2: [Float]) {
        precondition(w1.count == featureCount * hiddenCount && s1.count == featureCount && b1.count == hiddenCount)
        precondition(w2.count == hiddenCount * classCount && s2.count == hiddenCount && b2.count == classCount)
        self.featureCount = featureCount
        self.hiddenCount = hiddenCount
        self.classCount = classCount
        self.w1 = w1
        self.s1 = s1
        self.b1 = b1
        self.w2 = w2
        self.s2 = s2
        self.b2 = b2
    }

    /// Quantizes float weights (row-major, `rows × cols`) to int8 with one scale per row.
    static func quantize(_ w: [Float], rows: Int, cols: Int) -> ([Int8], [Float]) {
        var q = [Int8](repeating: 0, count: rows * cols)
        var scales = [Float](repeating: 0, count: rows)
        for r in 0..<rows {
            var m: Float = 0
            for c in 0..<cols { m = max(m, abs(w[r * cols + c])) }
            let scale = m > 0 ? m / 127 : 1
            scales[r] = scale
            for c in 0..<cols { q[r * cols + c] = Int8(max(-127, min(127, (w[r * cols + c] / scale).rounded()))) }
        }
        return (q, scales)
    }

    public func logScores(_ features: UnsafeBufferPointer<Float>, into scores: UnsafeMutableBufferPointer<Float>) {
        let h = hiddenCount
        let c = classCount
        withUnsafeTemporaryAllocation(of: Float.self, capacity: h) { hidden in
            w1.withUnsafeBufferPointer { w1 in
                s1.withUnsafeBufferPointer { s1 in
                    b1.withUnsafeBufferPointer { b1 in
                        for k in 0..<h { hidden[k] = b1[k] }
                        for j in 0..<featureCount {
                            let x = features[j]
                            if x == 0 { continue }
                            let a = x * s1[j]
                            let row = j * h
                            for k in 0..<h { hidden[k] += a * Float(w1[row + k]) }
                        }
                    }
                }
            }
            w2.withUnsafeBufferPointer { w2 in
                s2.withUnsafeBufferPointer { s2 in
                    b2.withUnsafeBufferPointer { b2 in
                        for k in 0..<c { scores[k] = b2[k] }
                        for j in 0..<h {
                            let x = hidden[j]
                            if x <= 0 { continue }  // ReLU
                            let a = x * s2[j]
                            let row = j * c
                            for k in 0..<c { scores[k] += a * Float(w2[row + k]) }
                        }
                    }
                }
            }
        }
    }
}

/// Hyper-parameters of the MLP trainer; defaults suit venues and the public datasets.
public struct MLPOptions: Sendable, Equatable {
    /// Hidden units; 0 picks `min(128, max(32, 2 × featureCount))`.
    public var hiddenCount: Int = 0
    /// Adam steps to aim for; epochs follow from the sample count (clamped to 8…400).
    public var targetSteps: Int = 3000
    public var batchSize: Int = 64
    public var learningRate: Float = 0.003
    public var weightDecay: Float = 1e-4
    /// Probability of hiding a heard sensor from a training sample (as if it missed the frame).
    public var sensorDropout: Float = 0.1
    public init() {}
}

/// Float training of ``MLPModel``: minibatch Adam on softmax cross-entropy, then quantization.
struct MLPTrainer {
    let featureCount: Int
    let sensorCount: Int
    let classCount: Int
    let options: MLPOptions

    func train(features: [Float], labels: [Int], rows: [Int], seed: UInt64) -> MLPModel {
        let f = featureCount
        let c = classCount
        let h = options.hiddenCount > 0 ? options.hiddenCount : min(128, max(32, 2 * f))
        var rng = SeededGenerator(seed: seed ^ 0x4D4C_5000)
        var w1 = [Float](repeating: 0, count: f * h)
        var w2 = [Float](repeating: 0, count: h * c)
        var b1 = [Float](repeating: 0.01, count: h)
        var b2 = [Float](repeating: 0, count: c)
        // He initialisation, scaled by the typical number of non-zero inputs rather than all of them.
        var nonZero = 0
        for r in rows.prefix(200) { for j in 0..<f where features[r * f + j] != 0 { nonZero += 1 } }
        let fanIn = max(1, Float(nonZero) / Float(max(1, min(200, rows.count))))
        let std1 = (2 / fanIn).squareRoot()
        for i in w1.indices { w1[i] = rng.gaussian() * std1 }
        let std2 = (2 / Float(h)).squareRoot() * 0.5
        for i in w2.indices { w2[i] = rng.gaussian() * std2 }

        let batch = max(1, min(options.batchSize, rows.count))
        let stepsPerEpoch = max(1, rows.count / batch)
        let epochs = min(400, max(8, (options.targetSteps + stepsPerEpoch - 1) / stepsPerEpoch))
        let totalSteps = epochs * stepsPerEpoch

        var adam1 = Adam(count: f * h), adamB1 = Adam(count: h), adam2 = Adam(count: h * c), adamB2 = Adam(count: c)
        var g1 = [Float](repeating: 0, count: f * h), gb1 = [Float](repeating: 0, count: h)
        var g2 = [Float](repeating: 0, count: h * c), gb2 = [Float](repeating: 0, count: c)
        var x = [Float](repeating: 0, count: f)
        var nz = [Int](repeating: 0, count: f)
        var hid = [Float](repeating: 0, count: h), dh = [Float](repeating: 0, count: h)
        var z = [Float](repeating: 0, count: c)
        var order = rows
        var step = 0
        let blocks = f / max(1, sensorCount)

        for _ in 0..<epochs {
            order.shuffle(using: &rng)
            for s in 0..<stepsPerEpoch {
                for i in g1.indices { g1[i] = 0 }
                for i in g2.indices { g2[i] = 0 }
                for i in gb1.indices { gb1[i] = 0 }
                for i in gb2.indices { gb2[i] = 0 }
                let invB = 1 / Float(batch)
                for b in 0..<batch {
                    let r = order[s * batch + b]
                    let y = labels[r]
                    // Input with sensor dropout.
                    for j in 0..<f { x[j] = features[r * f + j] }
                    if options.sensorDropout > 0 && sensorCount > 0 {
                        for sIdx in 0..<sensorCount where rng.unit() < options.sensorDropout {
                            for blk in 0..<blocks { x[blk * sensorCount + sIdx] = 0 }
                        }
                    }
                    var nzCount = 0
                    for j in 0..<f where x[j] != 0 {
                        nz[nzCount] = j
                        nzCount += 1
                    }
                    // Forward.
                    for k in 0..<h { hid[k] = b1[k] }
                    for t in 0..<nzCount {
                        let j = nz[t]
                        let a = x[j]
                        let row = j * h
                        for k in 0..<h { hid[k] += a * w1[row + k] }
                    }
                    for k in 0..<c { z[k] = b2[k] }
                    for j in 0..<h where hid[j] > 0 {
                        let a = hid[j]
                        let row = j * c
                        for k in 0..<c { z[k] += a * w2[row + k] }
                    }
                    z.withUnsafeMutableBufferPointer { _ = softmaxInPlace($0, temperature: 1) }
                    z[y] -= 1
                    for k in 0..<c { z[k] *= invB }
                    // Backward.
                    for k in 0..<c { gb2[k] += z[k] }
                    for j in 0..<h {
                        let a = hid[j]
                        if a <= 0 {
                            dh[j] = 0
                            continue
                        }
                        let row = j * c
                        var d: Float = 0
                        for k in 0..<c {
                            g2[row + k] += a * z[k]
                            d += w2[row + k] * z[k]
                        }
                        dh[j] = d
                    }
                    for k in 0..<h { gb1[k] += dh[k] }
                    for t in 0..<nzCount {
                        let j = nz[t]
                        let a = x[j]
                        let row = j * h
                        for k in 0..<h { g1[row + k] += a * dh[k] }
                    }
                }
                step += 1
                let lr = options.learningRate * max(0.02, 1 - Float(step) / Float(totalSteps))
                adam1.update(&w1, g1, lr: lr, decay: options.weightDecay, step: step)
                adam2.update(&w2, g2, lr: lr, decay: options.weightDecay, step: step)
                adamB1.update(&b1, gb1, lr: lr, decay: 0, step: step)
                adamB2.update(&b2, gb2, lr: lr, decay: 0, step: step)
            }
        }
        let (q1, s1) = MLPModel.quantize(w1, rows: f, cols: h)
        let (q2, s2) = MLPModel.quantize(w2, rows: h, cols: c)
        return MLPModel(featureCount: f, hiddenCount: h, classCount: c, w1: q1, s1: s1, b1: b1, w2: q2, s2: s2, b2: b2)
    }
}

/// Adam (Kingma & Ba 2015) with decoupled weight decay (AdamW).
struct Adam {
    var m: [Float]
    var v: [Float]
    init(count: Int) {
        m = [Float](repeating: 0, count: count)
        v = [Float](repeating: 0, count: count)
    }

    mutating func update(_ w: inout [Float], _ g: [Float], lr: Float, decay: Float, step: Int) {
        let b1: Float = 0.9, b2: Float = 0.999
        let c1 = 1 / (1 - Float(pow(0.9, step)))
        let c2 = 1 / (1 - Float(pow(0.999, step)))
        let n = w.count
        w.withUnsafeMutableBufferPointer { w in
            m.withUnsafeMutableBufferPointer { m in
                v.withUnsafeMutableBufferPointer { v in
                    g.withUnsafeBufferPointer { g in
                        for i in 0..<n {
                            let gi = g[i]
                            m[i] = b1 * m[i] + (1 - b1) * gi
                            v[i] = b2 * v[i] + (1 - b2) * gi * gi
                            w[i] -= lr * (m[i] * c1 / ((v[i] * c2).squareRoot() + 1e-8) + decay * w[i])
                        }
                    }
                }
            }
        }
    }
}

/// `base` to an integer power, by squaring (no libm).
func pow(_ base: Double, _ n: Int) -> Double {
    var result = 1.0, b = base, e = n
    while e > 0 {
        if e & 1 == 1 { result *= b }
        b *= b
        e >>= 1
    }
    return result
}
