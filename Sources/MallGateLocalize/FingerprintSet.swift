/// Labelled samples to train or evaluate on: rows of a fingerprint CSV today, labelled
/// windows of a calibration walk later.
public struct FingerprintSet: Sendable {
    /// Sensor names, one per position in each sample.
    public var sensorNames: [String]
    /// Names of the label parts (CSV label columns, or zone/floor/kind).
    public var labelNames: [String]
    public var samples: [Sample]
    /// Per sample, one value per label name.
    public var labels: [[String]]
    /// Optional per-sample sequence key (a device, a tag) and time in seconds, for smoothing
    /// over consecutive samples of one device.
    public var sequence: [String]?
    public var time: [Double]?

    public init(sensorNames: [String], labelNames: [String], samples: [Sample] = [], labels: [[String]] = [],
                sequence: [String]? = nil, time: [Double]? = nil) {
        self.sensorNames = sensorNames
        self.labelNames = labelNames
        self.samples = samples
        self.labels = labels
        self.sequence = sequence
        self.time = time
    }

    public var count: Int { samples.count }

    /// Keeps the rows at `indices`, in that order.
    public func subset(_ indices: [Int]) -> FingerprintSet {
        FingerprintSet(sensorNames: sensorNames, labelNames: labelNames, samples: indices.map { samples[$0] },
                       labels: indices.map { labels[$0] }, sequence: sequence.map { s in indices.map { s[$0] } },
                       time: time.map { t in indices.map { t[$0] } })
    }

    /// Rearranges the samples to the sensor order of `names` (a model's), filling sensors this
    /// set lacks with "not heard"; `nil` if no sensor is shared.
    public func aligned(to names: [String]) -> FingerprintSet? {
        if names == sensorNames { return self }
        var position: [String: Int] = [:]
        for (i, n) in sensorNames.enumerated() { position[n] = i }
        let map = names.map { position[$0] }
        guard map.contains(where: { $0 != nil }) else { return nil }
        var copy = self
        copy.sensorNames = names
        copy.samples = samples.map { s in Sample(sensors: map.map { $0.map { s.sensors[$0] } ?? .notHeard }) }
        return copy
    }
}

/// Stratified k-fold assignment: each class's rows, shuffled with `seed`, dealt round-robin,
/// so every fold holds each class in proportion (scikit-learn's StratifiedKFold in spirit;
/// the exact folds differ).
public func stratifiedFolds(labels: [Int], classCount: Int, folds: Int, seed: UInt64) -> [Int] {
    var rng = SeededGenerator(seed: seed)
    var byClass = [[Int]](repeating: [], count: classCount)
    for (i, y) in labels.enumerated() { byClass[y].append(i) }
    var fold = [Int](repeating: 0, count: labels.count)
    var next = 0
    for var rows in byClass {
        rows.shuffle(using: &rng)
        for r in rows {
            fold[r] = next
            next = (next + 1) % folds
        }
    }
    return fold
}
