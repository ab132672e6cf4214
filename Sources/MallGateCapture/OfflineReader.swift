internal import CPcap
internal import Glibc
internal import MallGateDecode
internal import Synchronization

/// Reads the records of one savefile handle (a pcap/pcapng file or stream), numbering them and counting.
///
/// Shared by ``PcapFileSource``, ``PcapStreamSource`` and ``MergedReplaySource`` so
/// end of file, truncation and corruption are reported the same way everywhere:
/// frames read before a failure are delivered, the failure is kept and thrown by
/// the next read, and the statistics say where the file broke.
final class OfflineReader {
    let handle: PcapHandle
    let sensor: SensorID
    /// The path (or "standard input") used in messages.
    let subject: String
    let linkType: LinkType
    var stats: SourceStatistics
    /// Number of the last record read (0 before the first).
    var frameNumber: UInt64 = 0
    var pendingError: CaptureError?
    var ended = false
    let stopRequested = Atomic<Bool>(false)

    init(handle: PcapHandle, sensor: SensorID, subject: String) throws(CaptureError) {
        self.handle = handle
        self.sensor = sensor
        self.subject = subject
        self.linkType = LinkType(rawValue: handle.api.datalink(handle.raw))
        self.stats = SourceStatistics(sensor: sensor)
        try requireSupported(linkType, subject: subject, sensor: sensor, what: subject)
    }

    /// Reads up to `maxFrames` records into `body`; see ``FrameSource/read(maxFrames:_:)``.
    ///
    /// A pipe delivers frames as the remote tcpdump writes them, so a stream's batch must
    /// not wait to fill up: after the first frame, a record is read only if
    /// `moreAvailable` says its bytes have arrived (nil for files: always read on).
    ///
    /// pcap_next_ex rather than pcap_dispatch: dispatch saves libpcap ~70 instructions a
    /// frame, but calling a Swift closure from its C callback costs a retain/release and
    /// two thunks that eat the saving (callgrind, see the capture report), and only a
    /// per-record loop can stop between records without pcap_breakloop.
    func read(
        maxFrames: Int, sourceIndex: Int, _ body: (borrowing FrameView) -> Void,
        moreAvailable: (() -> Bool)? = nil
    ) throws(CaptureError) -> ReadOutcome {
        if let error = pendingError {
            pendingError = nil
            throw error
        }
        if ended { return .endOfInput }
        if stopRequested.load(ordering: .relaxed) {
            finish()
            return .endOfInput
        }
        let raw = handle.raw
        var header: UnsafeMutablePointer<pcap_pkthdr>? = nil
        var data: UnsafePointer<UInt8>? = nil
        var count = 0
        // Counted in locals and stored once per batch: class properties cost an access each.
        var number = frameNumber
        var bytes: UInt64 = 0
        var cut: UInt64 = 0
        // A batch of at least one, so `.endOfInput` is never returned for a zero-sized request.
        let limit = max(maxFrames, 1)
        while count < limit {
            if count > 0, let moreAvailable, !moreAvailable() { break }
            let status = pcap_next_ex(raw, &header, &data)
            guard status == 1, let record = header else {
                if status == PCAP_ERROR_BREAK || stopRequested.load(ordering: .relaxed) {
                    finish()
                } else {
                    // The frames before the failure were delivered; the error waits for the next read.
                    frameNumber = number
                    pendingError = readError(status: status)
                    finish()
                }
                break
            }
            // One frame per record, far fewer than 2^64; counts and byte sums likewise.
            number &+= 1
            let h = record.pointee
            let captured = Int(h.caplen)
            // The handle is opened with nanosecond precision, so tv_usec holds nanoseconds.
            // A pcap timestamp is 32-bit seconds, so ×10⁹ fits in Int64; a corrupt pcapng
            // timestamp wraps instead of trapping.
            let nanos = Int64(h.ts.tv_sec) &* 1_000_000_000 &+ Int64(h.ts.tv_usec)
            body(FrameView(
                bytes: UnsafeRawBufferPointer(start: data, count: captured),
                timestampNanoseconds: nanos, originalLength: Int(h.len),
                frameNumber: number, sourceIndex: sourceIndex))
            count &+= 1
            bytes &+= UInt64(truncatingIfNeeded: captured)
            if h.caplen < h.len { cut &+= 1 }
        }
        frameNumber = number
        stats.framesRead &+= UInt64(count)
        stats.bytesRead &+= bytes
        stats.framesCutBySnapshotLength &+= cut
        if count > 0 { return .frames(count) }
        if let error = pendingError {
            pendingError = nil
            throw error
        }
        return .endOfInput
    }

    /// Fetches the next record for a merged replay; nil at the end or on failure (kept in `pendingError`).
    ///
    /// The returned pointers stay valid until the next call on this reader, which is
    /// what lets the merge hold one frame per file while it compares timestamps.
    func next() -> (header: UnsafeMutablePointer<pcap_pkthdr>, data: UnsafePointer<UInt8>)? {
        if ended { return nil }
        var header: UnsafeMutablePointer<pcap_pkthdr>? = nil
        var data: UnsafePointer<UInt8>? = nil
        let status = pcap_next_ex(handle.raw, &header, &data)
        if status == 1, let header, let data {
            frameNumber &+= 1
            return (header, data)
        }
        if status != PCAP_ERROR_BREAK && !stopRequested.load(ordering: .relaxed) {
            pendingError = readError(status: status)
        }
        finish()
        return nil
    }

    func finish() {
        ended = true
        stats.ended = true
    }

    /// Turns a failed `pcap_next_ex` into an error naming the frame that broke.
    func readError(status: Int32) -> CaptureError {
        let message = handle.lastError
        let broken = frameNumber + 1
        if message.contains("truncated") {
            stats.truncatedAtFrame = broken
            return CaptureError(
                .truncated, sensor: sensor, subject: subject, function: "pcap_next_ex", code: status,
                systemMessage: message, frameNumber: broken,
                summary: "\(subject) ends in the middle of frame \(broken)",
                advice: "the \(frameNumber) frames before it were delivered; the file was probably cut while being written or copied, so recopy it or accept the loss of its tail")
        }
        if message.contains("capture length") || message.contains("bigger than") || message.contains("invalid") {
            return CaptureError(
                .corruptFile, sensor: sensor, subject: subject, function: "pcap_next_ex", code: status,
                systemMessage: message, frameNumber: broken,
                summary: "\(subject) has an impossible record header at frame \(broken)",
                advice: "the \(frameNumber) frames before it were delivered; the file is damaged from there on, so recapture it or cut it with `editcap -r FILE OUT 1-\(frameNumber)`")
        }
        return CaptureError(
            .readFailed, sensor: sensor, subject: subject, function: "pcap_next_ex", code: status,
            systemMessage: message, frameNumber: broken,
            summary: "reading frame \(broken) of \(subject) failed",
            advice: "check that the file or stream is still there and readable")
    }
}

extension OfflineReader {
    /// Opens a capture file by path, with nanosecond timestamps, mapping every failure to a precise error.
    static func openFile(path: String, sensor: SensorID, api: PcapAPI) throws(CaptureError) -> OfflineReader {
        var info = stat()
        if stat(path, &info) != 0 {
            throw fileOpenError(path: path, errno: errno, sensor: sensor, function: "stat")
        }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            throw CaptureError(
                .invalidConfiguration, sensor: sensor, subject: path,
                summary: "\(path) is a directory, not a capture file",
                advice: "name one .pcap or .pcapng file, or list the directory's files as separate sensors")
        }
        if (info.st_mode & S_IFMT) == S_IFREG && info.st_size == 0 {
            throw CaptureError(
                .emptyFile, sensor: sensor, subject: path,
                summary: "\(path) is empty (0 bytes), so it has no pcap header",
                advice: "the capture was probably never written; check the capturing process and its disk space")
        }
        guard let file = fopen(path, "rb") else {
            throw fileOpenError(path: path, errno: errno, sensor: sensor, function: "fopen")
        }
        let buffer = StdioBuffer(installedOn: file)
        let (pcap, message) = withErrorBuffer { api.fopenOffline(file, UInt32(PCAP_TSTAMP_PRECISION_NANO), $0) }
        guard let pcap else {
            let head = firstBytes(of: file)
            fclose(file)
            buffer?.free()
            throw headerError(subject: path, message: message, firstBytes: head, sensor: sensor)
        }
        return try OfflineReader(handle: PcapHandle(raw: pcap, api: api, fileBuffer: buffer), sensor: sensor, subject: path)
    }

    /// Maps `errno` from opening a capture path to an error with advice.
    static func fileOpenError(path: String, errno code: Int32, sensor: SensorID, function: String) -> CaptureError {
        let message = String(cString: strerror(code))
        switch code {
        case ENOENT:
            return CaptureError(
                .fileNotFound, sensor: sensor, subject: path, function: function, code: code, systemMessage: message,
                summary: "capture file \(path) does not exist",
                advice: "check the path (relative paths are resolved from the working directory)")
        case EACCES, EPERM:
            return CaptureError(
                .permissionDenied, sensor: sensor, subject: path, function: function, code: code, systemMessage: message,
                summary: "no permission to read \(path)",
                advice: "make the file readable by the mallgate user (chmod/chown) or run with a user that can read it")
        default:
            return CaptureError(
                .readFailed, sensor: sensor, subject: path, function: function, code: code, systemMessage: message,
                summary: "cannot open \(path)", advice: "check the path and the file system")
        }
    }

    /// Maps libpcap's refusal of a capture header to an error saying what the file is instead.
    static func headerError(subject: String, message: String, firstBytes: [UInt8], sensor: SensorID) -> CaptureError {
        let hex = firstBytes.map { byte in
            let digits = String(byte, radix: 16)
            return digits.count == 1 ? "0" + digits : digits
        }.joined(separator: " ")
        if message.contains("unknown file format") {
            return CaptureError(
                .notACapture, sensor: sensor, subject: subject, function: "pcap_fopen_offline", systemMessage: message,
                summary: "\(subject) is not a pcap or pcapng file (first bytes \(hex.isEmpty ? "not available from a pipe" : hex))",
                advice: "pcap files start with d4 c3 b2 a1 or a1 b2 c3 d4 (or 4d 3c b2 a1 for nanoseconds), pcapng with 0a 0d 0d 0a; convert other formats with `editcap -F pcapng IN OUT`")
        }
        if message.contains("only got 0") {
            return CaptureError(
                .emptyFile, sensor: sensor, subject: subject, function: "pcap_fopen_offline", systemMessage: message,
                summary: "\(subject) is empty, so it has no pcap header",
                advice: "check that the writer (tcpdump -w -) started and wrote to this stream")
        }
        if message.contains("truncated") {
            return CaptureError(
                .corruptFile, sensor: sensor, subject: subject, function: "pcap_fopen_offline", systemMessage: message,
                summary: "\(subject) is too short to hold a capture header (first bytes \(hex))",
                advice: "the file was cut right at its start; recapture it")
        }
        return CaptureError(
            .corruptFile, sensor: sensor, subject: subject, function: "pcap_fopen_offline", systemMessage: message,
            summary: "\(subject) has a capture header libpcap refuses (first bytes \(hex))",
            advice: "the header is damaged or from an unsupported writer; check it with `capinfos` and rewrite it with `editcap -F pcap IN OUT`")
    }

    /// Up to 8 bytes from the start of the file, without moving its read position.
    static func firstBytes(of file: UnsafeMutablePointer<FILE>) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: 8)
        let n = bytes.withUnsafeMutableBytes { pread(fileno(file), $0.baseAddress, 8, 0) }
        return n > 0 ? Array(bytes.prefix(n)) : []
    }
}
