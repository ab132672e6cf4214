public import MallGateDecode

/// One captured frame as libpcap (or the TZSP socket) hands it over, seen without copying.
///
/// It is a view, not a value to keep: `bytes` point into the source's buffer and
/// are valid only inside the callback that receives the view; copy what must
/// outlive it. Copying every frame is what the hot path avoids.
public struct FrameView {
    /// The captured bytes (link-layer header first); valid only inside the callback.
    public let bytes: UnsafeRawBufferPointer
    /// Capture time, nanoseconds since the Unix epoch (UTC).
    public let timestampNanoseconds: Int64
    /// The frame's length on the air; larger than `bytes.count` when the snapshot length cut it.
    public let originalLength: Int
    /// 1-based position of the frame in its own source (file, stream, radio), like tshark's `frame.number`.
    public let frameNumber: UInt64
    /// Which sensor of the source heard the frame: an index into ``FrameSource/sensors``.
    public let sourceIndex: Int

    public init(
        bytes: UnsafeRawBufferPointer, timestampNanoseconds: Int64, originalLength: Int,
        frameNumber: UInt64, sourceIndex: Int
    ) {
        self.bytes = bytes
        self.timestampNanoseconds = timestampNanoseconds
        self.originalLength = originalLength
        self.frameNumber = frameNumber
        self.sourceIndex = sourceIndex
    }
}

/// How one ``FrameSource/read(maxFrames:_:)`` call ended.
///
/// The caller needs to tell "nothing yet" (keep polling) from "nothing ever again" (stop).
public enum ReadOutcome: Hashable, Sendable {
    /// This many frames (at least one) were handed to the callback.
    case frames(Int)
    /// A live source (radio, UDP) heard nothing within its poll interval; read again.
    case timeout
    /// The input is finished (end of file, closed stream, or ``FrameSource/interrupt()``); later reads return this again.
    case endOfInput
}

/// Counters for one sensor of a source, for metrics and for telling capture loss from silence.
///
/// Kernel counters are nil where there is no kernel queue (files, streams, UDP).
public struct SourceStatistics: Hashable, Sendable {
    /// The sensor these counters belong to.
    public var sensor: SensorID
    /// Frames handed to the callback.
    public var framesRead: UInt64 = 0
    /// Captured bytes handed to the callback (the sum of `bytes.count`).
    public var bytesRead: UInt64 = 0
    /// Frames whose captured length is shorter than their original length (cut by the snapshot length).
    public var framesCutBySnapshotLength: UInt64 = 0
    /// Packets the kernel received on the interface (`pcap_stats` `ps_recv`); nil for files and sockets.
    public var kernelReceived: UInt64?
    /// Packets dropped because the capture buffer was full (`ps_drop`); nil for files and sockets.
    public var kernelDropped: UInt64?
    /// Packets dropped by the interface or driver (`ps_ifdrop`); nil for files and sockets.
    public var interfaceDropped: UInt64?
    /// TZSP datagrams dropped because their sender is not in the allowed list.
    public var datagramsRejected: UInt64 = 0
    /// Set when a file ended in the middle of this frame: every frame before it was delivered.
    public var truncatedAtFrame: UInt64?
    /// Whether this sensor's input is finished.
    public var ended: Bool = false

    public init(sensor: SensorID) { self.sensor = sensor }
}

/// Where frames come from, as the pipeline sees it: files, streams, radios and TZSP alike.
///
/// One protocol so the pipeline does not care whether it replays a venue's files
/// or listens to live radios; reading in batches with a borrowed callback keeps
/// the per-frame cost to a function call (no allocation, no copy).
///
/// Threading: `read` and `statistics()` belong to one reading thread at a time
/// (statistics are read between batches, so counting costs no synchronisation);
/// only `interrupt()` may be called from any thread.
public protocol FrameSource: AnyObject, Sendable {
    /// The sensors this source reads: one for plain sources, several for a merged replay.
    var sensors: [SensorID] { get }
    /// The link type of each sensor's frames (same order as ``sensors``).
    var linkTypes: [LinkType] { get }
    /// Reads up to `maxFrames` frames (at least one), calling `body` for each, and says how the read ended.
    ///
    /// - Throws: ``CaptureError`` when the input fails. Frames read before a failure
    ///   are delivered first; the error is thrown by the next call.
    func read(maxFrames: Int, _ body: (borrowing FrameView) -> Void) throws(CaptureError) -> ReadOutcome
    /// Counters per sensor (same order as ``sensors``).
    func statistics() -> [SourceStatistics]
    /// Makes a blocked or future `read` return promptly with what it has; from then on reads return `.endOfInput`.
    ///
    /// Meant for shutdown (SIGTERM): safe to call from any thread, any number of times.
    func interrupt()
}
