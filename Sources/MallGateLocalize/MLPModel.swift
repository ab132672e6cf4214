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
    /// The int8 weights times their row scales, kept in memory so inference runs on floats
    /// (vectorized, no int→float conversion per weight); bit-for-bit the quantized model.
    let w1f: [Float]
    let w2f: [Float]

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
        w1f = (0..<(featureCount * hiddenCount)).map { Float(w1[$0]) * s1[$0 / hiddenCount] }
        w2f = (0..<(hiddenCount * classCount)).map { Float(w2[$0]) * s2[$0 / classCount] }
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
            let hp = hidden.baseAddress!
            let sp = scores.baseAddress!
            w1f.withUnsafeBufferPointer { w1 in
                b1.withUnsafeBufferPointer { b1 in
                    hp.update(from: b1.baseAddress!, count: h)
                    for j in 0..<featureCount {
                        let x = features[j]
                        if x == 0 { continue }
                        axpy(x, w1.baseAddress! + j * h, hp, h)
                    }
                }
            }
            w2f.withUnsafeBufferPointer { w2 in
                b2.withUnsafeBufferPointer { b2 in
                    sp.update(from: b2.baseAddress!, count: c)
                    for j in 0..<h {
                        let x = hp[j]
                        if x <= 0 { continue }  // ReLU
                        axpy(x, w2.baseAddress! + j * c, sp, c)
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
    /// Adam steps to aim for; epochs follow from the sample count (at least 8, at most ``maxEpochs``).
    public var targetSteps: Int = 3000
    /// Caps the passes over small sets, where `targetSteps` would mean hundreds of epochs.
    public var maxEpochs: Int = 150
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
        // Parameters, gradients and Adam moments in one allocation each; raw pointers keep the
        // inner loops free of bounds checks and let the compiler vectorize them.
        let w1 = Buffer(f * h), w2 = Buffer(h * c), b1 = Buffer(h, value: 0.01), b2 = Buffer(c)
        let g1 = Buffer(f * h), g2 = Buffer(h * c), gb1 = Buffer(h), gb2 = Buffer(c)
        let adam = [Adam(count: f * h), Adam(count: h * c), Adam(count: h), Adam(count: c)]
        let x = Buffer(f), hid = Buffer(h), dh = Buffer(h), z = Buffer(c)
        defer { for b in [w1, w2, b1, b2, g1, g2, gb1, gb2, x, hid, dh, z] { b.free() }; for a in adam { a.free() } }
        var nz = [Int](repeating: 0, count: f)
        // Rows of the first layer a batch touched: only those get a gradient, so only those are
        // updated ("lazy" Adam, as TensorFlow's LazyAdam) — most sensors do not hear most samples.
        var touched = [Bool](repeating: false, count: f)
        var touchedRows = [Int]()
        touchedRows.reserveCapacity(f)
        // He initialisation, scaled by the typical number of non-zero inputs rather than all of them.
        var nonZero = 0
        for r in rows.prefix(200) { for j in 0..<f where features[r * f + j] != 0 { nonZero += 1 } }
        let fanIn = max(1, Float(nonZero) / Float(max(1, min(200, rows.count))))
        let std1 = (2 / fanIn).squareRoot()
        for i in 0..<(f * h) { w1.p[i] = rng.gaussian() * std1 }
        let std2 = (2 / Float(h)).squareRoot() * 0.5
        for i in 0..<(h * c) { w2.p[i] = rng.gaussian() * std2 }

        let batch = max(1, min(options.batchSize, rows.count))
        let stepsPerEpoch = max(1, rows.count / batch)
        let epochs = min(options.maxEpochs, max(8, (options.targetSteps + stepsPerEpoch - 1) / stepsPerEpoch))
        let totalSteps = epochs * stepsPerEpoch
        var order = rows
        var step = 0
        let sensors = sensorCount
        let blocks = f / max(1, sensors)
        let dropout = options.sensorDropout
        let invB = 1 / Float(batch)

        features.withUnsafeBufferPointer { fx in
            for _ in 0..<epochs {
                order.shuffle(using: &rng)
                for s in 0..<stepsPerEpoch {
                    for j in touchedRows {
                        (g1.p + j * h).update(repeating: 0, count: h)
                        touched[j] = false
                    }
                    touchedRows.removeAll(keepingCapacity: true)
                    g2.zero(); gb1.zero(); gb2.zero()
                    for b in 0..<batch {
                        let r = order[s * batch + b]
                        let y = labels[r]
                        let xp = x.p, hp = hid.p, dp = dh.p, zp = z.p
                        for j in 0..<f { xp[j] = fx[r * f + j] }
                        if dropout > 0 && sensors > 0 {
                            for sIdx in 0..<sensors where rng.unit() < dropout {
                                for blk in 0..<blocks { xp[blk * sensors + sIdx] = 0 }
                            }
                        }
                        var nzCount = 0
                        for j in 0..<f where xp[j] != 0 {
                            nz[nzCount] = j
                            nzCount += 1
                            if !touched[j] {
                                touched[j] = true
                                touchedRows.append(j)
                            }
                        }
                        // Forward.
                        for k in 0..<h { hp[k] = b1.p[k] }
                        for t in 0..<nzCount {
                            let j = nz[t]
                            axpy(xp[j], w1.p + j * h, hp, h)
                        }
                        for k in 0..<c { zp[k] = b2.p[k] }
                        for j in 0..<h where hp[j] > 0 { axpy(hp[j], w2.p + j * c, zp, c) }
                        softmaxInPlace(UnsafeMutableBufferPointer(start: zp, count: c), temperature: 1)
                        zp[y] -= 1
                        for k in 0..<c { zp[k] *= invB }
                        // Backward.
                        for k in 0..<c { gb2.p[k] += zp[k] }
                        for j in 0..<h {
                            let a = hp[j]
                            if a <= 0 {
                                dp[j] = 0
                                continue
                            }
                            axpy(a, zp, g2.p + j * c, c)
                            dp[j] = dot(w2.p + j * c, zp, c)
                        }
                        for k in 0..<h { gb1.p[k] += dp[k] }
                        for t in 0..<nzCount {
                            let j = nz[t]
                            axpy(xp[j], dp, g1.p + j * h, h)
                        }
                    }
                    step += 1
                    let lr = options.learningRate * max(0.02, 1 - Float(step) / Float(totalSteps))
                    for j in touchedRows { adam[0].update(w1, g1, lr: lr, decay: options.weightDecay, step: step, range: (j * h)..<((j + 1) * h)) }
                    adam[1].update(w2, g2, lr: lr, decay: options.weightDecay, step: step)
                    adam[2].update(b1, gb1, lr: lr, decay: 0, step: step)
                    adam[3].update(b2, gb2, lr: lr, decay: 0, step: step)
                }
            }
        }
        let (q1, s1) = MLPModel.quantize(w1.array, rows: f, cols: h)
        let (q2, s2) = MLPModel.quantize(w2.array, rows: h, cols: c)
        return MLPModel(featureCount: f, hiddenCount: h, classCount: c, w1: q1, s1: s1, b1: b1.array, w2: q2, s2: s2, b2: b2.array)
    }
}

/// y += a·x over n floats.
@inline(__always) func axpy(_ a: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
    for k in 0..<n { y[k] += a * x[k] }
}

@inline(__always) func axpy(_ a: Float, _ x: UnsafeMutablePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
    axpy(a, UnsafePointer(x), y, n)
}

@inline(__always) func dot(_ x: UnsafeMutablePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) -> Float {
    var s0: Float = 0, s1: Float = 0, s2: Float = 0, s3: Float = 0
    var k = 0
    while k + 4 <= n {
        s0 += x[k] * y[k]; s1 += x[k + 1] * y[k + 1]; s2 += x[k + 2] * y[k + 2]; s3 += x[k + 3] * y[k + 3]
        k += 4
    }
    while k < n { s0 += x[k] * y[k]; k += 1 }
    return (s0 + s1) + (s2 + s3)
}

/// A manually managed float buffer for the trainer's hot loops (freed by its owner).
struct Buffer {
    let p: UnsafeMutablePointer<Float>
    let count: Int
    init(_ count: Int, value: Float = 0) {
        self.count = count
        p = .allocate(capacity: max(1, count))
        p.initialize(repeating: value, count: max(1, count))
    }
    func zero() { p.update(repeating: 0, count: count) }
    var array: [Float] { Array(UnsafeBufferPointer(start: p, count: count)) }
    func free() { p.deallocate() }
}

/// Adam (Kingma & Ba 2015) with decoupled weight decay (AdamW).
struct Adam {
    let m: Buffer
    let v: Buffer
    init(count: Int) {
        m = Buffer(count)
        v = Buffer(count)
    }
    func free() {
        m.free()
        v.free()
    }

    func update(_ w: Buffer, _ g: Buffer, lr: Float, decay: Float, step: Int, range: Range<Int>? = nil) {
        let b1: Float = 0.9, b2: Float = 0.999
        let c1 = 1 / (1 - Float(pow(0.9, step)))
        let c2 = 1 / (1 - Float(pow(0.999, step)))
        let wp = w.p, gp = g.p, mp = m.p, vp = v.p
        for i in range ?? 0..<w.count {
            let gi = gp[i]
            mp[i] = b1 * mp[i] + (1 - b1) * gi
            vp[i] = b2 * vp[i] + (1 - b2) * gi * gi
            wp[i] -= lr * (mp[i] * c1 / ((vp[i] * c2).squareRoot() + 1e-8) + decay * wp[i])
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
