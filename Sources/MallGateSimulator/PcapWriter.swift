#if canImport(Glibc)
internal import Glibc
#endif

/// Writes a classic pcap file (https://www.tcpdump.org/manpages/pcap-savefile.5.html):
/// microsecond timestamps, link type 127 (IEEE 802.11 + radiotap), buffered in large writes.
///
/// A small writer of our own rather than `pcap_dump`: the simulator writes millions of
/// records and already has each frame's bytes in one buffer, so one `fwrite` per megabyte
/// is all the I/O it needs.
struct PcapWriter: ~Copyable {
    static let linkTypeRadiotap: UInt32 = 127
    private let file: UnsafeMutablePointer<FILE>
    private var buffer: [UInt8] = []
    let path: String
    private(set) var records = 0
    private(set) var bytesWritten = 0

    init(path: String) throws(SimulationError) {
        guard let file = fopen(path, "wb") else {
            throw SimulationError(.cannotWrite(path: path, errno: errno))
        }
        self.file = file
        self.path = path
        buffer.reserveCapacity(1 << 20)
        append32(0xA1B2_C3D4)  // magic: microsecond timestamps, written in our byte order (little-endian)
        append16(2)  // version 2.4
        append16(4)
        append32(0)  // thiszone
        append32(0)  // sigfigs
        append32(65_535)  // snaplen
        append32(PcapWriter.linkTypeRadiotap)
    }

    deinit { fclose(file) }

    /// Appends one record; `frame` holds the whole frame (radiotap header onward).
    mutating func write(microseconds: Int64, frame: [UInt8]) throws(SimulationError) {
        append32(UInt32(truncatingIfNeeded: microseconds / 1_000_000))
        append32(UInt32(truncatingIfNeeded: microseconds % 1_000_000))
        append32(UInt32(frame.count))
        append32(UInt32(frame.count))
        buffer.append(contentsOf: frame)
        records += 1
        if buffer.count >= 1 << 20 { try flush() }
    }

    mutating func flush() throws(SimulationError) {
        guard !buffer.isEmpty else { return }
        let written = buffer.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
        guard written == buffer.count else { throw SimulationError(.cannotWrite(path: path, errno: errno)) }
        bytesWritten += buffer.count
        buffer.removeAll(keepingCapacity: true)
    }

    /// Flushes and closes; errors the OS reports only at close (a full disk) are thrown here.
    consuming func close() throws(SimulationError) {
        try flush()
        guard fflush(file) == 0 else { throw SimulationError(.cannotWrite(path: path, errno: errno)) }
    }

    @inline(__always) private mutating func append16(_ v: UInt16) {
        buffer.append(UInt8(truncatingIfNeeded: v))
        buffer.append(UInt8(truncatingIfNeeded: v >> 8))
    }
    @inline(__always) private mutating func append32(_ v: UInt32) {
        append16(UInt16(truncatingIfNeeded: v))
        append16(UInt16(truncatingIfNeeded: v >> 16))
    }
}
