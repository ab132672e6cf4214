public import MallGateDecode

/// The MACs of people who asked to be left out, held only as keyed hashes.
///
/// The list is checked before a frame reaches anything else (``DeviceIdentifier`` returns nil
/// for a listed MAC), so an opted-out phone leaves no id, position or visit. The hash uses the
/// device-id key with a label of its own and no rotation epoch: the list keeps working across
/// rotations, and its entries cannot be matched against device ids.
public struct OptOutList: Sendable {
    let scheme: DeviceIDScheme
    public private(set) var hashes: Set<OptOutHash>

    /// A list for `key`, holding `hashes` (read from the opt-out file).
    public init(key: IdentityKey, hashes: some Sequence<OptOutHash> = []) {
        self.scheme = DeviceIDScheme(key: key, rotation: .never)
        self.hashes = Set(hashes)
    }

    /// Adds `mac`: only its hash is kept.
    /// - Returns: false if it was already listed.
    @discardableResult
    public mutating func add(_ mac: MACAddress) -> Bool {
        hashes.insert(scheme.optOutHash(mac)).inserted
    }

    /// Whether `mac` is listed (one HMAC: callers on the hot path go through ``DeviceIdentifier``, which caches the answer).
    public func contains(_ mac: MACAddress) -> Bool {
        !hashes.isEmpty && hashes.contains(scheme.optOutHash(mac))
    }

    public var count: Int { hashes.count }
    public var isEmpty: Bool { hashes.isEmpty }

    /// The hashes in ascending order (a stable file layout).
    public var sortedHashes: [OptOutHash] { hashes.sorted() }
}
