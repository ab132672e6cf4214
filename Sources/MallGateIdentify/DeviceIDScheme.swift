public import MallGateDecode
internal import Crypto

/// The keyed hash that turns a MAC into a device id: HMAC-SHA256 truncated to 64 bits.
///
/// id = first 8 bytes, big-endian, of HMAC-SHA256(key, M) with
/// M = "MallGate device-id v1" ‖ 0x00 ‖ rotation tag (1 byte: never 0, daily 1, weekly 2)
///     ‖ epoch (8 bytes, big-endian two's complement) ‖ the 6 MAC octets in transmission order.
/// The opt-out hash uses the label "MallGate opt-out v1", tag 0 and epoch 0, so it survives
/// rotation, and keeps 16 bytes. A keyed hash (RFC 2104) rather than a plain one because the
/// MAC space is small (2⁴⁸, and about 2²⁴ per vendor): an unkeyed hash is reversed by
/// enumeration in minutes. See docs/privacy.md.
public struct DeviceIDScheme: Sendable {
    public let rotation: Rotation
    /// HMAC-SHA256 under the key, with the inner hash already past each label.
    private let deviceHash: KeyedHash
    private let optOutHash: KeyedHash

    static let deviceLabel = Array("MallGate device-id v1".utf8)
    static let optOutLabel = Array("MallGate opt-out v1".utf8)

    public init(key: IdentityKey, rotation: Rotation) {
        deviceHash = KeyedHash(key: key.bytes, prefix: Self.deviceLabel)
        optOutHash = KeyedHash(key: key.bytes, prefix: Self.optOutLabel)
        self.rotation = rotation
    }

    /// The rotation epoch a frame at `unixNanoseconds` belongs to.
    @inlinable
    public func epoch(unixNanoseconds: Int64) -> Int64 { rotation.epoch(unixNanoseconds: unixNanoseconds) }

    /// The device id of `mac` in `epoch` (one HMAC: about a microsecond, so the hot path goes
    /// through ``DeviceIdentifier``'s cache).
    public func deviceID(_ mac: MACAddress, epoch: Int64) -> UInt64 {
        let digest = mac_(deviceHash, tag: rotation.tag, epoch: epoch, mac: mac)
        return Self.bigEndianWord(digest, at: 0)
    }

    /// The opt-out hash of `mac`: the same key, another label, no epoch.
    public func optOutHash(_ mac: MACAddress) -> OptOutHash {
        let digest = mac_(optOutHash, tag: 0, epoch: 0, mac: mac)
        return OptOutHash(high: Self.bigEndianWord(digest, at: 0), low: Self.bigEndianWord(digest, at: 8))
    }

    /// HMAC-SHA256 over label ‖ 0 ‖ tag ‖ epoch ‖ MAC, built on the stack: the MAC's bytes
    /// live only in this 8 + label-size byte buffer, for the duration of the call.
    private func mac_(_ hash: KeyedHash, tag: UInt8, epoch: Int64, mac: MACAddress) -> [UInt8] {
        var tail: (UInt64, UInt64) = (0, 0)
        return withUnsafeMutableBytes(of: &tail) { t in
            t[0] = 0
            t[1] = tag
            let e = UInt64(bitPattern: epoch)
            for i in 0 ..< 8 { t[2 + i] = UInt8(truncatingIfNeeded: e >> (56 - 8 * UInt64(i))) }
            for i in 0 ..< 6 { t[10 + i] = mac.octet(i) }
            let code = hash.authenticate(UnsafeRawBufferPointer(t))
            // Overwrite the copy of the MAC before the buffer goes out of scope.
            for i in 0 ..< 16 { t[i] = 0 }
            return code
        }
    }

    static func bigEndianWord(_ bytes: [UInt8], at offset: Int) -> UInt64 {
        var w: UInt64 = 0
        for i in 0 ..< 8 { w = w << 8 | UInt64(bytes[offset + i]) }
        return w
    }
}

/// HMAC-SHA256 (RFC 2104) under one key for messages that all begin with one prefix, keyed once.
///
/// HMAC hashes the key's inner pad, the message, then the outer pad and the inner digest: four
/// SHA-256 blocks for a short message, plus the key schedule. The states after the inner pad and
/// prefix and after the outer pad are the same for every message, so they are computed here once
/// and copied per message (swift-crypto's `SHA256` is a copy-on-write value): two compressions
/// per MAC. Every cache miss of the identify stage pays this (each new randomized MAC), so it is
/// on the replay's profile (6 % before). Checked against Python's `hmac` (DeviceIDTests).
struct KeyedHash: @unchecked Sendable {
    // @unchecked: `SHA256` holds a class that is only ever copied (copy-on-write) here, never
    // mutated in place, so concurrent readers are safe.
    private let inner: SHA256
    private let outer: SHA256

    init(key: [UInt8], prefix: [UInt8]) {
        let blockSize = 64
        var block = key.count > blockSize ? Array(SHA256.hash(data: key)) : key
        block += [UInt8](repeating: 0, count: blockSize - block.count)
        var inner = SHA256()
        inner.update(data: block.map { $0 ^ 0x36 })
        inner.update(data: prefix)
        var outer = SHA256()
        outer.update(data: block.map { $0 ^ 0x5c })
        for i in block.indices { block[i] = 0 }
        self.inner = inner
        self.outer = outer
    }

    /// The first 16 bytes of HMAC-SHA256(key, prefix ‖ message).
    func authenticate(_ message: UnsafeRawBufferPointer) -> [UInt8] {
        var innerHash = inner
        innerHash.update(bufferPointer: message)
        let innerDigest = innerHash.finalize()
        var outerHash = outer
        innerDigest.withUnsafeBytes { outerHash.update(bufferPointer: $0) }
        return outerHash.finalize().withUnsafeBytes { Array($0.prefix(16)) }
    }
}

/// A MAC's opt-out hash: 128 bits of HMAC-SHA256 under the opt-out label.
///
/// 128 bits so that a false match (someone else's frames dropped) has odds of n/2¹²⁸ per MAC
/// for a list of n entries; the list file holds these, never a MAC.
public struct OptOutHash: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let high: UInt64
    public let low: UInt64

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// Parses 32 hex digits (either case); nil for anything else.
    public init?(hex: some StringProtocol) {
        let digits = Array(hex.utf8)
        guard digits.count == 32 else { return nil }
        var words: [UInt64] = [0, 0]
        for (i, d) in digits.enumerated() {
            let v: UInt8
            switch d {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): v = d - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): v = d - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): v = d - UInt8(ascii: "A") + 10
            default: return nil
            }
            words[i / 16] = words[i / 16] << 4 | UInt64(v)
        }
        self.init(high: words[0], low: words[1])
    }

    /// 32 lowercase hex digits: the line format of the opt-out file.
    public var description: String { Self.hex16(high) + Self.hex16(low) }

    static func hex16(_ w: UInt64) -> String {
        let s = String(w, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }

    public static func < (a: OptOutHash, b: OptOutHash) -> Bool { (a.high, a.low) < (b.high, b.low) }
}
