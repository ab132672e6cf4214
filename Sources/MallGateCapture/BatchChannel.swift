import Dispatch
import Synchronization

/// A bounded queue of batches from a capture thread to an async consumer.
///
/// Bounded by weight, not by count: batches of different sizes (a live radio's 256
/// observations, a replayed file's 1,024) share one room, so what the queue can hold in
/// memory does not depend on which sources fill it.
///
/// libpcap must never wait for the pipeline: a live source sends with
/// ``OverflowPolicy/dropNewest`` and the batch that finds the queue full is counted and
/// dropped at the edge. A replayed file has no deadline, so it sends with
/// ``OverflowPolicy/wait`` and loses nothing. Batches (hundreds of frames), not
/// frames, cross this boundary: an async hop costs microseconds, a decode nanoseconds.
public final class BatchChannel<Element: Sendable>: Sendable, AsyncSequence {
    /// What a send does when the batch does not fit in the room left.
    public enum OverflowPolicy: Sendable {
        /// Drop the batch being sent and count it (live capture: never block libpcap).
        case dropNewest
        /// Block the sending thread until the consumer has taken enough (file replay: lossless).
        case wait
    }

    private struct State {
        /// Queued batches and their weights from `head` on; a taken slot is cleared at once, so a
        /// batch handed to the consumer is not kept alive here while later ones keep the queue
        /// from emptying.
        var items: [(element: Element, weight: Int)?] = []
        var head = 0
        /// Sum of the queued batches' weights.
        var queuedWeight = 0
        var finished = false
        var waiter: CheckedContinuation<Element?, Never>?
        /// Senders blocked for room (``OverflowPolicy/wait``), woken to look again whenever
        /// the consumer takes a batch or the channel ends.
        var blockedSenders: [DispatchSemaphore] = []
        var dropped = 0
    }

    private enum Delivery { case queued, handedOver(CheckedContinuation<Element?, Never>), refused, mustWait(DispatchSemaphore) }

    private let state = Mutex(State())
    /// The room, in the unit of `weight`.
    public let capacity: Int
    public let policy: OverflowPolicy
    private let weight: @Sendable (Element) -> Int

    /// - Parameters:
    ///   - capacity: the room; queued batches' weights never add up to more, except that a
    ///     batch heavier than the whole room still passes through an empty queue.
    ///   - weight: what a batch costs of the room (default 1: the capacity counts batches).
    ///     The capture session weighs a batch by the observations its array has room for, so
    ///     the queue's memory is bounded whatever the mix of batch sizes.
    public init(capacity: Int, policy: OverflowPolicy, weight: @escaping @Sendable (Element) -> Int = { _ in 1 }) {
        precondition(capacity > 0, "a channel needs room for at least one batch")
        self.capacity = capacity
        self.policy = policy
        self.weight = weight
    }

    /// Batches refused because the queue was full (only with ``OverflowPolicy/dropNewest``).
    public var droppedBatches: Int { state.withLock { $0.dropped } }

    /// Hands a batch to the consumer; returns false when it was dropped (no room, or finished).
    ///
    /// - Parameter policy: what to do when there is no room; defaults to the channel's.
    ///   Senders of one channel may differ: a replayed file waits where a live radio drops.
    @discardableResult
    public func send(_ element: Element, policy: OverflowPolicy? = nil) -> Bool {
        let policy = policy ?? self.policy
        let cost = Swift.max(0, weight(element))
        while true {
            let delivery: Delivery = state.withLock { s in
                if s.finished { return .refused }
                if let waiter = s.waiter {
                    // The consumer waits, so the queue is empty: hand the batch over directly.
                    s.waiter = nil
                    return .handedOver(waiter)
                }
                if s.queuedWeight == 0 || s.queuedWeight + cost <= capacity {
                    s.items.append((element, cost))
                    s.queuedWeight += cost
                    return .queued
                }
                switch policy {
                case .dropNewest:
                    s.dropped += 1
                    return .refused
                case .wait:
                    let wake = DispatchSemaphore(value: 0)
                    s.blockedSenders.append(wake)
                    return .mustWait(wake)
                }
            }
            switch delivery {
            case .queued:
                return true
            case .handedOver(let waiter):
                waiter.resume(returning: element)
                return true
            case .refused:
                return false
            case .mustWait(let wake):
                wake.wait()  // then look again: the room may have gone to another sender
            }
        }
    }

    /// Ends the sequence at once, dropping queued batches and releasing blocked senders.
    ///
    /// For a consumer that stops iterating (shutdown, an error): without it a replay
    /// thread waiting for room would wait forever.
    public func cancel() {
        let (waiter, blocked): (CheckedContinuation<Element?, Never>?, [DispatchSemaphore]) = state.withLock { s in
            s.finished = true
            s.items.removeAll()
            s.head = 0
            s.queuedWeight = 0
            defer { s.waiter = nil; s.blockedSenders = [] }
            return (s.waiter, s.blockedSenders)
        }
        // Every blocked sender wakes, finds the channel finished, and returns false.
        for wake in blocked { wake.signal() }
        waiter?.resume(returning: nil)
    }

    /// Ends the sequence once the queued batches are consumed.
    public func finish() {
        let (waiter, blocked): (CheckedContinuation<Element?, Never>?, [DispatchSemaphore]) = state.withLock { s in
            s.finished = true
            defer { s.waiter = nil; s.blockedSenders = [] }
            return (s.items.count > s.head ? nil : s.waiter, s.blockedSenders)
        }
        for wake in blocked { wake.signal() }
        waiter?.resume(returning: nil)
    }

    private func next() async -> Element? {
        await withCheckedContinuation { (continuation: CheckedContinuation<Element?, Never>) in
            let (taken, blocked): (Element??, [DispatchSemaphore]) = state.withLock { s in
                if s.head < s.items.count {
                    let (element, cost) = s.items[s.head].take()!
                    s.head += 1
                    s.queuedWeight -= cost
                    if s.head == s.items.count {
                        s.items.removeAll(keepingCapacity: true)
                        s.head = 0
                    } else if s.head >= 64, s.head * 2 >= s.items.count {
                        // A queue that never quite empties would otherwise grow its array forever.
                        s.items.removeFirst(s.head)
                        s.head = 0
                    }
                    defer { s.blockedSenders = [] }
                    return (.some(element), s.blockedSenders)
                }
                if s.finished { return (.some(nil), []) }
                s.waiter = continuation
                return (nil, [])
            }
            for wake in blocked { wake.signal() }
            if let taken { continuation.resume(returning: taken) }
        }
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let channel: BatchChannel
        public mutating func next() async -> Element? { await channel.next() }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(channel: self) }
}
