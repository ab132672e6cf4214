/// A venue's secret key for device ids and opt-out hashes: 32 random bytes.
///
/// Whoever holds the key can test a guessed MAC against an id, so it never leaves the
/// gateway: it is not printed, logged, dumped or sent upstream. `description`, `debugDescription`
/// and the mirror are redacted; the bytes are reachable only through ``withKeyMaterial(_:)``,
/// which the key file writer uses.
public struct IdentityKey: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The key length: SHA-256's output size, the key length RFC 2104 recommends for HMAC-SHA256.
    public static let byteCount = 32

    let bytes: [UInt8]

    /// A key from exactly ``byteCount`` bytes (a key file's contents).
    /// - Throws: ``IdentityKeyError`` naming the length found when it is not 32.
    public init(bytes: some Collection<UInt8>) throws(IdentityKeyError) {
        guard bytes.count == Self.byteCount else { throw IdentityKeyError(.wrongLength(bytes.count)) }
        self.bytes = Array(bytes)
    }

    /// A new key from the system's cryptographically secure generator (getrandom(2) on Linux).
    public static func random() -> IdentityKey {
        var generator = SystemRandomNumberGenerator()
        return random(using: &generator)
    }

    /// A new key from `generator` (tests pass a seeded one; production uses ``random()``).
    public static func random(using generator: inout some RandomNumberGenerator) -> IdentityKey {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(byteCount)
        for _ in 0 ..< byteCount / 8 {
            withUnsafeBytes(of: generator.next() as UInt64) { bytes.append(contentsOf: $0) }
        }
        return IdentityKey(unchecked: bytes)
    }

    init(unchecked bytes: [UInt8]) { self.bytes = bytes }

    /// Calls `body` with the key bytes: for writing the key file, nothing else.
    public func withKeyMaterial<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        // withUnsafeBytes is rethrows, not typed: go through Result to keep the typed throw.
        let result: Result<R, E> = bytes.withUnsafeBytes { raw in
            do throws(E) { return .success(try body(raw)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    public var description: String { "IdentityKey(32 bytes, redacted)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}

/// A key that cannot be used, and why.
public struct IdentityKeyError: Error, Sendable, Equatable, CustomStringConvertible {
    enum Kind: Sendable, Equatable {
        case wrongLength(Int)
    }
    let kind: Kind
    init(_ kind: Kind) { self.kind = kind }

    public var description: String {
        switch kind {
        case .wrongLength(let n):
            return "an identity key is exactly \(IdentityKey.byteCount) bytes, this one has \(n)"
        }
    }
}
