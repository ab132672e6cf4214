internal import Dispatch
internal import Synchronization

/// Runs `body` for 0..<iterations on all cores (libdispatch), returning when all are done.
func concurrentPerform(iterations: Int, _ body: @Sendable (Int) -> Void) {
    DispatchQueue.concurrentPerform(iterations: iterations, execute: body)
}

/// One slot per parallel task for its result; each task writes only its own slot.
final class ResultSlots<Value: Sendable>: Sendable {
    private let storage: Mutex<[Value?]>
    init(count: Int) { storage = Mutex([Value?](repeating: nil, count: count)) }
    func set(_ index: Int, _ value: sending Value) {
        storage.withLock { $0[index] = value }
    }
    /// All results, in index order; every slot must have been set.
    func values() -> [Value] { storage.withLock { $0.map { $0! } } }
}
