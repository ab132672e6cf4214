internal import GRDB

/// A store operation that failed, with what was being done, the SQL and SQLite's own message.
public struct StoreError: Error, CustomStringConvertible, Sendable {
    enum Kind: Sendable {
        case sqlite(operation: String, code: Int32, message: String, sql: String?)
        case moveAside(path: String, target: String, errno: Int32)
        case invalidCoverage(table: String, through: Int64, enqueued: Int64)
        case noSuchBatch(sequence: Int64)
    }

    let kind: Kind
    /// The database file, or `:memory:`.
    public let path: String

    /// SQLite's primary result code when the failure came from SQLite (13 SQLITE_FULL, 10 SQLITE_IOERR, ...).
    public var sqliteCode: Int32? {
        if case .sqlite(_, let code, _, _) = kind { return code & 0xFF }
        return nil
    }

    /// The disk (or SD card) is full or failing: retry later; the store has reported it in its stats.
    public var isOutOfSpace: Bool { sqliteCode == 13 || sqliteCode == 10 }

    public var description: String {
        switch kind {
        case .sqlite(let operation, let code, let message, let sql):
            let statement = sql.map { " — SQL: \($0)" } ?? ""
            return "\(path): \(operation) failed: SQLite error \(code): \(message)\(statement)"
        case .moveAside(let path, let target, let errno):
            return "\(path): cannot move the corrupt database aside to \(target) (errno \(errno)); move or delete it by hand"
        case .invalidCoverage(let table, let through, let enqueued):
            return "\(path): an outbox batch covering \(table) through id \(through) would go back before id \(enqueued), already enqueued; batches must cover rows in order"
        case .noSuchBatch(let sequence):
            return "\(path): no outbox batch with sequence \(sequence)"
        }
    }

    static func wrap(_ error: any Error, _ operation: String, path: String) -> StoreError {
        if let error = error as? StoreError { return error }
        if let error = error as? DatabaseError {
            return StoreError(
                kind: .sqlite(
                    operation: operation, code: error.extendedResultCode.rawValue,
                    message: error.message ?? "(no message)", sql: error.sql),
                path: path)
        }
        return StoreError(kind: .sqlite(operation: operation, code: -1, message: "\(error)", sql: nil), path: path)
    }
}
