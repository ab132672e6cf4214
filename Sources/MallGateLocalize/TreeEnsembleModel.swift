/// A forest of extremely randomized trees over the 8-bit features: the compact local model.
///
/// Where a few sensors decide the answer (seven access points, two receivers), axis-aligned
/// splits with thresholds find the boundaries an MLP smooths over, as random forests do on
/// the public datasets. Features are quantized exactly as kNN stores them (round(x × 255)),
/// so a split is one byte compare. Each tree is stored in pre-order: the left child follows
/// its parent, an internal node keeps its feature, threshold and the distance to its right
/// child, a leaf keeps its class — 5 bytes a node in the file, one `UInt64` in memory.
/// A window walks every tree once; the class votes, with a small floor, are the scores.
public struct TreeEnsembleModel: ZoneModel {
    public let featureCount: Int
    public let classCount: Int
    /// Per node: feature (u16, `leafMarker` for a leaf), threshold (u8, left when x ≤ t),
    /// value (u16: distance from the node to its right child, or a leaf's class).
    let feature: [UInt16]
    let threshold: [UInt8]
    let value: [UInt16]
    /// Index of each tree's root in the node arrays.
    let roots: [UInt32]
    /// Packed copy for inference: bits 0–7 threshold, 8–23 feature, 24–39 value, bit 63 leaf.
    let packed: [UInt64]
    /// log(votes + floor), for every possible vote count, so scoring takes no logarithm.
    let logVotes: [Float]

    static let leafMarker: UInt16 = 0xFFFF
    /// Trees are stored with 16-bit right-child distances.
    static let maxNodesPerTree = 65_535

    public var treeCount: Int { roots.count }
    public var nodeCount: Int { feature.count }

    init(featureCount: Int, classCount: Int, feature: [UInt16], threshold: [UInt8], value: [UInt16], roots: [UInt32]) {
        precondition(feature.count == threshold.count && feature.count == value.count && !roots.isEmpty)
        self.featureCount = featureCount
        self.classCount = classCount
        self.feature = feature
        self.threshold = threshold
        self.value = value
        self.roots = roots
        packed = (0..<feature.count).map { i in
            let leaf: UInt64 = feature[i] == Self.leafMarker ? 1 << 63 : 0
            return leaf | UInt64(threshold[i]) | UInt64(feature[i]) << 8 | UInt64(value[i]) << 24
        }
        // A class no tree votes for keeps 1/20 of a vote, so smoothing can still move there.
        logVotes = (0...roots.count).map { Float(log(Double($0) + 0.05)) }
    }

    /// Checks the structure a file claims: every tree walks to leaves inside its own nodes,
    /// features and classes in range. Returns a reason, or nil when the forest is sound.
    static func structuralProblem(featureCount: Int, classCount: Int, feature: [UInt16], threshold: [UInt8], value: [UInt16], roots: [UInt32]) -> String? {
        let n = feature.count
        for (t, r) in roots.enumerated() {
            let start = Int(r)
            let end = t + 1 < roots.count ? Int(roots[t + 1]) : n
            guard start < end, end <= n else { return "tree \(t) spans nodes \(start)..<\(end) of \(n)" }
            // Pre-order: walking the tree must consume exactly [start, end).
            var stack = [start]
            var visited = 0
            var expectNext = start
            while let i = stack.popLast() {
                guard i == expectNext, i < end else { return "tree \(t) is not in pre-order at node \(i)" }
                visited += 1
                expectNext = i + 1
                if feature[i] == leafMarker {
                    guard Int(value[i]) < classCount else { return "leaf \(i) names class \(value[i]) of \(classCount)" }
                } else {
                    guard Int(feature[i]) < featureCount else { return "node \(i) splits on feature \(feature[i]) of \(featureCount)" }
                    let right = i + Int(value[i])
                    guard value[i] >= 2, right < end else { return "node \(i) has its right child at \(right), outside tree \(t)" }
                    stack.append(right)
                    stack.append(i + 1)
                }
            }
            guard visited == end - start else { return "tree \(t) has \(end - start - visited) unreachable nodes" }
        }
        return nil
    }

    /// The byte a feature becomes, in training and inference alike.
    @inline(__always) static func quantize(_ x: Float) -> UInt8 {
        UInt8(min(255, max(0, (x * 255).rounded())))
    }

    public func logScores(_ features: UnsafeBufferPointer<Float>, into scores: UnsafeMutableBufferPointer<Float>) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: featureCount) { q in
            for j in 0..<featureCount { q[j] = Self.quantize(features[j]) }
            withUnsafeTemporaryAllocation(of: UInt16.self, capacity: classCount) { votes in
                votes.initialize(repeating: 0)
                packed.withUnsafeBufferPointer { nodes in
                    for r in roots {
                        var i = Int(r)
                        while true {
                            let n = nodes[i]
                            let v = Int(truncatingIfNeeded: (n >> 24) & 0xFFFF)
                            if n >> 63 != 0 {
                                votes[v] &+= 1  // at most treeCount ≤ 65535 votes
                                break
                            }
                            let f = Int(truncatingIfNeeded: (n >> 8) & 0xFFFF)
                            i = q[f] <= UInt8(truncatingIfNeeded: n) ? i + 1 : i + v
                        }
                    }
                }
                logVotes.withUnsafeBufferPointer { table in
                    for c in 0..<classCount { scores[c] = table[Int(votes[c])] }
                }
            }
        }
    }
}

/// Hyper-parameters of the tree trainer; defaults suit venues and the public datasets.
public struct TreeOptions: Sendable, Equatable {
    /// Trees to grow (fewer when ``nodeBudget`` would be exceeded).
    public var treeCount: Int = 100
    /// Features tried at each split; 0 picks √features (at least 1).
    public var featuresPerSplit: Int = 0
    /// A node with fewer samples than this becomes a leaf.
    public var minSamplesSplit: Int = 2
    /// All trees together keep at most this many nodes (5 bytes each in the file), so a
    /// 200-zone venue's forest stays well inside the 256 KB model budget.
    public var nodeBudget: Int = 40_000
    public init() {}
}

/// Grows ``TreeEnsembleModel``s: extremely randomized trees (Geurts, Ernst, Wehenkel 2006,
/// "Extremely randomized trees", Machine Learning 63), no bootstrap, Gini impurity, at each
/// node the best of √F features each cut at a threshold drawn uniformly between the node's
/// smallest and largest byte of that feature. Random cuts make a node O(samples) per tried
/// feature (no sorting, no histograms over 256 bins × classes), and averaging many such
/// trees gives the smooth class boundaries of a random forest.
struct TreeTrainer {
    let featureCount: Int
    let classCount: Int
    let options: TreeOptions

    func train(features: [Float], labels: [Int], rows: [Int], seed: UInt64) -> TreeEnsembleModel {
        let f = featureCount
        let n = rows.count
        // Column-major bytes of the training rows: a split scans one contiguous column.
        var columns = [UInt8](repeating: 0, count: f * n)
        for (t, r) in rows.enumerated() {
            for j in 0..<f { columns[j * n + t] = TreeEnsembleModel.quantize(features[r * f + j]) }
        }
        let y = rows.map { labels[$0] }
        var rng = SeededGenerator(seed: seed ^ 0x5452_4545)
        var forest = Forest()
        let trees = max(1, options.treeCount)
        var grown = 0
        columns.withUnsafeBufferPointer { cols in
            var grower = Grower(columns: cols, labels: y, sampleCount: n, featureCount: f, classCount: classCount, options: options)
            while grown < trees {
                let before = forest.feature.count
                let remaining = options.nodeBudget - before
                if grown > 0 && remaining < (before / grown) { break }  // the next tree would not fit
                forest.roots.append(UInt32(before))
                grower.grow(into: &forest, rng: &rng, maxNodes: min(TreeEnsembleModel.maxNodesPerTree, max(1, remaining)))
                grown += 1
            }
        }
        return TreeEnsembleModel(featureCount: f, classCount: classCount, feature: forest.feature, threshold: forest.threshold,
                                 value: forest.value, roots: forest.roots)
    }

    struct Forest {
        var feature: [UInt16] = []
        var threshold: [UInt8] = []
        var value: [UInt16] = []
        var roots: [UInt32] = []

        mutating func append(feature f: UInt16, threshold t: UInt8, value v: UInt16) -> Int {
            feature.append(f)
            threshold.append(t)
            value.append(v)
            return feature.count - 1
        }
    }

    /// One tree's growth, reusing its scratch buffers across trees.
    struct Grower {
        let columns: UnsafeBufferPointer<UInt8>
        let labels: [Int]
        let sampleCount: Int
        let featureCount: Int
        let classCount: Int
        let tries: Int
        let minSplit: Int
        var index: [Int]
        var counts: [Int]
        var left: [Int]
        var bestLeft: [Int]
        var order: [Int]

        init(columns: UnsafeBufferPointer<UInt8>, labels: [Int], sampleCount: Int, featureCount: Int, classCount: Int, options: TreeOptions) {
            self.columns = columns
            self.labels = labels
            self.sampleCount = sampleCount
            self.featureCount = featureCount
            self.classCount = classCount
            tries = options.featuresPerSplit > 0 ? min(featureCount, options.featuresPerSplit)
                : max(1, Int(Double(featureCount).squareRoot().rounded()))
            minSplit = max(2, options.minSamplesSplit)
            index = Array(0..<sampleCount)
            counts = [Int](repeating: 0, count: classCount)
            left = counts
            bestLeft = counts
            order = Array(0..<featureCount)
        }

        /// Grows one tree over all samples, appending its nodes in pre-order.
        mutating func grow(into forest: inout Forest, rng: inout SeededGenerator, maxNodes: Int) {
            for i in 0..<sampleCount { index[i] = i }
            let start = forest.feature.count
            // Explicit stack of (range of `index`, parent node whose right child this is or -1).
            var stack: [(lo: Int, hi: Int, parent: Int)] = [(0, sampleCount, -1)]
            while let (lo, hi, parent) = stack.popLast() {
                if parent >= 0 { forest.value[parent] = UInt16(forest.feature.count - parent) }
                // Two nodes per pending range keep the tree within maxNodes when everything left splits once more.
                let room = maxNodes - (forest.feature.count - start) - 2 * stack.count
                let split = room >= 3 ? findSplit(lo, hi, rng: &rng) : nil
                guard let (feature, cut, mid) = split else {
                    _ = forest.append(feature: TreeEnsembleModel.leafMarker, threshold: 0, value: UInt16(majority(lo, hi)))
                    continue
                }
                let node = forest.append(feature: UInt16(feature), threshold: cut, value: 0)
                stack.append((mid, hi, node))   // right, filled in when reached
                stack.append((lo, mid, -1))     // left, next in pre-order
            }
        }

        mutating func majority(_ lo: Int, _ hi: Int) -> Int {
            for c in 0..<classCount { counts[c] = 0 }
            for k in lo..<hi { counts[labels[index[k]]] += 1 }
            var best = 0
            for c in 1..<classCount where counts[c] > counts[best] { best = c }
            return best
        }

        /// The best of `tries` random cuts, partitioning `index[lo..<hi]` (left first) when found;
        /// nil when the node is pure, too small, or constant in every feature tried.
        mutating func findSplit(_ lo: Int, _ hi: Int, rng: inout SeededGenerator) -> (Int, UInt8, Int)? {
            let n = hi - lo
            guard n >= minSplit else { return nil }
            for c in 0..<classCount { counts[c] = 0 }
            var distinct = 0
            for k in lo..<hi {
                let c = labels[index[k]]
                if counts[c] == 0 { distinct += 1 }
                counts[c] += 1
            }
            guard distinct > 1 else { return nil }
            var bestScore = -Double.infinity
            var best: (feature: Int, cut: UInt8)? = nil
            // Partial Fisher–Yates: features in random order, stop after `tries` non-constant ones
            // (or when all are exhausted, as scikit-learn does).
            var tried = 0
            var drawn = 0
            while tried < tries && drawn < featureCount {
                let pick = drawn + Int(rng.next() % UInt64(featureCount - drawn))
                order.swapAt(drawn, pick)
                let j = order[drawn]
                drawn += 1
                let base = j * sampleCount
                var mn: UInt8 = 255, mx: UInt8 = 0
                for k in lo..<hi {
                    let v = columns[base + index[k]]
                    mn = min(mn, v)
                    mx = max(mx, v)
                }
                if mn == mx { continue }
                tried += 1
                // Uniform cut in [mn, mx): left gets x ≤ cut, so both sides are non-empty.
                let cut = mn &+ UInt8(truncatingIfNeeded: rng.next() % UInt64(mx - mn))
                for c in 0..<classCount { left[c] = 0 }
                var nl = 0
                for k in lo..<hi where columns[base + index[k]] <= cut {
                    left[labels[index[k]]] += 1
                    nl += 1
                }
                let nr = n - nl
                // Gini decrease ∝ Σ l²/nL + Σ r²/nR.
                var sl = 0.0, sr = 0.0
                for c in 0..<classCount where counts[c] > 0 {
                    let l = Double(left[c]), r = Double(counts[c] - left[c])
                    sl += l * l
                    sr += r * r
                }
                let score = sl / Double(nl) + sr / Double(nr)
                if score > bestScore {
                    bestScore = score
                    best = (j, cut)
                }
            }
            guard let best else { return nil }
            // Partition index[lo..<hi]: left (≤ cut) first.
            let base = best.feature * sampleCount
            var i = lo, k = hi - 1
            while i <= k {
                if columns[base + index[i]] <= best.cut {
                    i += 1
                } else {
                    index.swapAt(i, k)
                    k -= 1
                }
            }
            return (best.feature, best.cut, i)
        }
    }
}
