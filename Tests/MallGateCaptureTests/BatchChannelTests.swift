import Dispatch
import Testing
@testable import MallGateCapture

@Suite struct BatchChannelTests {
    @Test func dropNewestRefusesWhenFullAndCountsTheDrop() async {
        let channel = BatchChannel<Int>(capacity: 2, policy: .dropNewest)
        #expect(channel.send(1))
        #expect(channel.send(2))
        #expect(channel.send(3) == false)  // full: the newest batch is dropped, not the queued ones
        #expect(channel.droppedBatches == 1)
        channel.finish()
        var received: [Int] = []
        for await batch in channel { received.append(batch) }
        #expect(received == [1, 2])
    }

    @Test func waitPolicyLosesNothingWhenTheConsumerIsSlower() async {
        let channel = BatchChannel<Int>(capacity: 4, policy: .wait)
        let count = 5_000
        DispatchQueue.global().async {
            for i in 0..<count { channel.send(i) }
            channel.finish()
        }
        var received: [Int] = []
        for await batch in channel {
            received.append(batch)
            if batch % 500 == 0 { await Task.yield() }
        }
        #expect(received == Array(0..<count))
        #expect(channel.droppedBatches == 0)
    }

    /// A batch the consumer took is freed once the consumer drops it, even while later batches
    /// keep the queue from ever emptying (the daemon's replay: 2 GB after a 24 h soak, before).
    @Test func aTakenBatchIsNotKeptAliveByTheQueue() async {
        final class Batch: Sendable { let number: Int; init(_ number: Int) { self.number = number } }
        let channel = BatchChannel<Batch>(capacity: 4, policy: .wait)
        var iterator = channel.makeAsyncIterator()
        weak var taken: Batch?
        #expect(channel.send(Batch(0)))
        for number in 1...1_000 {
            #expect(channel.send(Batch(number)))  // the queue holds two: it never empties
            do {
                let batch = await iterator.next()
                #expect(batch?.number == number - 1)
                taken = batch
            }
            #expect(taken == nil, "batch \(number - 1) is still alive after the consumer let go of it")
        }
    }

    /// The room is counted in weight (the capture session's: observations a batch holds), so a
    /// few heavy batches fill it as many light ones do; the newest that does not fit is dropped.
    @Test func theRoomIsCountedByWeight() async {
        let channel = BatchChannel<Int>(capacity: 10, policy: .dropNewest, weight: { $0 })
        #expect(channel.send(6))
        #expect(channel.send(5) == false)  // 6 + 5 > 10
        #expect(channel.send(4))  // 6 + 4 = 10
        #expect(channel.send(1) == false)
        #expect(channel.droppedBatches == 2)
        var iterator = channel.makeAsyncIterator()
        #expect(await iterator.next() == 6)  // frees 6
        #expect(channel.send(5))  // 4 + 5
        #expect(channel.send(2) == false)
        #expect(await iterator.next() == 4)
        #expect(await iterator.next() == 5)
        // Heavier than the whole room: passes through an empty queue, and only then.
        #expect(channel.send(25))
        #expect(channel.send(1) == false)
        #expect(await iterator.next() == 25)
    }

    /// A waiting sender stays blocked until enough weight is taken, not merely one batch.
    @Test func aWaitingSenderWaitsForEnoughRoom() async {
        let channel = BatchChannel<Int>(capacity: 10, policy: .wait, weight: { $0 })
        #expect(channel.send(3))
        #expect(channel.send(3))
        #expect(channel.send(4))
        let sent = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            channel.send(6)  // needs 6 of 10: both batches of 3 must go
            sent.signal()
        }
        var iterator = channel.makeAsyncIterator()
        #expect(await iterator.next() == 3)
        #expect(sent.wait(timeout: .now() + .milliseconds(200)) == .timedOut, "sent with 3 + 4 queued and 6 to go")
        #expect(await iterator.next() == 3)
        #expect(sent.wait(timeout: .now() + 5) == .success, "not sent once 4 of 10 were queued")
        #expect(await iterator.next() == 4)
        #expect(await iterator.next() == 6)
        #expect(channel.droppedBatches == 0)
    }

    @Test func sendAfterFinishIsRefused() async {
        let channel = BatchChannel<Int>(capacity: 1, policy: .wait)
        channel.finish()
        #expect(channel.send(7) == false)
        #expect(channel.send(8) == false)  // the place given back: a second send does not block
        var iterator = channel.makeAsyncIterator()
        #expect(await iterator.next() == nil)
    }

    @Test func aWaitingConsumerIsWokenBySend() async {
        let channel = BatchChannel<String>(capacity: 1, policy: .dropNewest)
        async let first: String? = { var it = channel.makeAsyncIterator(); return await it.next() }()
        try? await Task.sleep(for: .milliseconds(20))
        #expect(channel.send("batch"))
        #expect(await first == "batch")
        #expect(channel.send("again"))  // the place was handed back when the consumer took it directly
    }

    @Test func cancelReleasesASenderBlockedOnAFullChannel() async {
        let channel = BatchChannel<Int>(capacity: 1, policy: .wait)
        #expect(channel.send(1))
        let released = DispatchSemaphore(value: 0)
        let result = SendResult()
        DispatchQueue.global().async {
            result.value = channel.send(2)  // blocks: the channel is full and nobody reads
            released.signal()
        }
        try? await Task.sleep(for: .milliseconds(20))
        channel.cancel()
        #expect(released.wait(timeout: .now() + 5) == .success, "the blocked sender was not released")
        #expect(result.value == false)
        var iterator = channel.makeAsyncIterator()
        #expect(await iterator.next() == nil)  // queued batches are dropped by cancel
    }
}

final class SendResult: @unchecked Sendable {
    var value: Bool?
}

/// Arrays the pipeline gives back are filled again, not reallocated: same buffer, emptied.
@Suite struct BatchPoolTests {
    @Test func aGivenBackArrayIsTakenAgainEmptyWithItsBuffer() {
        let pool = BatchPool(keep: 2)
        var batch = pool.take(capacity: 256)
        #expect(batch.capacity >= 256)
        batch.append(Observation(sensor: 1, timestampNanoseconds: 2, frameNumber: 3))
        let buffer = batch.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) }
        pool.give(&batch)
        #expect(batch.isEmpty)
        // A live source's small batch does not take a replay-sized array (it would weigh more).
        let small = pool.take(capacity: 64)
        #expect(small.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) } != buffer)
        let again = pool.take(capacity: 256)
        #expect(again.isEmpty)
        #expect(again.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) } == buffer)
    }

    @Test func thePoolKeepsAtMostItsLimit() {
        let pool = BatchPool(keep: 1)
        var a = pool.take(capacity: 8), b = pool.take(capacity: 8)
        let bufferA = a.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) }
        pool.give(&a)
        pool.give(&b)  // beyond the limit: let go
        #expect(pool.take(capacity: 8).withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) } == bufferA)
        let fresh = pool.take(capacity: 8)
        #expect(fresh.capacity >= 8 && fresh.isEmpty)
    }

    /// A batch someone else still holds is not taken: refilling it would change their copy's
    /// buffer under them (it cannot; Swift copies), so it would only cost an allocation.
    @Test func aSharedBatchIsLetGo() {
        let pool = BatchPool(keep: 2)
        var batch = pool.take(capacity: 16)
        batch.append(Observation(sensor: 1, timestampNanoseconds: 2, frameNumber: 3))
        let held = batch
        pool.give(&batch)
        #expect(held.count == 1)
        let next = pool.take(capacity: 16)
        #expect(next.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) } != held.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) })
    }
}
