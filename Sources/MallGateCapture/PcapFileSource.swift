public import MallGateDecode
internal import Synchronization

/// Frames from one pcap or pcapng file, for replaying a sensor's recording.
///
/// Replays drive tests, training and the simulator with the same pipeline the
/// live radios feed. Timestamps are read at nanosecond precision whatever the
/// file stores. A file cut mid-frame delivers every whole frame, then the next
/// read throws ``CaptureError/Kind/truncated`` and ``SourceStatistics/truncatedAtFrame`` is set.
public final class PcapFileSource: FrameSource, @unchecked Sendable {
    // @unchecked: only `reader.stopRequested` (an atomic) is touched off the reading thread.
    let reader: OfflineReader

    /// Opens `path` (pcap or pcapng) as the recording of `sensor`.
    ///
    /// - Throws: ``CaptureError`` naming the path: missing (`.fileNotFound`), unreadable
    ///   (`.permissionDenied`), empty, not a capture (with its first bytes), damaged
    ///   header, or a link type the decoder cannot read (with the DLT).
    public convenience init(path: String, sensor: SensorID) throws(CaptureError) {
        try self.init(path: path, sensor: sensor, api: .system)
    }

    init(path: String, sensor: SensorID, api: PcapAPI) throws(CaptureError) {
        reader = try OfflineReader.openFile(path: path, sensor: sensor, api: api)
    }

    public var sensors: [SensorID] { [reader.sensor] }
    public var linkTypes: [LinkType] { [reader.linkType] }

    public func read(maxFrames: Int, _ body: (borrowing FrameView) -> Void) throws(CaptureError) -> ReadOutcome {
        try reader.read(maxFrames: maxFrames, sourceIndex: 0, body)
    }

    public func statistics() -> [SourceStatistics] { [reader.stats] }

    public func interrupt() { reader.stopRequested.store(true, ordering: .relaxed) }
}
