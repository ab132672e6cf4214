public import MallGateDecode

/// The identify stage's hot path: MAC → device id (or nil for an opted-out MAC), with a
/// bounded cache so that most frames cost a SipHash and a table probe instead of two HMACs.
///
/// **The cache holds no MAC.** Its slots are keyed by ``SipHash24`` of the MAC under a key
/// drawn at random when the identifier is made; the MAC is read for the instant of hashing
/// and not stored anywhere. Two MACs whose 64-bit cache keys collide would share an id
/// (odds about n²/2⁶⁵ for n cached MACs: 3·10⁻¹⁰ for a million). The cache is emptied when
/// the rotation epoch changes, so no id outlives its period.
///
/// A value type with no locks: one per pipeline thread.
public struct DeviceIdentifier: Sendable {
    public let scheme: DeviceIDScheme
    public let optOut: OptOutList
    let cacheHasher: SipHash24

    /// Slot keys: the cache key with bit 0 = "opted out", 0 = empty. 4-way set associative.
    var tags: [UInt64]
    var ids: [UInt64]
    let setMask: Int
    var currentEpoch: Int64 = .min
    /// Rotates through the ways of a full set: a cheap stand-in for LRU that needs no timestamps.
    var victim = 0

    public private(set) var statistics = Statistics()

    /// Cache counters, for the bench and the daemon's metrics.
    public struct Statistics: Sendable, Equatable {
        public var hits: UInt64 = 0
        public var misses: UInt64 = 0
        public var evictions: UInt64 = 0
        public var optedOutFrames: UInt64 = 0
        /// Times the cache was emptied because the rotation epoch changed.
        public var epochChanges: UInt64 = 0
    }

    static let ways = 4

    /// - Parameters:
    ///   - key: the venue's secret.
    ///   - rotation: how often ids change.
    ///   - optOut: MACs to drop; must be made with the same key.
    ///   - cacheCapacity: MACs cached, rounded up to a power of two (≥ 4); 16 bytes each.
    public init(key: IdentityKey, rotation: Rotation = .never, optOut: OptOutList? = nil, cacheCapacity: Int = 1 << 16) {
        self.init(scheme: DeviceIDScheme(key: key, rotation: rotation), optOut: optOut ?? OptOutList(key: key),
                  cacheCapacity: cacheCapacity, cacheHasher: .random())
    }

    init(scheme: DeviceIDScheme, optOut: OptOutList, cacheCapacity: Int, cacheHasher: SipHash24) {
        self.scheme = scheme
        self.optOut = optOut
        self.cacheHasher = cacheHasher
        var slots = Self.ways
        while slots < cacheCapacity { slots <<= 1 }
        tags = [UInt64](repeating: 0, count: slots)
        ids = [UInt64](repeating: 0, count: slots)
        setMask = slots / Self.ways - 1
    }

    /// The number of MACs the cache can hold.
    public var cacheCapacity: Int { tags.count }

    /// The device id of `mac` for a frame at `unixNanoseconds`, or nil if the MAC is on the
    /// opt-out list (drop the frame).
    @inlinable
    public mutating func deviceID(_ mac: MACAddress, unixNanoseconds: Int64) -> UInt64? {
        lookup(mac, epoch: scheme.epoch(unixNanoseconds: unixNanoseconds))
    }

    @usableFromInline
    mutating func lookup(_ mac: MACAddress, epoch: Int64) -> UInt64? {
        if epoch != currentEpoch { startEpoch(epoch) }
        var key = cacheHasher.hash(mac.rawValue) & ~1
        if key == 0 { key = 2 }  // 0 marks an empty slot
        let base = (Int(truncatingIfNeeded: key >> 1) & setMask) &* Self.ways  // < tags.count: setMask + 1 sets of 4
        let found: Int? = tags.withUnsafeBufferPointer { t in
            for w in 0 ..< Self.ways where t[base &+ w] & ~1 == key { return base &+ w }
            return nil
        }
        if let slot = found {
            statistics.hits &+= 1  // UInt64 counter: centuries of frames to wrap
            if tags[slot] & 1 != 0 {
                statistics.optedOutFrames &+= 1  // as above
                return nil
            }
            return ids[slot]
        }
        statistics.misses &+= 1  // as above
        let optedOut = optOut.contains(mac)
        let id = optedOut ? 0 : scheme.deviceID(mac, epoch: epoch)
        var slot = -1
        for w in 0 ..< Self.ways where tags[base &+ w] == 0 {
            slot = base &+ w
            break
        }
        if slot < 0 {
            slot = base &+ victim
            victim = (victim &+ 1) & (Self.ways - 1)
            statistics.evictions &+= 1  // as above
        }
        tags[slot] = key | (optedOut ? 1 : 0)
        ids[slot] = id
        if optedOut {
            statistics.optedOutFrames &+= 1  // as above
            return nil
        }
        return id
    }

    mutating func startEpoch(_ epoch: Int64) {
        if currentEpoch != .min { statistics.epochChanges &+= 1 }  // as above
        currentEpoch = epoch
        for i in tags.indices { tags[i] = 0 }
        for i in ids.indices { ids[i] = 0 }
    }

    /// The cache's keys (bit 0 cleared), for the test that shows no slot holds a MAC.
    var cachedKeys: [UInt64] { tags.filter { $0 != 0 }.map { $0 & ~1 } }
}
