import Dispatch
import Synchronization

/// A bounded queue of batches from a capture thread to an async consumer.
///
/// libpcap must never wait for the pipeline: a live source sends with
/// ``OverflowPolicy/dropNewest`` and the batch that finds the queue full is counted and
/// dropped at the edge. A replayed file has no deadline, so it sends with
/// ``OverflowPolicy/wait`` and loses nothing. Batches (hundreds of frames), not
/// frames, cross this boundary: an async hop costs microseconds, a decode nanoseconds.
public final class BatchChannel<Element: Sendable>: Sendable, AsyncSequence {
    /// What a send does when the queue already holds `capacity` batches.
    public enum OverflowPolicy: Sendable {
        /// Drop the batch being sent and count it (live capture: never block libpcap).
        case dropNewest
        /// Block the sending thread until the consumer takes one (file replay: lossless).
        case wait
    }

    private struct State {
        /// Queued batches from `head` on; a taken slot is cleared at once, so a batch handed to
        /// the consumer is not kept alive here while later ones keep the queue from emptying.
        var items: [Element?] = []
        var head = 0
        var finished = false
        var waiter: CheckedContinuation<Element?, Never>?
        var dropped = 0
    }

    private enum Delivery { case queued, handedOver(CheckedContinuation<Element?, Never>), refused }

    private let state = Mutex(State())
    /// Counts free places; a sender takes one, the consumer gives it back.
    private let space: DispatchSemaphore
    public let capacity: Int
    public let policy: OverflowPolicy

    public init(capacity: Int, policy: OverflowPolicy) {
        precondition(capacity > 0, "a channel needs room for at least one batch")
        self.capacity = capacity
        self.policy = policy
        // Start at zero and signal up: libdispatch traps when a semaphore is freed below
        // its initial value, which a channel dropped with batches still queued would be.
        self.space = DispatchSemaphore(value: 0)
        for _ in 0..<capacity { space.signal() }
    }

    /// Batches refused because the queue was full (only with ``OverflowPolicy/dropNewest``).
    public var droppedBatches: Int { state.withLock { $0.dropped } }

    /// Hands a batch to the consumer; returns false when it was dropped (queue full or finished).
    ///
    /// - Parameter policy: what to do when the queue is full; defaults to the channel's.
    ///   Senders of one channel may differ: a replayed file waits where a live radio drops.
    @discardableResult
    public func send(_ element: Element, policy: OverflowPolicy? = nil) -> Bool {
        switch policy ?? self.policy {
        case .dropNewest:
            guard space.wait(timeout: .now()) == .success else {
                state.withLock { $0.dropped += 1 }
                return false
            }
        case .wait:
            space.wait()
        }
        let delivery: Delivery = state.withLock { s in
            if s.finished { return .refused }
            if let waiter = s.waiter {
                s.waiter = nil
                return .handedOver(waiter)
            }
            s.items.append(element)
            return .queued
        }
        switch delivery {
        case .queued:
            return true
        case .handedOver(let waiter):
            space.signal()  // the consumer took it directly: the place was never used
            waiter.resume(returning: element)
            return true
        case .refused:
            space.signal()
            return false
        }
    }

    /// Ends the sequence at once, dropping queued batches and releasing blocked senders.
    ///
    /// For a consumer that stops iterating (shutdown, an error): without it a replay
    /// thread waiting for room would wait forever.
    public func cancel() {
        let (waiter, queued): (CheckedContinuation<Element?, Never>?, Int) = state.withLock { s in
            s.finished = true
            let queued = s.items.count - s.head
            s.items.removeAll()
            s.head = 0
            defer { s.waiter = nil }
            return (s.waiter, queued)
        }
        // Give back the places of the dropped batches; every sender blocked in `wait`
        // then wakes, finds the channel finished, and returns its place in turn.
        for _ in 0..<queued { space.signal() }
        space.signal()
        waiter?.resume(returning: nil)
    }

    /// Ends the sequence once the queued batches are consumed.
    public func finish() {
        let waiter: CheckedContinuation<Element?, Never>? = state.withLock { s in
            s.finished = true
            defer { s.waiter = nil }
            return s.items.count > s.head ? nil : s.waiter
        }
        waiter?.resume(returning: nil)
    }

    private func next() async -> Element? {
        await withCheckedContinuation { (continuation: CheckedContinuation<Element?, Never>) in
            let taken: Element?? = state.withLock { s in
                if s.head < s.items.count {
                    let element = s.items[s.head].take()!
                    s.head += 1
                    if s.head == s.items.count {
                        s.items.removeAll(keepingCapacity: true)
                        s.head = 0
                    } else if s.head >= 64, s.head * 2 >= s.items.count {
                        // A queue that never quite empties would otherwise grow its array forever.
                        s.items.removeFirst(s.head)
                        s.head = 0
                    }
                    return .some(element)
                }
                if s.finished { return .some(nil) }
                s.waiter = continuation
                return nil
            }
            if let taken {
                if taken != nil { space.signal() }
                continuation.resume(returning: taken)
            }
        }
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let channel: BatchChannel
        public mutating func next() async -> Element? { await channel.next() }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(channel: self) }
}
