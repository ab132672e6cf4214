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
/// Android builds also carry their 802.11 sequence counter across the change; and a phone
/// does not use two MACs at once, so a new MAC appears only after the old one went silent
/// (Vanhoef et al., "Why MAC address randomization is not enough", AsiaCCS 2016; Martin et
/// al., "A study of MAC address randomization in mobile devices", PETS 2017). When a MAC the
/// grouper has not seen starts, it joins the pseudo-device, among those with the same
/// fingerprint that have been silent for at least ``Options/minimumSilenceSeconds`` and at
/// most ``Options/maximumGapSeconds``, whose sequence number it continues (the smallest
/// forward step within ``Options/sequenceWindow``); if none, the one silent for the shortest
/// time, skipping pseudo-devices known to continue their sequence (they would have) and those
/// heard at the same sensor more than ``Options/rssiToleranceDB`` apart shortly before.
/// Otherwise it starts a new pseudo-device. Global MACs are their own device.
///
/// Only the new MAC's first frame decides, so the cost per frame is one dictionary lookup.
/// Memory is bounded: MACs and pseudo-devices idle longer than the gap are forgotten
/// (``Options/maximumGapSeconds``), and at most ``Options/maximumTracked`` of each are kept.
public struct PseudoDeviceGrouper: Sendable {
    public struct Options: Sendable, Equatable {
        /// Longest silence between a pseudo-device's last frame and a new MAC that may join it.
        public var maximumGapSeconds: Double = 300
        /// Shortest silence before a pseudo-device may take a new MAC: a phone's scan burst
        /// lasts well under a second, so a MAC that starts while another was heard less than
        /// this ago belongs to a different phone.
        public var minimumSilenceSeconds: Double = 1
        /// Largest forward step of the sequence counter that counts as continuing it.
        public var sequenceWindow: Int = 256
        /// A candidate heard at the same sensor within ``rssiWindowSeconds`` differing by more than this is skipped.
        public var rssiToleranceDB: Float = 20
        public var rssiWindowSeconds: Double = 30
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

        /// The unique-device estimate: global devices plus pseudo-devices.
        public var devices: Int { pseudoDevices + globalDevices }
    }

    struct MACTrack {
        var pseudo: UInt64
        var lastSeen: Int64
    }

    struct Chain {
        var fingerprint: UInt64
        var lastSeen: Int64
        var lastSequence: UInt16
        /// The MAC currently in use, so a frame of an older MAC of the chain does not move lastSequence.
        var currentMAC: UInt64
        /// Whether a MAC change of this chain continued the sequence counter.
        var continuesSequence: Bool
        /// Last RSSI per sensor: (sensor, dBm, time), a few entries.
        var signals: [(sensor: Int, rssi: Float, time: Int64)]
    }

    public let options: Options
    var macs: [UInt64: MACTrack] = [:]
    var chains: [UInt64: Chain] = [:]
    var byFingerprint: [UInt64: [UInt64]] = [:]
    var globals: [UInt64: Int64] = [:]
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
            if globals.updateValue(t, forKey: input.deviceID) == nil { statistics.globalDevices += 1 }
            return input.deviceID
        }
        if var track = macs[input.deviceID] {
            track.lastSeen = t
            macs[input.deviceID] = track
            if var chain = chains[track.pseudo] {
                if chain.currentMAC == input.deviceID {
                    chain.lastSeen = max(chain.lastSeen, t)
                    chain.lastSequence = input.sequenceNumber
                }
                Self.note(&chain, input)
                chains[track.pseudo] = chain
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
        var bestSequence: (id: UInt64, step: Int, gap: Int64)? = nil
        var bestTiming: (id: UInt64, gap: Int64)? = nil
        for id in candidates {
            guard let c = chains[id] else { continue }
            let gap = t - c.lastSeen
            guard gap >= minSilence, gap <= maxGap else { continue }
            // The 12-bit counter wraps at 4096 (IEEE 802.11-2020 10.3.2.14): step mod 4096.
            let step = (Int(input.sequenceNumber) - Int(c.lastSequence)) & 0xFFF
            if step >= 1 && step <= options.sequenceWindow {
                if bestSequence == nil || step < bestSequence!.step || (step == bestSequence!.step && gap < bestSequence!.gap) {
                    bestSequence = (id, step, gap)
                }
                continue
            }
            guard options.joinByTiming, !c.continuesSequence else { continue }
            if let r = input.rssi, gap <= Int64(options.rssiWindowSeconds * 1e9),
               let s = c.signals.first(where: { $0.sensor == input.sensor }), abs(s.rssi - r) > options.rssiToleranceDB {
                continue
            }
            if bestTiming == nil || gap < bestTiming!.gap { bestTiming = (id, gap) }
        }
        if let b = bestSequence {
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
        if let i = c.signals.firstIndex(where: { $0.sensor == input.sensor }) {
            c.signals[i] = (input.sensor, r, input.timeNanoseconds)
        } else if c.signals.count < 8 {
            c.signals.append((input.sensor, r, input.timeNanoseconds))
        } else if let oldest = c.signals.indices.min(by: { c.signals[$0].time < c.signals[$1].time }) {
            c.signals[oldest] = (input.sensor, r, input.timeNanoseconds)
        }
    }

    /// Forgets MACs and pseudo-devices idle longer than the maximum gap: they can no longer be joined.
    public mutating func evictIdle(now: Int64) {
        let cutoff = now - Int64(options.maximumGapSeconds * 1e9)
        let before = chains.count
        macs = macs.filter { $0.value.lastSeen >= cutoff }
        globals = globals.filter { $0.value >= cutoff }
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
