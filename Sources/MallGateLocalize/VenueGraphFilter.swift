public import MallGateVenue

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
/// belief vector; idle devices are forgotten.
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
        public init() {}
    }

    struct DeviceBelief: Sendable {
        var belief: [Float]
        var lastTime: Int64
    }

    public let transitions: VenueTransitions
    public var options: Options
    private var devices: [UInt64: DeviceBelief] = [:]
    private var lastSweep: Int64 = .min
    private var scratch: [Float]

    public init(transitions: VenueTransitions, options: Options = Options()) {
        self.transitions = transitions
        self.options = options
        self.scratch = [Float](repeating: 0, count: transitions.classCount)
    }

    public var deviceCount: Int { devices.count }

    /// Updates `device`'s belief with one window's class probabilities (calibrated, summing to
    /// 1) at `timeNanoseconds` and returns the most likely class and its probability.
    /// Windows of one device must come in time order.
    public mutating func update(device: UInt64, timeNanoseconds t: Int64, probabilities: [Float]) -> (classIndex: Int, confidence: Float) {
        let c = transitions.classCount
        precondition(probabilities.count == c, "probabilities for \(probabilities.count) classes, filter has \(c)")
        let idleNs = Int64(options.idleTimeoutSeconds * 1e9)
        if lastSweep == .min || t - lastSweep >= idleNs {
            if lastSweep != .min { devices = devices.filter { t - $0.value.lastTime < idleNs } }
            lastSweep = t
        }
        var state: DeviceBelief
        if let existing = devices[device] {
            state = existing
            let gap = max(0, Double(t - state.lastTime) / 1e9)
            let steps = min(options.maxSteps, max(1, Int((gap / options.stepSeconds).rounded())))
            for _ in 0..<steps { step(&state.belief) }
            if gap >= options.teleportAfterSeconds {
                let w = min(1, options.teleportProbability * Float(gap / options.teleportAfterSeconds))
                let u = w / Float(c)
                for j in 0..<c { state.belief[j] = (1 - w) * state.belief[j] + u }
            }
        } else {
            state = DeviceBelief(belief: [Float](repeating: 1 / Float(c), count: c), lastTime: t)
        }
        var sum: Float = 0
        for j in 0..<c {
            let v = state.belief[j] * max(probabilities[j], options.likelihoodFloor)
            state.belief[j] = v
            sum += v
        }
        var best = 0
        if sum > 0 {
            for j in 0..<c {
                state.belief[j] /= sum
                if state.belief[j] > state.belief[best] { best = j }
            }
        } else {
            // Unreachable in practice (floored likelihoods); restart from the model alone.
            for j in 0..<c { state.belief[j] = probabilities[j] }
            best = state.belief.indices.max { state.belief[$0] < state.belief[$1] } ?? 0
        }
        state.lastTime = t
        devices[device] = state
        return (best, state.belief[best])
    }

    /// Forgets one device (it left, or its key rotated).
    public mutating func forget(device: UInt64) {
        devices[device] = nil
    }

    /// One transition: mass that moves is split among the neighbours; isolated classes keep it.
    private mutating func step(_ belief: inout [Float]) {
        let c = belief.count
        for j in 0..<c { scratch[j] = 0 }
        let move = options.moveProbability
        for i in 0..<c {
            let b = belief[i]
            let n = transitions.neighbours[i]
            if n.isEmpty {
                scratch[i] += b
                continue
            }
            scratch[i] += b * (1 - move)
            let share = b * move / Float(n.count)
            for j in n { scratch[j] += share }
        }
        for j in 0..<c { belief[j] = scratch[j] }
    }
}
