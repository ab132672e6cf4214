internal import CPcap
internal import Synchronization
internal import Glibc
public import MallGateDecode

/// Frames from a pcap stream on standard input or a FIFO, as `tcpdump -w -` writes it.
///
/// Lets a gateway listen to a remote radio without TZSP:
/// `ssh sensor tcpdump -i mon0 -w - | mallgate …`. Frames are delivered as they
/// arrive (libpcap reads one record at a time from the pipe), not at end of file.
/// A `read` blocks until a frame or the end of the stream arrives; ``interrupt()``
/// ends it (the stream is then finished).
public final class PcapStreamSource: FrameSource, @unchecked Sendable {
    // @unchecked: off the reading thread only `wakePipe.wake()` and an atomic are used.
    let reader: OfflineReader
    let wakePipe: WakePipe

    /// Opens a stream: `"-"` is standard input, anything else a FIFO (or file) path.
    ///
    /// Opening a FIFO waits for its writer, and reading the pcap header waits for
    /// the writer's first bytes.
    /// - Throws: ``CaptureError`` as for files: missing FIFO, empty stream, not pcap, unsupported link type.
    public convenience init(path: String, sensor: SensorID) throws(CaptureError) {
        try self.init(path: path, sensor: sensor, api: .system)
    }

    init(path: String, sensor: SensorID, api: PcapAPI) throws(CaptureError) {
        let subject = path == "-" ? "standard input" : path
        let fd: Int32
        if path == "-" {
            // Our own descriptor: closing the capture must not close the process's stdin.
            fd = dup(STDIN_FILENO)
            if fd < 0 {
                throw OfflineReader.fileOpenError(path: subject, errno: errno, sensor: sensor, function: "dup")
            }
        } else {
            fd = open(path, O_RDONLY | O_CLOEXEC)
            if fd < 0 {
                throw OfflineReader.fileOpenError(path: subject, errno: errno, sensor: sensor, function: "open")
            }
        }
        let wakePipe: WakePipe
        do {
            wakePipe = try WakePipe()
        } catch {
            close(fd)
            throw error
        }
        guard let file = mg_fopen_interruptible(fd, wakePipe.readEnd) else {
            let code = errno
            close(fd)
            throw OfflineReader.fileOpenError(path: subject, errno: code, sensor: sensor, function: "fopencookie")
        }
        let (pcap, message) = withErrorBuffer { api.fopenOffline(file, UInt32(PCAP_TSTAMP_PRECISION_NANO), $0) }
        guard let pcap else {
            fclose(file)
            // A pipe cannot be re-read, so the first bytes are only those libpcap reports.
            throw OfflineReader.headerError(subject: subject, message: message, firstBytes: [], sensor: sensor)
        }
        self.wakePipe = wakePipe
        self.reader = try OfflineReader(handle: PcapHandle(raw: pcap, api: api), sensor: sensor, subject: subject)
    }

    public var sensors: [SensorID] { [reader.sensor] }
    public var linkTypes: [LinkType] { [reader.linkType] }

    public func read(maxFrames: Int, _ body: (borrowing FrameView) -> Void) throws(CaptureError) -> ReadOutcome {
        try reader.read(maxFrames: maxFrames, sourceIndex: 0, body)
    }

    public func statistics() -> [SourceStatistics] { [reader.stats] }

    public func interrupt() {
        reader.stopRequested.store(true, ordering: .relaxed)
        wakePipe.wake()
    }
}
