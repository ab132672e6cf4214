internal import CPcap
internal import Synchronization
internal import Glibc
public import MallGateDecode

/// Frames from a pcap stream on standard input or a FIFO, as `tcpdump -w -` writes it.
///
/// Lets a gateway listen to a remote radio without TZSP:
/// `ssh sensor tcpdump -i mon0 -w - | mallgate …`. Frames are delivered as they
/// arrive, not at end of file: a `read` waits for the first frame (or the end of the
/// stream), then returns as soon as no further bytes are waiting. ``interrupt()``
/// ends a waiting read (the stream is then finished).
public final class PcapStreamSource: FrameSource, @unchecked Sendable {
    // @unchecked: off the reading thread only `wakePipe.wake()` and an atomic are used.
    let reader: OfflineReader
    let wakePipe: WakePipe
    /// The pipe or file descriptor libpcap reads through (owned by the FILE*, closed with it).
    let fd: Int32

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
        self.fd = fd
        self.reader = try OfflineReader(handle: PcapHandle(raw: pcap, api: api), sensor: sensor, subject: subject)
    }

    public var sensors: [SensorID] { [reader.sensor] }
    public var linkTypes: [LinkType] { [reader.linkType] }

    public func read(maxFrames: Int, _ body: (borrowing FrameView) -> Void) throws(CaptureError) -> ReadOutcome {
        let file = pcap_file(reader.handle.raw)
        let fd = self.fd
        return try reader.read(maxFrames: maxFrames, sourceIndex: 0, body) {
            // Buffered bytes cost nothing to check; only an empty buffer needs a (non-blocking) poll.
            if let file, mg_file_has_buffered_input(file) != 0 { return true }
            var ready = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            return poll(&ready, 1, 0) > 0
        }
    }

    public func statistics() -> [SourceStatistics] { [reader.stats] }

    public func interrupt() {
        reader.stopRequested.store(true, ordering: .relaxed)
        wakePipe.wake()
    }
}
