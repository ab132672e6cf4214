// The envelope around a batch's payload, and the HTTP body that carries it.
internal import Crypto
internal import FoundationEssentials
internal import SwiftProtobuf

/// One upload batch as it travels: who sent it, where it sits in the gateway's stream, the
/// payload bytes and their SHA-256.
///
/// The payload is kept as bytes, not rows: the hash covers exactly what the store sealed, so a
/// resend is byte-identical and the collector can tell a replay from a conflicting reuse of a
/// sequence number.
public struct WireBatch: Sendable, Equatable {
    /// The wire schema version this build writes and accepts.
    public static let schemaVersion: UInt32 = 1

    public var schemaVersion: UInt32
    public var gatewayID: String
    public var venueID: String
    /// Strictly increasing per gateway, from 1.
    public var sequence: UInt64
    /// When the gateway sealed the batch (Unix ms, gateway clock; informational only).
    public var createdUnixMs: Int64
    /// SHA-256 of `payload` (32 bytes).
    public var contentSHA256: [UInt8]
    /// A serialized `BatchPayload` (see `BatchRows.encodedPayload()`).
    public var payload: [UInt8]

    /// A batch around `payload`, hashing it.
    public init(gatewayID: String, venueID: String, sequence: UInt64, createdUnixMs: Int64, payload: [UInt8]) {
        self.init(
            gatewayID: gatewayID, venueID: venueID, sequence: sequence, createdUnixMs: createdUnixMs,
            payload: payload, contentSHA256: ContentHash.sha256(payload))
    }

    /// A batch whose hash was computed earlier (kept in the outbox next to the payload).
    public init(
        gatewayID: String, venueID: String, sequence: UInt64, createdUnixMs: Int64, payload: [UInt8],
        contentSHA256: [UInt8], schemaVersion: UInt32 = WireBatch.schemaVersion
    ) {
        self.schemaVersion = schemaVersion
        self.gatewayID = gatewayID
        self.venueID = venueID
        self.sequence = sequence
        self.createdUnixMs = createdUnixMs
        self.contentSHA256 = contentSHA256
        self.payload = payload
    }

    /// True when `contentSHA256` is the SHA-256 of `payload`.
    public var hashMatches: Bool { ContentHash.sha256(payload) == contentSHA256 }

    /// The serialized envelope, uncompressed.
    public func encodedEnvelope() -> [UInt8] {
        var envelope = Mallgate_Sync_V1_BatchEnvelope()
        envelope.schemaVersion = schemaVersion
        envelope.gatewayID = gatewayID
        envelope.venueID = venueID
        envelope.sequence = sequence
        envelope.createdUnixMs = createdUnixMs
        envelope.contentSha256 = Data(contentSHA256)
        envelope.payload = Data(payload)
        // Plain fields only: serializing cannot fail.
        return try! envelope.serializedBytes()
    }

    /// The HTTP body: gzip(BatchEnvelope).
    public func encodedBody(level: Int32 = 6) -> [UInt8] {
        Gzip.compress(encodedEnvelope(), level: level)
    }

    /// Decodes and checks an HTTP body: gzip, protobuf, schema version, sequence, hash.
    /// - Parameter inflatedLimit: the most bytes the body may inflate to.
    /// - Throws: `WireError` saying what is wrong (the reason returned to the gateway).
    public init(body: [UInt8], inflatedLimit: Int) throws(WireError) {
        let envelopeBytes = try Gzip.decompress(body, limit: inflatedLimit)
        let envelope: Mallgate_Sync_V1_BatchEnvelope
        do {
            envelope = try Mallgate_Sync_V1_BatchEnvelope(serializedBytes: envelopeBytes)
        } catch {
            throw WireError(.protobuf("body is not a BatchEnvelope (\(error))"))
        }
        guard envelope.schemaVersion == WireBatch.schemaVersion else {
            throw WireError(.schema(
                "schema version \(envelope.schemaVersion) is not supported (this collector speaks \(WireBatch.schemaVersion)); upgrade the collector or the gateway"))
        }
        guard envelope.sequence > 0 else { throw WireError(.invalid("sequence must be 1 or more, got 0")) }
        guard !envelope.venueID.isEmpty else { throw WireError(.invalid("venue_id is empty")) }
        guard envelope.contentSha256.count == 32 else {
            throw WireError(.hashMismatch("content_sha256 holds \(envelope.contentSha256.count) bytes, expected 32"))
        }
        self.init(
            gatewayID: envelope.gatewayID, venueID: envelope.venueID, sequence: envelope.sequence,
            createdUnixMs: envelope.createdUnixMs, payload: Array(envelope.payload),
            contentSHA256: Array(envelope.contentSha256), schemaVersion: envelope.schemaVersion)
        guard hashMatches else {
            throw WireError(.hashMismatch(
                "SHA-256 of the payload is \(ContentHash.hex(ContentHash.sha256(payload))), the envelope says \(ContentHash.hex(contentSHA256))"))
        }
    }
}

/// SHA-256 content hashes, as the envelope and the outbox carry them.
public enum ContentHash {
    public static func sha256(_ bytes: [UInt8]) -> [UInt8] { Array(SHA256.hash(data: bytes)) }

    /// Lower-case hex, for logs, reasons and SQL columns.
    public static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
