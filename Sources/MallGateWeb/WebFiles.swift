internal import MallGateSystem
internal import Glibc

/// Small file operations of the web UI (calibration files, model install), with errors that
/// name the file and the system's reason.
enum WebFiles {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    static func failure(_ what: String, _ path: String) -> Failure {
        Failure(description: "\(path): cannot \(what) (\(String(cString: strerror(errno))))")
    }

    /// Creates `path` and its parents (mode 0700: calibration data stays with the agent's user).
    static func makeDirectory(_ path: String) throws(Failure) {
        var prefix = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            prefix += "/" + part
            if mkdir(prefix, 0o700) != 0 && errno != EEXIST { throw failure("create the directory", prefix) }
        }
    }

    static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    static func read(_ path: String) -> [UInt8]? { readWholeFile(path) }

    /// Appends `text` to `path` (created 0600 when missing) and flushes it to the disk.
    static func append(_ text: String, to path: String) throws(Failure) {
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw failure("open for appending", path) }
        defer { close(fd) }
        try writeAll(fd, Array(text.utf8), path)
        fsync(fd)
    }

    /// Replaces `path` with `bytes` atomically: a temporary file in the same directory, synced, then renamed.
    static func replace(_ path: String, with bytes: [UInt8], mode: mode_t = 0o640) throws(Failure) {
        let temporary = path + ".tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else { throw failure("create", temporary) }
        do {
            try writeAll(fd, bytes, temporary)
        } catch {
            close(fd)
            unlink(temporary)
            throw error
        }
        fsync(fd)
        close(fd)
        guard rename(temporary, path) == 0 else {
            let failed = failure("rename \(temporary) to", path)
            unlink(temporary)
            throw failed
        }
    }

    private static func writeAll(_ fd: Int32, _ bytes: [UInt8], _ path: String) throws(Failure) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw failure("write", path)
            }
            offset += n
        }
    }
}
