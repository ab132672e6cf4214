import GRDB
import Glibc
import MallGateStore
import MallGateTestSupport
import Synchronization

/// A clock the tests move by hand (time is injected, never slept on).
final class ManualClock: Sendable {
    let nanoseconds: Atomic<Int64>
    init(_ start: Int64 = 1_800_000_000_000_000_000) { nanoseconds = Atomic(start) }
    func advance(seconds: Int64) { nanoseconds.add(seconds * 1_000_000_000, ordering: .relaxed) }
    var now: Int64 { nanoseconds.load(ordering: .relaxed) }
}

func fileSize(_ path: String) -> Int64 {
    var info = stat()
    return stat(path, &info) == 0 ? Int64(info.st_size) : -1
}

/// Positions with distinct device ids and window times from `start`.
func positions(_ count: Int, start: Int, windowEnd: Int64 = 0) -> [PositionRow] {
    (0..<count).map { i in
        let n = start + i
        return PositionRow(
            device: UInt64(n) &* 0x9E37_79B9_7F4A_7C15, windowEndNanoseconds: windowEnd + Int64(n), floor: n % 2,
            zoneIndex: n % 30, zoneName: "zone-\(n % 30)", placement: Placement(rawValue: n % 3)!,
            confidence: Double(n % 100) / 100, clockSynchronized: n % 5 != 0)
    }
}

/// An independent look at a database file: plain GRDB SQL, not the store's code.
func inspect<T>(_ path: String, _ body: (Database) throws -> T) throws -> T {
    let queue = try DatabaseQueue(path: path)
    defer { try? queue.close() }
    return try queue.writeWithoutTransaction(body)
}

func integrityCheck(_ path: String) throws -> [String] {
    try inspect(path) { db in try String.fetchAll(db, sql: "PRAGMA integrity_check") }
}
