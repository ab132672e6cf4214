internal import CPcap
internal import Glibc
internal import Synchronization
public import MallGateDecode

/// Several sensors' capture files replayed together in timestamp order, as a whole venue heard them.
///
/// Localisation needs every sensor's view of the same moment, so replaying a venue
/// means interleaving its files the way the frames happened: a k-way merge by
/// timestamp, ties going to the earlier file in `files`. Each frame carries its
/// file's index in ``FrameView/sourceIndex`` and its frame number within that file.
///
/// Each file holds one pending frame (libpcap keeps a record's bytes valid until
/// the next read on that handle), so nothing is copied. If a file breaks (truncated,
/// corrupt), its whole frames are delivered, the error is thrown by the next read,
/// and the replay then continues with the other files.
public final class MergedReplaySource: FrameSource, @unchecked Sendable {
    // @unchecked: off the reading thread only the readers' atomics are touched.
    let readers: [OfflineReader]
    /// Each file's pending record; nil once the file is exhausted.
    var pending: [(header: UnsafeMutablePointer<pcap_pkthdr>, data: UnsafePointer<UInt8>, nanos: Int64)?]
    /// Errors from files that broke, in the order they broke, thrown one per read.
    var errors: [CaptureError] = []

    /// Opens every file (pcap or pcapng) as the recording of its sensor.
    ///
    /// - Parameter files: one (path, sensor) per sensor; their order breaks timestamp ties.
    /// - Throws: the first file's ``CaptureError`` that fails to open; nothing stays open then.
    public convenience init(files: [(path: String, sensor: SensorID)]) throws(CaptureError) {
        try self.init(files: files, api: .system)
    }

    init(files: [(path: String, sensor: SensorID)], api: PcapAPI) throws(CaptureError) {
        guard !files.isEmpty else {
            throw CaptureError(
                .invalidConfiguration, sensor: nil, subject: "merged replay",
                summary: "a merged replay needs at least one file", advice: "list the venue's capture files, one per sensor")
        }
        var readers: [OfflineReader] = []
        for file in files {
            readers.append(try OfflineReader.openFile(path: file.path, sensor: file.sensor, api: api))
        }
        self.readers = readers
        pending = Array(repeating: nil, count: readers.count)
        for index in readers.indices { fetch(index) }
    }

    public var sensors: [SensorID] { readers.map(\.sensor) }
    public var linkTypes: [LinkType] { readers.map(\.linkType) }

    /// Reads the next record of file `index` into `pending`, queueing its error if it broke.
    private func fetch(_ index: Int) {
        let reader = readers[index]
        if let record = reader.next() {
            let ts = record.header.pointee.ts
            // Nanosecond precision handle; see OfflineReader.read for why this cannot trap.
            let nanos = Int64(ts.tv_sec) &* 1_000_000_000 &+ Int64(ts.tv_usec)
            pending[index] = (record.header, record.data, nanos)
        } else {
            pending[index] = nil
            if let error = reader.pendingError {
                reader.pendingError = nil
                errors.append(error)
            }
        }
    }

    public func read(maxFrames: Int, _ body: (borrowing FrameView) -> Void) throws(CaptureError) -> ReadOutcome {
        if !errors.isEmpty { throw errors.removeFirst() }
        var count = 0
        // A batch of at least one, so `.endOfInput` is never returned for a zero-sized request.
        let limit = max(maxFrames, 1)
        while count < limit {
            if readers[0].stopRequested.load(ordering: .relaxed) {
                for reader in readers { reader.finish() }
                for index in pending.indices { pending[index] = nil }
                break
            }
            // Linear scan: a venue has tens of sensors, where a scan beats a heap's bookkeeping.
            var best = -1
            var bestNanos = Int64.max
            for index in pending.indices {
                if let record = pending[index], best < 0 || record.nanos < bestNanos {
                    best = index
                    bestNanos = record.nanos
                }
            }
            guard best >= 0, let record = pending[best] else { break }
            let reader = readers[best]
            let h = record.header.pointee
            let captured = Int(h.caplen)
            body(FrameView(
                bytes: UnsafeRawBufferPointer(start: record.data, count: captured),
                timestampNanoseconds: record.nanos, originalLength: Int(h.len),
                frameNumber: reader.frameNumber, sourceIndex: best))
            reader.stats.framesRead &+= 1
            reader.stats.bytesRead &+= UInt64(truncatingIfNeeded: captured)
            if h.caplen < h.len { reader.stats.framesCutBySnapshotLength &+= 1 }
            count &+= 1
            // Only now may this file's buffer be reused.
            fetch(best)
            if !errors.isEmpty { break }
        }
        if count > 0 { return .frames(count) }
        if !errors.isEmpty { throw errors.removeFirst() }
        return .endOfInput
    }

    public func statistics() -> [SourceStatistics] { readers.map(\.stats) }

    public func interrupt() {
        // The read loop checks the first reader's flag; set all so each reader agrees.
        for reader in readers { reader.stopRequested.store(true, ordering: .relaxed) }
    }
}
