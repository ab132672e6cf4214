public import MallGateWire

/// A gateway allowed to upload, as the collector knows it.
public struct GatewayRecord: Sendable, Equatable {
    public var name: String
    /// The one venue this gateway may send batches for.
    public var venueID: String
    /// SHA-256 of the bearer token, lower-case hex (the token itself is never stored).
    public var tokenSHA256: String
    public var createdUnixMs: Int64
    /// Set when revoked; a revoked gateway's token no longer authenticates.
    public var revokedUnixMs: Int64?

    public init(name: String, venueID: String, tokenSHA256: String, createdUnixMs: Int64, revokedUnixMs: Int64? = nil) {
        self.name = name
        self.venueID = venueID
        self.tokenSHA256 = tokenSHA256
        self.createdUnixMs = createdUnixMs
        self.revokedUnixMs = revokedUnixMs
    }
}

/// A batch that passed every check but the database's: authenticated, decoded, hash verified.
public struct VerifiedBatch: Sendable {
    public var gateway: String
    public var venueID: String
    public var sequence: UInt64
    public var contentSHA256: String
    public var createdUnixMs: Int64
    public var receivedUnixMs: Int64
    public var rows: BatchRows

    public init(gateway: String, venueID: String, sequence: UInt64, contentSHA256: String, createdUnixMs: Int64, receivedUnixMs: Int64, rows: BatchRows) {
        self.gateway = gateway
        self.venueID = venueID
        self.sequence = sequence
        self.contentSHA256 = contentSHA256
        self.createdUnixMs = createdUnixMs
        self.receivedUnixMs = receivedUnixMs
        self.rows = rows
    }
}

/// What storing a batch did.
public enum IngestOutcome: Sendable, Equatable {
    /// Stored now. `gap` is the range of sequences this batch skipped past (recorded, not refused).
    case stored(rows: Int, gap: ClosedRange<UInt64>?)
    /// Stored earlier with the same content hash: nothing changed.
    case duplicate
    /// The sequence is taken by different content: refused, nothing changed.
    case conflict(storedSHA256: String)
}

/// Rows per table, for tests and `mallgate-collector stats`.
public struct TableCounts: Sendable, Equatable {
    public var batches = 0
    public var positions = 0
    public var visits = 0
    public var storeCounts = 0
    public var healthEvents = 0
    public var sequenceGaps = 0
    public init() {}
}

/// One bucket of the per-store report.
public struct StoreReportRow: Sendable, Equatable {
    public var store: String
    /// Bucket start, Unix ms.
    public var bucketStartMs: Int64
    public var footfall: Int64
    public var passersBy: Int64
    public var dwellSecondsSum: Int64
    /// Mean dwell of the bucket's visits, seconds (0 without visits).
    public var meanDwellSeconds: Double { footfall > 0 ? Double(dwellSecondsSum) / Double(footfall) : 0 }

    public init(store: String, bucketStartMs: Int64, footfall: Int64, passersBy: Int64, dwellSecondsSum: Int64) {
        self.store = store
        self.bucketStartMs = bucketStartMs
        self.footfall = footfall
        self.passersBy = passersBy
        self.dwellSecondsSum = dwellSecondsSum
    }
}

/// A position row as the collector stored it.
public struct StoredPosition: Sendable, Hashable {
    public var gateway: String
    public var sequence: UInt64
    public var device: UInt64
    public var timeMs: Int64
    public var zone: String
    public var confidence: UInt8

    public init(gateway: String, sequence: UInt64, device: UInt64, timeMs: Int64, zone: String, confidence: UInt8) {
        self.gateway = gateway
        self.sequence = sequence
        self.device = device
        self.timeMs = timeMs
        self.zone = zone
        self.confidence = confidence
    }
}

/// A sequence range a gateway skipped (pruned or parked on its side), as recorded at ingest.
public struct SequenceGap: Sendable, Equatable {
    public var gateway: String
    public var firstMissing: UInt64
    public var lastMissing: UInt64
    public init(gateway: String, firstMissing: UInt64, lastMissing: UInt64) {
        self.gateway = gateway
        self.firstMissing = firstMissing
        self.lastMissing = lastMissing
    }
}

/// Where the collector keeps gateways and their rows: SQLite (one collector) or PostgreSQL
/// (several collectors behind a load balancer sharing one database).
///
/// Deduplication lives in the database (primary key on `(gateway, sequence)`), not in the
/// process, so two collectors receiving the same batch at once store it once.
public protocol CollectorStore: Sendable {
    /// Applies pending migrations (forward only; safe to run from several collectors at once).
    func migrate() async throws
    /// Registers a gateway. - Throws: `CollectorError` if the name is taken.
    func addGateway(_ gateway: GatewayRecord) async throws
    /// Revokes a gateway's token; false if no active gateway has that name.
    func revokeGateway(name: String, atUnixMs: Int64) async throws -> Bool
    func gateways() async throws -> [GatewayRecord]
    /// The active (not revoked) gateway holding this token hash.
    func activeGateway(tokenSHA256: String) async throws -> GatewayRecord?
    /// Stores a batch and its rows in one transaction, or nothing (duplicate, conflict).
    func ingest(_ batch: VerifiedBatch) async throws -> IngestOutcome
    /// The highest sequence stored for a gateway (0 if none).
    func highestSequence(gateway: String) async throws -> UInt64
    func sequenceGaps(gateway: String) async throws -> [SequenceGap]
    /// Per-store footfall, passers-by and dwell, summed into buckets of `bucketSeconds`.
    func storeReport(venueID: String, fromMs: Int64, toMs: Int64, bucketSeconds: Int64) async throws -> [StoreReportRow]
    func tableCounts() async throws -> TableCounts
    /// Every stored position of a venue, ordered by (gateway, device, time): for exports and checks.
    func positions(venueID: String) async throws -> [StoredPosition]
    /// Closes connections (PostgreSQL); a no-op for SQLite.
    func close() async
}

/// A collector failure someone can act on.
public struct CollectorError: Error, CustomStringConvertible, Sendable {
    enum Kind: Sendable {
        case gatewayExists(String)
        case configuration(String)
        case database(String)
    }

    let kind: Kind

    init(_ kind: Kind) { self.kind = kind }

    public var description: String {
        switch kind {
        case .gatewayExists(let name): return "a gateway named \(name) exists already; revoke it first or choose another name"
        case .configuration(let message): return message
        case .database(let message): return "database: \(message)"
        }
    }
}
