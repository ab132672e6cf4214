internal import OrderedCollections
public import MallGateVenue
internal import RealModule

/// Which classes a device can move between, taken from the venue's connections: the
/// transition structure of ``VenueGraphFilter``.
///
/// A class is a zone (first label of a venue ``ClassList``). Zones the model has no class for
/// (never walked during calibration) are walked through: two classes are neighbours when a path
/// of connections joins them through such zones only. Floors change only along `vertical`
/// connections, so two classes on different floors are never neighbours otherwise.
public struct VenueTransitions: Sendable, Equatable {
    /// Per class, the classes one step away (excluding itself), sorted.
    public var neighbours: [[Int]]
    /// Per class, the floor id (for reports and tests).
    public var floors: [String]

    /// - Parameters:
    ///   - venue: the layout whose connections bound movement.
    ///   - classes: the model's classes; the first label is the zone id.
    public init(venue: Venue, classes: ClassList) {
        var classOf: [String: Int] = [:]
        for (i, c) in classes.classes.enumerated() { classOf[c[0]] = i }
        var adjacent: [String: [String]] = [:]
        for c in venue.connections {
            adjacent[c.from, default: []].append(c.to)
            adjacent[c.to, default: []].append(c.from)
        }
        let floorOf = Dictionary(venue.zones.map { ($0.id, $0.floor) }, uniquingKeysWith: { a, _ in a })
        neighbours = classes.classes.enumerated().map { (i, c) in
            // Breadth-first through zones without a class.
            var seen: Set<String> = [c[0]]
            var frontier = [c[0]]
            var found: Set<Int> = []
            while let zone = frontier.popLast() {
                for next in adjacent[zone] ?? [] where seen.insert(next).inserted {
                    if let j = classOf[next] {
                        if j != i { found.insert(j) }
                    } else {
                        frontier.append(next)
                    }
                }
            }
            return found.sorted()
        }
        floors = classes.classes.map { floorOf[$0[0]] ?? ($0.count > 1 ? $0[1] : "") }
    }

    /// Explicit neighbours, for tests and non-venue class lists.
    public init(neighbours: [[Int]], floors: [String]) {
        self.neighbours = neighbours
        self.floors = floors
    }

    public var classCount: Int { neighbours.count }
}

/// Online forward filter (a hidden Markov model) per device over the venue graph: what ends
/// room flip-flopping.
///
/// Each step the belief moves along ``VenueTransitions``: a device stays with high probability
/// and otherwise moves to a connected zone; walls and floors are never crossed except through a
/// door, an opening or a vertical link. The transition is applied once per `stepSeconds` of
/// elapsed time (a longer gap allows a longer walk), and only after a gap of `teleportAfterSeconds`
/// does a small uniform "teleport" term let the device reappear anywhere (it may have left and
/// come back unseen). Then the belief is multiplied by the model's probabilities and
/// normalised (https://en.wikipedia.org/wiki/Forward_algorithm). Memory per device is one
/// belief vector of 16-bit integers in one slab shared by all devices, plus a dictionary entry;
/// idle devices are forgotten and their slots reused.
///
/// Why 16 bits and a slab: a gateway in a busy mall tracks tens of thousands of phones, and a
/// `[Float]` of ~70 classes per device (its own heap block, header and all) was the largest
/// per-device cost of the agent, 31 MB at 100,000 devices. The arithmetic stays in `Float`; only
/// the stored belief is rounded, as −log₂ p in steps of 1/256 (a relative error of 0.14 % at
/// most, down to 2⁻²⁵⁶, below what a `Float` holds). The logarithm matters: a zone the filter
/// has all but ruled out keeps a tiny probability that three windows of strong evidence can
/// still raise to the top, as with full floats; a linear or square-root code rounds it to zero,
/// and only the slow walk over the venue graph brings it back. (Half-precision floats cost 8 %
/// more CPU on x86-64, which converts them in software.)
public struct VenueGraphFilter: Sendable {
    public struct Options: Sendable, Equatable {
        /// Probability per step of moving to a connected zone (split evenly among them).
        public var moveProbability: Float = 0.05
        /// Elapsed time that counts as one transition step.
        public var stepSeconds: Double = 5
        /// At most this many steps are applied for one gap (a long gap is handled by teleport).
        public var maxSteps: Int = 12
        /// Gaps at least this long add the teleport term.
        public var teleportAfterSeconds: Double = 60
        /// Teleport weight per `teleportAfterSeconds` of gap, capped at 1.
        public var teleportProbability: Float = 0.2
        /// Model probabilities are floored here so one confident mistake cannot zero the belief.
        public var likelihoodFloor: Float = 1e-4
        /// A device not updated for this long is forgotten.
        public var idleTimeoutSeconds: Double = 600
        /// Decide the floor first (the floor with the most belief), then the zone on it
        /// (``FloorFirstDecision``), instead of the single most likely zone.
        public var floorFirst = false
        public init() {}
    }

    /// Where a device's belief is in the slab, and when it was last updated.
    struct DeviceSlot: Sendable {
        var index: Int32
        var lastTime: Int64
    }

    public let transitions: VenueTransitions
    public var options: Options
    /// Dense behind a bit-packed index (a `Dictionary` of these 16-byte values took 262,144
    /// buckets for 100,000 devices: 6.3 MB).
    private var devices: OrderedDictionary<UInt64, DeviceSlot> = [:]
    /// The beliefs: slot k's is `slab[k * classCount ..< (k + 1) * classCount]`, each class's
    /// probability p stored as min(65535, round(−log₂ p · 256)).
    private var slab: [UInt16] = []
    /// Slots of forgotten devices, reused before the slab grows.
    private var freeSlots: [Int32] = []
    private var lastSweep: Int64 = .min
    /// The belief being updated, in full precision.
    private var working: [Float]
    private var scratch: [Float]
    /// ``VenueTransitions/neighbours`` flattened (compressed sparse rows): class i's neighbours
    /// are `neighbourList[neighbourStart[i]..<neighbourStart[i + 1]]`. One flat array instead of
    /// an array per class keeps the per-window step free of reference counting.
    private let neighbourStart: [Int32]
    private let neighbourList: [Int32]
    private let floorDecision: FloorFirstDecision

    public init(transitions: VenueTransitions, options: Options = Options()) {
        self.transitions = transitions
        self.floorDecision = FloorFirstDecision(floors: transitions.floors)
        self.options = options
        self.scratch = [Float](repeating: 0, count: transitions.classCount)
        self.working = [Float](repeating: 0, count: transitions.classCount)
        var start: [Int32] = [0]
        var list: [Int32] = []
        for n in transitions.neighbours {
            list.append(contentsOf: n.map { Int32($0) })
            start.append(Int32(list.count))
        }
        neighbourStart = start
        neighbourList = list
    }

    public var deviceCount: Int { devices.count }

    /// Belief slots in the slab, used or free: its high-water mark of devices.
    var slotCount: Int { slab.count / max(1, transitions.classCount) }

    /// Updates `device`'s belief with one window's class probabilities (calibrated, summing to
    /// 1) at `timeNanoseconds` and returns the most likely class and its probability.
    /// Windows of one device must come in time order.
    public mutating func update(device: UInt64, timeNanoseconds t: Int64, probabilities: [Float]) -> (classIndex: Int, confidence: Float) {
        let c = transitions.classCount
        precondition(probabilities.count == c, "probabilities for \(probabilities.count) classes, filter has \(c)")
        let idleNs = Int64(options.idleTimeoutSeconds * 1e9)
        if lastSweep == .min || t - lastSweep >= idleNs {
            if lastSweep != .min { forgetIdle(now: t, idleNs: idleNs) }
            lastSweep = t
        }
        let best: Int
        if let known = devices.index(forKey: device) {
            let slot = devices.values[known]
            load(slot.index)
            let gap = max(0, Double(t - slot.lastTime) / 1e9)
            let steps = min(options.maxSteps, max(1, Int((gap / options.stepSeconds).rounded())))
            for _ in 0..<steps {
                Self.step(&working, scratch: &scratch, start: neighbourStart, list: neighbourList, move: options.moveProbability)
            }
            if gap >= options.teleportAfterSeconds {
                let w = min(1, options.teleportProbability * Float(gap / options.teleportAfterSeconds))
                let u = w / Float(c)
                working.withUnsafeMutableBufferPointer { b in
                    for j in 0..<c { b[j] = (1 - w) * b[j] + u }
                }
            }
            devices.values[known].lastTime = t
            best = Self.multiply(&working, probabilities, floor: options.likelihoodFloor)
            store(slot.index)
        } else {
            let index = allocateSlot()
            for j in 0..<c { working[j] = 1 / Float(c) }
            best = Self.multiply(&working, probabilities, floor: options.likelihoodFloor)
            store(index)
            devices.updateValue(DeviceSlot(index: index, lastTime: t), forKey: device)
        }
        let chosen = options.floorFirst ? floorDecision.choose(working) : best
        return (chosen, working[chosen])
    }

    /// `working` ← the stored belief of slot `index`.
    private mutating func load(_ index: Int32) {
        let c = transitions.classCount
        let base = Int(index) * c
        slab.withUnsafeBufferPointer { stored in
            working.withUnsafeMutableBufferPointer { b in
                Self.probabilityOfCode.withUnsafeBufferPointer { table in
                    for j in 0..<c { b[j] = table[Int(stored[base + j])] }
                }
            }
        }
    }

    /// The stored belief of slot `index` ← `working` (normalised, so each value is in 0…1).
    private mutating func store(_ index: Int32) {
        let c = transitions.classCount
        let base = Int(index) * c
        working.withUnsafeBufferPointer { b in
            slab.withUnsafeMutableBufferPointer { stored in
                for j in 0..<c { stored[base + j] = Self.code(b[j]) }
            }
        }
    }

    /// The stored code of probability `p`: round(−log₂ p · 256), 65535 for 0 and anything below 2⁻²⁵⁶.
    static func code(_ p: Float) -> UInt16 {
        guard p > 0 else { return 65535 }
        return UInt16(min(65535, max(0, (-Float.log2(p) * 256).rounded())))
    }

    /// The probability of each code (2^(−code/256); code 65535 is 0), 256 KiB made once.
    static let probabilityOfCode: [Float] = (0..<65536).map { $0 == 65535 ? 0 : Float.exp2(-Float($0) / 256) }

    private mutating func allocateSlot() -> Int32 {
        if let reused = freeSlots.popLast() { return reused }
        let c = transitions.classCount
        let index = Int32(slab.count / max(1, c))
        slab.append(contentsOf: repeatElement(0, count: c))
        return index
    }

    /// Forgets devices not updated within `idleNs` of `now`; their slots are reused.
    private mutating func forgetIdle(now: Int64, idleNs: Int64) {
        for slot in devices.values where now - slot.lastTime >= idleNs { freeSlots.append(slot.index) }
        devices.removeAll { now - $0.value.lastTime >= idleNs }
    }

    /// belief ← normalise(belief × max(probabilities, floor)); returns the most likely class.
    private static func multiply(_ belief: inout [Float], _ probabilities: [Float], floor: Float) -> Int {
        let c = belief.count
        return belief.withUnsafeMutableBufferPointer { b in
            probabilities.withUnsafeBufferPointer { p in
                var sum: Float = 0
                for j in 0..<c {
                    let v = b[j] * max(p[j], floor)
                    b[j] = v
                    sum += v
                }
                var best = 0
                if sum > 0 {
                    for j in 0..<c {
                        b[j] /= sum
                        if b[j] > b[best] { best = j }
                    }
                } else {
                    // Unreachable in practice (floored likelihoods); restart from the model alone.
                    for j in 0..<c {
                        b[j] = p[j]
                        if b[j] > b[best] { best = j }
                    }
                }
                return best
            }
        }
    }

    /// Forgets one device (it left, or its key rotated).
    public mutating func forget(device: UInt64) {
        if let i = devices.index(forKey: device) {
            freeSlots.append(devices.values[i].index)
            devices.swapAt(i, devices.count - 1)
            devices.removeLast()
        }
    }

    /// One transition: mass that moves is split among the neighbours; isolated classes keep it.
    private static func step(_ belief: inout [Float], scratch: inout [Float], start neighbourStart: [Int32], list neighbourList: [Int32], move: Float) {
        let c = belief.count
        scratch.withUnsafeMutableBufferPointer { out in
            belief.withUnsafeMutableBufferPointer { b in
                neighbourStart.withUnsafeBufferPointer { start in
                    neighbourList.withUnsafeBufferPointer { list in
                        for j in 0..<c { out[j] = 0 }
                        for i in 0..<c {
                            let v = b[i]
                            let lo = Int(start[i]), hi = Int(start[i + 1])
                            if lo == hi {
                                out[i] += v
                                continue
                            }
                            out[i] += v * (1 - move)
                            let share = v * move / Float(hi - lo)
                            for k in lo..<hi { out[Int(list[k])] += share }
                        }
                        for j in 0..<c { b[j] = out[j] }
                    }
                }
            }
        }
    }
}
