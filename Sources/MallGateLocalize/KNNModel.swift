/// Weighted k-nearest-neighbours over stored fingerprints: the baseline FIND-style systems use.
///
/// Kept as the yardstick the compact model must beat, and as a fallback for tiny calibration
/// sets. Features are stored quantized to 8 bits, column-major, so a query touches only the
/// columns where it is non-zero (most sensors of a large venue do not hear a given phone):
/// `|q − t|² = |q|² + |t|² − 2 q·t`.
public struct KNNModel: ZoneModel {
    public let featureCount: Int
    public let classCount: Int
    public let k: Int
    /// Stored fingerprints, `sampleCount` per feature column, value = round(feature × 255).
    let columns: [UInt8]
    /// |t|² of each stored fingerprint (dequantized).
    let norms: [Float]
    let labels: [UInt16]

    public var sampleCount: Int { labels.count }

    /// Stores `features` (row-major, `featureCount` per row) with their class indices.
    public init(features: [Float], labels: [Int], featureCount: Int, classCount: Int, k: Int = 5) {
        let n = labels.count
        precondition(features.count == n * featureCount && classCount <= Int(UInt16.max))
        var columns = [UInt8](repeating: 0, count: n * featureCount)
        var norms = [Float](repeating: 0, count: n)
        for i in 0..<n {
            var norm: Float = 0
            for j in 0..<featureCount {
                let q = UInt8(min(255, max(0, (features[i * featureCount + j] * 255).rounded())))
                columns[j * n + i] = q
                let v = Float(q) * (1 / 255)
                norm += v * v
            }
            norms[i] = norm
        }
        self.init(featureCount: featureCount, classCount: classCount, k: k, columns: columns, norms: norms,
                  labels: labels.map { UInt16($0) })
    }

    init(featureCount: Int, classCount: Int, k: Int, columns: [UInt8], norms: [Float], labels: [UInt16]) {
        self.featureCount = featureCount
        self.classCount = classCount
        self.k = k
        self.columns = columns
        self.norms = norms
        self.labels = labels
    }

    /// Recomputes the norms from the stored columns (after loading a file).
    init(featureCount: Int, classCount: Int, k: Int, columns: [UInt8], labels: [UInt16]) {
        let n = labels.count
        var norms = [Float](repeating: 0, count: n)
        for j in 0..<featureCount {
            for i in 0..<n {
                let v = Float(columns[j * n + i]) * (1 / 255)
                norms[i] += v * v
            }
        }
        self.init(featureCount: featureCount, classCount: classCount, k: k, columns: columns, norms: norms, labels: labels)
    }

    /// Weighted votes 1/(d + ε) of the `k` nearest, as log-scores. Allocates a distance buffer
    /// per call (the baseline is not on the hot path; the compact model is).
    public func logScores(_ features: UnsafeBufferPointer<Float>, into scores: UnsafeMutableBufferPointer<Float>) {
        let n = labels.count
        var dist = norms
        var qNorm: Float = 0
        columns.withUnsafeBufferPointer { cols in
            dist.withUnsafeMutableBufferPointer { d in
                for j in 0..<featureCount {
                    let q = features[j]
                    if q == 0 { continue }
                    qNorm += q * q
                    let w = -2 * q * (1 / 255)
                    let base = j * n
                    for i in 0..<n { d[i] += w * Float(cols[base + i]) }
                }
            }
        }
        // Partial selection of the k smallest: k is small, a sorted insertion list is enough.
        let kk = min(k, n)
        var bestD = [Float](repeating: .infinity, count: kk)
        var bestI = [Int](repeating: 0, count: kk)
        for i in 0..<n {
            let v = dist[i]
            if v >= bestD[kk - 1] { continue }
            var p = kk - 1
            while p > 0 && bestD[p - 1] > v {
                bestD[p] = bestD[p - 1]
                bestI[p] = bestI[p - 1]
                p -= 1
            }
            bestD[p] = v
            bestI[p] = i
        }
        for c in 0..<classCount { scores[c] = 0 }
        var total: Float = 0
        for r in 0..<kk {
            let d = max(0, bestD[r] + qNorm).squareRoot()
            let w = 1 / (d + 1e-3)
            scores[Int(labels[bestI[r]])] += w
            total += w
        }
        // A floor so unseen classes keep a small probability (smoothing needs it).
        let floor = max(total, 1e-6) * 1e-3
        for c in 0..<classCount { scores[c] = Float(log(Double(scores[c] + floor))) }
    }
}
