#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A byte buffer flushed to a file descriptor in large writes.
///
/// `parse` can print millions of lines; one `write(2)` per 64 KiB instead of one
/// `print` per line keeps the printer from being the bottleneck of a benchmark.
final class OutputBuffer {
    private var bytes: [UInt8] = []
    private let fd: Int32
    private let flushThreshold: Int

    init(fd: Int32 = STDOUT_FILENO, flushThreshold: Int = 64 * 1024) {
        self.fd = fd
        self.flushThreshold = flushThreshold
        bytes.reserveCapacity(flushThreshold + 4096)
    }

    func append(_ string: String) {
        var string = string
        string.withUTF8 { bytes.append(contentsOf: $0) }
        if bytes.count >= flushThreshold { flush() }
    }

    func append(byte: UInt8) {
        bytes.append(byte)
    }

    /// Writes out everything buffered; a closed pipe (`| head`) ends the process quietly.
    func flush() {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                if errno == EPIPE { exit(0) }
                break
            }
            offset += n
        }
        bytes.removeAll(keepingCapacity: true)
    }

    deinit { flush() }
}
