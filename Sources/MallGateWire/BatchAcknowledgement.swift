// The collector's answer to a batch, as BatchAck (mallgate_sync.proto).
internal import SwiftProtobuf

/// What the collector says about one batch: stored, already stored, or refused with a reason.
public struct BatchAcknowledgement: Sendable, Equatable {
    public enum Status: Sendable, Equatable {
        /// Stored by this request.
        case stored
        /// Stored earlier with the same content hash; nothing changed.
        case duplicate
        /// Refused; resending the same bytes is refused again.
        case rejected
    }

    public var sequence: UInt64
    public var status: Status
    public var reason: String
    /// The highest sequence the collector holds for the gateway after this batch.
    public var highestSequence: UInt64
    public var rowsStored: UInt64

    public init(sequence: UInt64, status: Status, reason: String = "", highestSequence: UInt64 = 0, rowsStored: UInt64 = 0) {
        self.sequence = sequence
        self.status = status
        self.reason = reason
        self.highestSequence = highestSequence
        self.rowsStored = rowsStored
    }

    /// The serialized BatchAck (the body of the collector's answer, `application/x-protobuf`).
    public func encoded() -> [UInt8] {
        var ack = Mallgate_Sync_V1_BatchAck()
        ack.sequence = sequence
        ack.status = switch status {
        case .stored: .stored
        case .duplicate: .duplicate
        case .rejected: .rejected
        }
        ack.reason = reason
        ack.highestSequence = highestSequence
        ack.rowsStored = rowsStored
        return try! ack.serializedBytes()
    }

    /// Decodes a BatchAck; nil when the bytes are not one (an answer from a proxy, say).
    public init?(encoded bytes: [UInt8]) {
        guard let ack = try? Mallgate_Sync_V1_BatchAck(serializedBytes: bytes) else { return nil }
        let status: Status
        switch ack.status {
        case .stored: status = .stored
        case .duplicate: status = .duplicate
        case .rejected: status = .rejected
        default: return nil
        }
        self.init(sequence: ack.sequence, status: status, reason: ack.reason, highestSequence: ack.highestSequence, rowsStored: ack.rowsStored)
    }
}
