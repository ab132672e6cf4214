// The uploader's view of the gateway's outbox. The SQLite store (MallGateStore) conforms to
// this at merge time; tests use InMemoryOutbox.
public import MallGateWire

/// One sealed upload batch waiting in the outbox.
public struct OutboxBatch: Sendable, Equatable {
    /// Strictly increasing per gateway, from 1; never reused for different content.
    public var sequence: UInt64
    /// The venue the rows belong to (venue file "id").
    public var venueID: String
    /// A serialized `BatchPayload` (`BatchRows.encodedPayload()`), uncompressed.
    public var payload: [UInt8]
    /// SHA-256 of `payload`, computed when the batch was sealed.
    public var contentSHA256: [UInt8]
    /// When the batch was sealed (Unix ms).
    public var createdUnixMs: Int64
    /// Rows the batch carries, for metrics and progress (0 when the outbox does not say).
    public var rowCount: Int = 0

    public init(sequence: UInt64, venueID: String, payload: [UInt8], contentSHA256: [UInt8], createdUnixMs: Int64) {
        self.sequence = sequence
        self.venueID = venueID
        self.payload = payload
        self.contentSHA256 = contentSHA256
        self.createdUnixMs = createdUnixMs
    }

    /// A batch sealed from rows now: payload encoded and hashed.
    public init(sequence: UInt64, venueID: String, rows: BatchRows, createdUnixMs: Int64) {
        let payload = rows.encodedPayload()
        self.init(sequence: sequence, venueID: venueID, payload: payload, contentSHA256: ContentHash.sha256(payload), createdUnixMs: createdUnixMs)
    }
}

/// The outbox the uploader drains: pending batches oldest first; each ends delivered or parked.
///
/// Why a protocol: the uploader must not know how the gateway stores batches (GRDB, WAL,
/// retention), and its tests must run without a database.
///
/// Contract the implementation keeps:
/// - `pending(limit:)` returns up to `limit` batches in state *pending*, ascending by sequence,
///   and keeps returning them until they are marked delivered or parked (a restart resumes).
/// - `markDelivered` and `park` are idempotent and durable once they return; marking a sequence
///   that is no longer pending (pruned, already marked) is not an error.
/// - A parked batch keeps its payload and reason, is never returned by `pending` again, and stays
///   visible to operators until they release or delete it.
public protocol OutboxQueue: Sendable {
    /// Up to `limit` pending batches, ascending by sequence.
    func pending(limit: Int) async throws -> [OutboxBatch]
    /// The collector holds this batch (stored now or earlier); the outbox may prune it.
    func markDelivered(_ sequence: UInt64) async throws
    /// The collector refused this batch (or it is unsendable); keep it aside with the reason.
    func park(_ sequence: UInt64, reason: String) async throws
}

/// An outbox in memory, for tests and for tools that upload a file of batches.
public actor InMemoryOutbox: OutboxQueue {
    public enum State: Sendable, Equatable {
        case pending
        case delivered
        case parked(reason: String)
    }

    private var batches: [UInt64: OutboxBatch] = [:]
    private var states: [UInt64: State] = [:]

    public init(_ batches: [OutboxBatch] = []) {
        for batch in batches {
            self.batches[batch.sequence] = batch
            self.states[batch.sequence] = .pending
        }
    }

    /// Adds a batch in state pending.
    public func enqueue(_ batch: OutboxBatch) {
        batches[batch.sequence] = batch
        states[batch.sequence] = .pending
    }

    public func pending(limit: Int) -> [OutboxBatch] {
        states.filter { $0.value == .pending }.keys.sorted().prefix(limit).compactMap { batches[$0] }
    }

    public func markDelivered(_ sequence: UInt64) {
        if states[sequence] == .pending { states[sequence] = .delivered }
    }

    public func park(_ sequence: UInt64, reason: String) {
        if states[sequence] == .pending { states[sequence] = .parked(reason: reason) }
    }

    /// The state of one batch; nil if never enqueued.
    public func state(of sequence: UInt64) -> State? { states[sequence] }

    /// Sequences by state, ascending.
    public func sequences(in wanted: State) -> [UInt64] { states.filter { $0.value == wanted }.keys.sorted() }

    /// Parked batches with their reasons, ascending by sequence.
    public func parked() -> [(sequence: UInt64, reason: String)] {
        states.compactMap { entry -> (UInt64, String)? in
            if case .parked(let reason) = entry.value { return (entry.key, reason) }
            return nil
        }.sorted { $0.0 < $1.0 }
    }

    /// How many batches are still pending.
    public var pendingCount: Int { states.values.filter { $0 == .pending }.count }
}
