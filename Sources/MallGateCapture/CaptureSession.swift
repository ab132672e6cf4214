internal import Glibc
public import MallGateDecode
internal import Synchronization

/// Runs capture sources on their own threads, decodes each frame where libpcap hands
/// it over, and passes the observations on in batches.
///
/// Decoding on the capture thread means no frame bytes are ever copied: what crosses
/// to the pipeline is a small value per probe request, a few hundred at a time.
/// Replayed files are read losslessly (the thread waits for the pipeline); live
/// sources never wait — when the pipeline is behind, whole batches are dropped at
/// the edge and counted per sensor (``SensorStatistics/droppedAtEdge``).
public final class CaptureSession: Sendable {
    /// Tuning knobs; the defaults suit a gateway with a handful of radios.
    public struct Options: Sendable {
        /// Observations per batch handed to the pipeline from a live source.
        public var batchSize = 256
        /// Observations per batch from a replayed file: replay is lossless (no batch is ever
        /// dropped), so bigger batches only mean fewer thread hand-offs.
        public var replayBatchSize = 1024
        /// A partial batch is handed on after this long, so a quiet sensor still reports promptly.
        public var maxBatchDelayNanoseconds: Int64 = 200_000_000
        /// Observations the queue to the pipeline holds, counted by the room each batch's array
        /// has (a batch holds its full capacity however few frames it carries): live sources
        /// drop whole batches beyond it, replayed files wait. 8,192 slots of ~336 bytes are
        /// 2.75 MB: 32 live batches (6 s of a quiet radio's 200 ms batches, 1.6 s at 5,000
        /// probe requests/s) or 8 replay batches, in any mix. Counting batches instead let a
        /// radio next to replayed files queue 64 replay batches, 23 MB.
        public var queueObservations = 8_192
        public var decode = DecodeOptions()
        public init() {}
    }

    /// Every sensor of every source, in the order the sources were given.
    public let sensors: [SensorID]
    private let runners: [SourceRunner]
    private let channel: BatchChannel<[Observation]>
    private let running = Mutex(0)
    private let pool: BatchPool

    /// Prepares one runner per source; nothing is read until ``start()``.
    ///
    /// - Parameters:
    ///   - sources: the sources, with whether each is live (live: drop when behind; replay: wait).
    public init(sources: [(source: any FrameSource, live: Bool)], options: Options = Options()) {
        // Each runner sends with its own policy (live: drop, replay: wait), so a session that
        // mixes a radio with replayed files never drops replayed frames.
        channel = BatchChannel(capacity: options.queueObservations, policy: .dropNewest, weight: { $0.capacity })
        // Enough arrays for a full queue of the smallest batches, the ones being filled and the
        // one being processed; more are let go.
        let pool = BatchPool(keep: options.queueObservations / max(1, min(options.batchSize, options.replayBatchSize)) + sources.count + 1)
        self.pool = pool
        var sensors: [SensorID] = []
        var runners: [SourceRunner] = []
        for entry in sources {
            runners.append(SourceRunner(
                source: entry.source, firstSensor: sensors.count, live: entry.live, options: options, pool: pool))
            sensors += entry.source.sensors
        }
        self.sensors = sensors
        self.runners = runners
    }

    /// Starts one thread per source and returns the batches they produce, in arrival order.
    ///
    /// The sequence ends when every source has ended (end of file, ``stop()``, or a fatal error).
    public func start() -> BatchChannel<[Observation]> {
        running.withLock { $0 = runners.count }
        if runners.isEmpty { channel.finish() }
        for runner in runners {
            startThread(name: "capture") { [self] in
                runner.run(into: channel)
                let last = running.withLock { count in
                    count -= 1
                    return count == 0
                }
                if last { channel.finish() }
            }
        }
        return channel
    }

    /// Gives a processed batch's array back to be filled again, so a long replay or a busy
    /// radio does not allocate (and fault in) a fresh ~340 KB array per batch.
    ///
    /// Optional: a batch not given back is simply freed. With the daemon's fixed mmap threshold
    /// (`MallocTuning`) each fresh array would be mapped, faulted in and unmapped: +13 % CPU on a
    /// replay; recycled, the replay costs 0.92× the CPU of fresh arrays under glibc's defaults
    /// (BENCHMARKS.md, session 8).
    /// - Parameter batch: left empty; its buffer is reused only if this was the last reference.
    public func recycle(_ batch: inout [Observation]) {
        pool.give(&batch)
    }

    /// Asks every source to stop; the batch sequence ends once their threads have flushed.
    public func stop() {
        for runner in runners { runner.source.interrupt() }
    }

    /// Stops at once: sources are interrupted and batches not yet consumed are dropped.
    ///
    /// For a consumer that will not read to the end; ``stop()`` is the graceful one.
    public func cancel() {
        stop()
        channel.cancel()
    }

    /// Per-sensor counters (same order as ``sensors``), as of the last batch each source flushed.
    public func statistics() -> [SensorStatistics] {
        runners.flatMap { $0.snapshot() }
    }

    /// Errors sources ended with or reported along the way (a truncated file, a failed read), oldest first.
    public func errors() -> [CaptureError] {
        runners.flatMap { $0.errors() }
    }
}

/// One source's read-decode-batch loop, run on its own thread.
final class SourceRunner: Sendable {
    let source: any FrameSource
    let firstSensor: Int
    let live: Bool
    let options: CaptureSession.Options
    let pool: BatchPool
    private let state: Mutex<(stats: [SensorStatistics], errors: [CaptureError])>

    init(source: any FrameSource, firstSensor: Int, live: Bool, options: CaptureSession.Options, pool: BatchPool) {
        self.source = source
        self.firstSensor = firstSensor
        self.live = live
        self.options = options
        self.pool = pool
        state = Mutex((source.statistics().map { SensorStatistics(source: $0) }, []))
    }

    func snapshot() -> [SensorStatistics] { state.withLock { $0.stats } }
    func errors() -> [CaptureError] { state.withLock { $0.errors } }

    func run(into channel: BatchChannel<[Observation]>) {
        let batchSize = live ? options.batchSize : options.replayBatchSize
        var batcher = DecodeBatcher(
            decoders: source.linkTypes.map { FrameDecoder(linkType: $0, options: options.decode) },
            firstSensor: firstSensor, capacity: batchSize, pool: pool)
        // The per-frame closure reaches the batcher through a pointer: a captured `var`
        // would be boxed and pay a dynamic exclusivity check on every frame.
        withUnsafeMutablePointer(to: &batcher) { batcher in
            var lastFlush = monotonicNanoseconds()
            // A source that keeps failing without delivering anything is given up on; a merged
            // replay may legitimately throw once per broken file in a row.
            var failuresInARow = 0
            let failureLimit = source.sensors.count + 2

            func flush() {
                // Counters first: the consumer reads them when the batch arrives, and a live
                // source that then goes quiet sends no later batch to carry them.
                publish(batcher.pointee)
                if let refused = batcher.pointee.send(to: channel, policy: live ? .dropNewest : .wait) {
                    batcher.pointee.countDropped(refused)
                    publish(batcher.pointee)
                }
                lastFlush = monotonicNanoseconds()
            }

            reading: while true {
                let outcome: ReadOutcome
                do throws(CaptureError) {
                    outcome = try source.read(maxFrames: batchSize - batcher.pointee.batch.count) { frame in
                        batcher.pointee.accept(frame)
                    }
                    failuresInARow = 0
                } catch {
                    state.withLock { $0.errors.append(error) }
                    failuresInARow += 1
                    if failuresInARow >= failureLimit { break reading }
                    continue reading
                }
                switch outcome {
                case .endOfInput:
                    break reading
                case .timeout:
                    if !batcher.pointee.batch.isEmpty || live { flush() }
                case .frames:
                    if batcher.pointee.batch.count >= batchSize
                        || monotonicNanoseconds() - lastFlush >= options.maxBatchDelayNanoseconds
                    {
                        flush()
                    }
                }
            }
            flush()
        }
    }

    /// Publishes the counters of the source and the decoders, once per batch.
    private func publish(_ batcher: DecodeBatcher) {
        let sourceStats = source.statistics()
        state.withLock { state in
            for index in sourceStats.indices {
                state.stats[index] = SensorStatistics(
                    source: sourceStats[index], decode: batcher.decoders[index].counters,
                    droppedAtEdge: batcher.droppedAtEdge[index])
            }
        }
    }
}

/// Decodes frames into the batch being filled: the per-frame half of a ``SourceRunner``.
struct DecodeBatcher {
    var decoders: [FrameDecoder]
    var batch: [Observation] = []
    var droppedAtEdge: [UInt64]
    let firstSensor: Int
    let capacity: Int
    let pool: BatchPool
    /// What a slot starts as; the decoder overwrites what it reports.
    let blank = Observation(sensor: 0, timestampNanoseconds: 0, frameNumber: 0)

    init(decoders: [FrameDecoder], firstSensor: Int, capacity: Int, pool: BatchPool) {
        self.decoders = decoders
        self.droppedAtEdge = Array(repeating: 0, count: decoders.count)
        self.firstSensor = firstSensor
        self.capacity = capacity
        self.pool = pool
        batch = pool.take(capacity: capacity)
    }

    /// Decodes a frame straight into a new slot at the end of the batch (one write of the
    /// ~330-byte observation, no copy), and takes the slot back if the frame is not kept.
    @inline(__always)
    mutating func accept(_ frame: borrowing FrameView) {
        let index = frame.sourceIndex
        batch.append(blank)  // one copy of a hot template: cheaper than building a fresh value
        let last = batch.count &- 1  // just appended: ≥ 0
        batch[last].sensor = firstSensor &+ index
        batch[last].timestampNanoseconds = frame.timestampNanoseconds
        batch[last].frameNumber = frame.frameNumber
        let status = decoders[index].decode(frame.bytes, into: &batch[last].frame)
        switch status {
        case .probeRequest:
            return
        case .deviceFrame(let source, let destination, let kind, let sequenceNumber):
            batch[last].setDeviceFrame(source: source, destination: destination, kind: kind, sequenceNumber: sequenceNumber)
        case .otherFrame, .dropped:
            batch.removeLast()
        }
    }

    /// Hands the batch on and starts a new one; returns the batch if the channel refused it.
    mutating func send(
        to channel: BatchChannel<[Observation]>, policy: BatchChannel<[Observation]>.OverflowPolicy
    ) -> [Observation]? {
        guard !batch.isEmpty else { return nil }
        let full = batch
        batch = pool.take(capacity: capacity)
        return channel.send(full, policy: policy) ? nil : full
    }

    mutating func countDropped(_ refused: [Observation]) {
        for observation in refused { droppedAtEdge[observation.sensor - firstSensor] += 1 }
    }
}

/// Empty observation arrays with their capacity kept, handed from the pipeline back to the
/// capture threads (``CaptureSession/recycle(_:)``).
final class BatchPool: Sendable {
    private let arrays = Mutex<[[Observation]]>([])
    private let keep: Int

    init(keep: Int) { self.keep = keep }

    /// An empty array with room for at least `capacity` observations (and at most twice that,
    /// so a live source does not take a replay-sized array and weigh four times its due).
    func take(capacity: Int) -> [Observation] {
        let recycled: [Observation]? = arrays.withLock { arrays in
            guard let i = arrays.lastIndex(where: { $0.capacity >= capacity && $0.capacity <= 2 * capacity }) else { return nil }
            return arrays.remove(at: i)
        }
        if let recycled { return recycled }
        var fresh: [Observation] = []
        fresh.reserveCapacity(capacity)
        return fresh
    }

    /// Takes `batch`'s buffer (leaving `batch` empty) if nobody else holds it.
    func give(_ batch: inout [Observation]) {
        var mine: [Observation] = []
        swap(&mine, &batch)
        guard keep > 0, mine.capacity > 0 else { return }
        // Emptied in place when `mine` is the last reference (the pipeline has let go of the
        // batch); otherwise removeAll would allocate, and the batch is simply let go.
        let buffer = mine.withUnsafeBufferPointer { $0.baseAddress }
        mine.removeAll(keepingCapacity: true)
        guard mine.withUnsafeBufferPointer({ $0.baseAddress }) == buffer else { return }
        arrays.withLock { arrays in
            if arrays.count < keep { arrays.append(mine) }
        }
    }
}

/// Nanoseconds of CLOCK_MONOTONIC: batching deadlines must not jump when NTP sets the wall clock.
func monotonicNanoseconds() -> Int64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
}

/// Starts a detached POSIX thread: capture loops block in libpcap and must not sit on
/// the cooperative pool that async tasks share.
public func startThread(name: String, _ body: @escaping @Sendable () -> Void) {
    final class Box: @unchecked Sendable {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }
    let context = Unmanaged.passRetained(Box(body)).toOpaque()
    var thread = pthread_t()
    let status = pthread_create(&thread, nil, { context in
        let box = Unmanaged<Box>.fromOpaque(context!).takeRetainedValue()
        box.body()
        return nil
    }, context)
    guard status == 0 else {
        // Only resource exhaustion (EAGAIN) gets here; nothing can be captured without a thread.
        fatalError("cannot start the \(name) thread: pthread_create returned \(status)")
    }
    pthread_detach(thread)
}
