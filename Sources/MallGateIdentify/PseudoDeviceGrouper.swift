internal import OrderedCollections

/// One probe request as the grouper sees it: already hashed, no MAC.
public struct GroupingInput: Sendable, Equatable {
    /// The keyed device id of the frame's MAC (``DeviceIdentifier``).
    public var deviceID: UInt64
    /// Whether the MAC is locally administered (``MallGateDecode/MACAddress/isLocallyAdministered``).
    public var isRandomized: Bool
    /// The IE fingerprint (``MallGateDecode/IEFingerprint`` "MGIE1").
    public var fingerprint: UInt64
    /// The 12-bit 802.11 sequence number.
    public var sequenceNumber: UInt16
    public var timeNanoseconds: Int64
    /// The sensor's index.
    public var sensor: Int
    /// Signal in dBm, if the radio reported one.
    public var rssi: Float?

    public init(deviceID: UInt64, isRandomized: Bool, fingerprint: UInt64, sequenceNumber: UInt16,
                timeNanoseconds: Int64, sensor: Int, rssi: Float?) {
        self.deviceID = deviceID
        self.isRandomized = isRandomized
        self.fingerprint = fingerprint
        self.sequenceNumber = sequenceNumber
        self.timeNanoseconds = timeNanoseconds
        self.sensor = sensor
        self.rssi = rssi
    }
}

/// Groups randomized MACs into pseudo-devices, so that a phone that changes its MAC every
/// scan is counted and tracked once.
///
/// A phone keeps its capability elements when it changes its MAC (same IE fingerprint); many
/// Android builds and older iOS also carry their 802.11 sequence counter across the change; and
/// a phone does not use two MACs at once, so a new MAC appears only after the old one went
/// silent (Vanhoef et al., "Why MAC address randomization is not enough", AsiaCCS 2016; Martin
/// et al., "A study of MAC address randomization in mobile devices", PETS 2017).
///
/// When a MAC the grouper has not seen starts, the candidates are the pseudo-devices with the
/// same fingerprint silent for at least ``Options/minimumSilenceSeconds`` and at most
/// ``Options/maximumGapSeconds``:
/// 1. **Sequence**: it joins the one whose counter it continues (smallest forward step mod 4096
///    within ``Options/sequenceWindow``), unless its fingerprint's MAC changes have been seen
///    not to continue (then a match is chance).
/// 2. **Timing**: otherwise, unless its fingerprint is seen to continue sequences (a new MAC
///    that does not is another phone), it joins the candidate silent for at most
///    ``Options/timingGapSeconds`` that was heard at the new frame's sensor in the last
///    ``Options/locationWindowSeconds`` (or not heard recently at all), at the lowest cost
///    gap/30 s + |ΔRSSI|/5 dB at that sensor.
/// 3. Otherwise it starts a new pseudo-device. Global MACs are their own device.
///
/// Whether a fingerprint continues sequences is learned online: of its new MACs that had
/// candidates, the share that continued one (≥ 3 and ≥ 25 %: continues; ≥ 5 and < 10 %: does not).
/// The defaults were chosen on the simulator (docs/accuracy.md, "Unique devices").
///
/// Only a new MAC's first frame decides, so the cost per frame is one dictionary lookup.
/// Memory is bounded: MACs and pseudo-devices idle longer than the maximum gap are forgotten,
/// and at most ``Options/maximumTracked`` of each are kept.
public struct PseudoDeviceGrouper: Sendable {
    public struct Options: Sendable, Equatable {
        /// Longest silence between a pseudo-device's last frame and a new MAC that may join it
        /// (idle phones scan every 30 s to 8 min).
        public var maximumGapSeconds: Double = 480
        /// Longest silence for a join by timing alone (no sequence evidence).
        public var timingGapSeconds: Double = 60
        /// A timing join needs the candidate heard at the new frame's sensor within this long, if it was heard anywhere.
        public var locationWindowSeconds: Double = 120
        /// Shortest silence before a pseudo-device may take a new MAC: a phone's scan burst
        /// lasts well under a second, so a MAC that starts while another was heard less than
        /// this ago belongs to a different phone.
        public var minimumSilenceSeconds: Double = 1
        /// Largest forward step of the sequence counter that counts as continuing it: a phone
        /// sends one probe per channel per scan, and sensors hear a few channels, so real steps
        /// are small; a chance match among random counters has odds window/4096.
        public var sequenceWindow: Int = 32
        /// Whether a new MAC that continues no sequence may join by timing alone.
        public var joinByTiming: Bool = true
        /// Cap on MACs and on pseudo-devices held; the longest idle go first beyond it.
        public var maximumTracked: Int = 200_000

        public init() {}
    }

    /// What the grouper did so far.
    public struct Statistics: Sendable, Equatable {
        /// Pseudo-devices started (randomized MACs not joined to an earlier one).
        public var pseudoDevices: Int = 0
        /// Global MACs seen (each is one device).
        public var globalDevices: Int = 0
        /// Randomized MACs seen.
        public var randomizedMACs: Int = 0
        public var joinedBySequence: Int = 0
        public var joinedByTiming: Int = 0
        public var evicted: Int = 0

        /// Global devices plus pseudo-devices started; a MAC heard again after being forgotten
        /// (idle past the maximum gap) counts again, so over long runs count distinct ids instead.
        public var devices: Int { pseudoDevices + globalDevices }
    }

    struct MACTrack {
        var pseudo: UInt64
        var lastSeen: Int64
    }

    /// 8 bytes: a phone is heard by a dozen sensors, and 100,000 pseudo-devices must fit a gateway.
    struct Signal {
        /// Seconds since the Unix epoch (Int32 lasts until 2038; a wrap only weakens the location test).
        var seconds: Int32
        var sensor: UInt16
        var rssi: Int8
    }

    /// Sensors remembered per pseudo-device; the oldest is replaced beyond this.
    static let maximumSensors = 32

    struct Chain {
        var fingerprint: UInt64
        var lastSeen: Int64
        var lastSequence: UInt16
        /// The MAC currently in use, so a frame of an older MAC of the chain does not move lastSequence.
        var currentMAC: UInt64
        /// Whether a MAC change of this chain continued the sequence counter.
        var continuesSequence: Bool
        /// Last RSSI per sensor heard recently (at most ``maximumSensors``).
        var signals: [Signal]
    }

    public let options: Options
    var macs: [UInt64: MACTrack] = [:]
    var chains: [UInt64: Chain] = [:]
    var byFingerprint: [UInt64: [UInt64]] = [:]
    /// Globally administered MACs (their own device each) and when each was last heard: only
    /// to count them. Dense behind a bit-packed index (a `Dictionary` took 262,144 buckets for
    /// 100,000 phones: 4.2 MB).
    var globals: OrderedDictionary<UInt64, Int64> = [:]
    var families: [UInt64: Family] = [:]
    var lastSweep: Int64 = .min
    public private(set) var statistics = Statistics()

    public init(options: Options = Options()) {
        self.options = options
    }

    /// Pseudo-devices and MACs currently held in memory.
    public var trackedCount: (macs: Int, pseudoDevices: Int) { (macs.count + globals.count, chains.count) }

    /// The pseudo-device id of `input`'s frame: the device id of the first MAC of its pseudo-device.
    /// Frames must come in time order (a replay merges sensors by time).
    public mutating func assign(_ input: GroupingInput) -> UInt64 {
        let t = input.timeNanoseconds
        if lastSweep == .min || t - lastSweep > Int64(options.maximumGapSeconds * 1e9) / 4 {
            evictIdle(now: t)
            lastSweep = t
        }
        guard input.isRandomized else {
            if globals.count >= options.maximumTracked && globals.index(forKey: input.deviceID) == nil {
                // Past the cap: forget the older half (sorted in place, cut in one step).
                globals.sort { $0.value < $1.value }
                globals.removeFirst(globals.count / 2)
            }
            if globals.updateValue(t, forKey: input.deviceID) == nil { statistics.globalDevices += 1 }
            return input.deviceID
        }
        // One lookup for a known MAC, updated in place (was a read and a write: two).
        if let known = macs.index(forKey: input.deviceID) {
            macs.values[known].lastSeen = t
            let track = macs.values[known]
            // In place (Values' modify accessor): a copy of the chain would copy its signals on every frame.
            if let index = chains.index(forKey: track.pseudo) {
                if chains.values[index].currentMAC == input.deviceID {
                    chains.values[index].lastSeen = max(chains.values[index].lastSeen, t)
                    chains.values[index].lastSequence = input.sequenceNumber
                }
                Self.note(&chains.values[index], input)
            }
            return track.pseudo
        }
        statistics.randomizedMACs += 1
        let pseudo = link(input) ?? startChain(input)
        macs[input.deviceID] = MACTrack(pseudo: pseudo, lastSeen: t)
        return pseudo
    }

    /// The pseudo-device a new MAC joins, if any (and records the join).
    mutating func link(_ input: GroupingInput) -> UInt64? {
        guard let candidates = byFingerprint[input.fingerprint] else { return nil }
        let t = input.timeNanoseconds
        let minSilence = Int64(options.minimumSilenceSeconds * 1e9)
        let maxGap = Int64(options.maximumGapSeconds * 1e9)
        let timingGap = Int64(options.timingGapSeconds * 1e9)
        let locationWindow = Int64(options.locationWindowSeconds * 1e9)
        var family = families[input.fingerprint] ?? Family()
        let familyContinues = family.continued >= 3 && family.continued * 4 >= family.events
        var bestSequence: (id: UInt64, step: Int, gap: Int64)? = nil
        var bestTiming: (id: UInt64, cost: Double)? = nil
        var anyCandidate = false
        for id in candidates {
            guard let c = chains[id] else { continue }
            let gap = t - c.lastSeen
            guard gap >= minSilence, gap <= maxGap else { continue }
            anyCandidate = true
            // The 12-bit counter wraps at 4096 (IEEE 802.11-2020 10.3.2.14): step mod 4096.
            let step = (Int(input.sequenceNumber) - Int(c.lastSequence)) & 0xFFF
            if step >= 1 && step <= options.sequenceWindow {
                if bestSequence == nil || step < bestSequence!.step || (step == bestSequence!.step && gap < bestSequence!.gap) {
                    bestSequence = (id, step, gap)
                }
                continue
            }
            guard options.joinByTiming, !c.continuesSequence, !familyContinues, gap <= timingGap else { continue }
            var cost = Double(gap) / 30e9
            let oldest = Int32(truncatingIfNeeded: (t - locationWindow) / 1_000_000_000)
            if c.signals.contains(where: { $0.seconds >= oldest }) {
                guard let here = c.signals.first(where: { $0.sensor == UInt16(truncatingIfNeeded: input.sensor) && $0.seconds >= oldest }) else { continue }
                if let r = input.rssi { cost += Double(abs(Float(here.rssi) - r)) / 5 }
            }
            if bestTiming == nil || cost < bestTiming!.cost { bestTiming = (id, cost) }
        }
        if anyCandidate {
            family.events += 1
            if bestSequence != nil { family.continued += 1 }
            if families.count >= options.maximumTracked { families.removeAll(keepingCapacity: true) }
            families[input.fingerprint] = family
        }
        let familyDoesNotContinue = family.events >= 5 && family.continued * 10 < family.events
        if let b = bestSequence, !familyDoesNotContinue {
            statistics.joinedBySequence += 1
            join(b.id, input, continued: true)
            return b.id
        }
        if let b = bestTiming {
            statistics.joinedByTiming += 1
            join(b.id, input, continued: false)
            return b.id
        }
        return nil
    }

    /// What the grouper learned about one fingerprint: new MACs that had candidates, and how many continued a sequence.
    struct Family {
        var events = 0
        var continued = 0
    }

    mutating func join(_ id: UInt64, _ input: GroupingInput, continued: Bool) {
        guard var c = chains[id] else { return }
        c.lastSeen = input.timeNanoseconds
        c.lastSequence = input.sequenceNumber
        c.currentMAC = input.deviceID
        if continued { c.continuesSequence = true }
        Self.note(&c, input)
        chains[id] = c
    }

    mutating func startChain(_ input: GroupingInput) -> UInt64 {
        let id = input.deviceID
        var c = Chain(fingerprint: input.fingerprint, lastSeen: input.timeNanoseconds, lastSequence: input.sequenceNumber,
                      currentMAC: id, continuesSequence: false, signals: [])
        Self.note(&c, input)
        if chains.count >= options.maximumTracked { evictOldest() }
        chains[id] = c
        byFingerprint[input.fingerprint, default: []].append(id)
        statistics.pseudoDevices += 1
        return id
    }

    static func note(_ c: inout Chain, _ input: GroupingInput) {
        guard let r = input.rssi else { return }
        let signal = Signal(seconds: Int32(truncatingIfNeeded: input.timeNanoseconds / 1_000_000_000),
                            sensor: UInt16(truncatingIfNeeded: input.sensor), rssi: Int8(max(-128, min(127, r.rounded()))))
        if let i = c.signals.firstIndex(where: { $0.sensor == signal.sensor }) {
            c.signals[i] = signal
        } else if c.signals.count < maximumSensors {
            c.signals.append(signal)
        } else if let oldest = c.signals.indices.min(by: { c.signals[$0].seconds < c.signals[$1].seconds }) {
            c.signals[oldest] = signal
        }
    }

    /// Forgets MACs and pseudo-devices idle longer than the maximum gap: they can no longer be joined.
    public mutating func evictIdle(now: Int64) {
        let cutoff = now - Int64(options.maximumGapSeconds * 1e9)
        let before = chains.count
        macs = macs.filter { $0.value.lastSeen >= cutoff }
        globals.removeAll { $0.value < cutoff }
        chains = chains.filter { $0.value.lastSeen >= cutoff }
        statistics.evicted += before - chains.count
        rebuildIndex()
    }

    mutating func evictOldest() {
        // Past the cap: drop the older half of the idle order, amortizing the sort.
        let sorted = chains.sorted { $0.value.lastSeen < $1.value.lastSeen }
        for (id, _) in sorted.prefix(max(1, sorted.count / 2)) { chains[id] = nil }
        statistics.evicted += max(1, sorted.count / 2)
        if macs.count >= options.maximumTracked {
            let m = macs.sorted { $0.value.lastSeen < $1.value.lastSeen }
            for (id, _) in m.prefix(m.count / 2) { macs[id] = nil }
        }
        rebuildIndex()
    }

    mutating func rebuildIndex() {
        var index: [UInt64: [UInt64]] = [:]
        for (id, c) in chains { index[c.fingerprint, default: []].append(id) }
        byFingerprint = index
    }
}
