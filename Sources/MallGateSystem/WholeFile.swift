internal import Glibc

/// Reads whole files with POSIX calls: the one implementation behind every venue, model,
/// configuration, status and artifact file the agent, the CLI and the collector load.
///
/// Seven modules had a copy of this loop; some ignored read errors and returned what they had
/// so far, which is how a half-read model or configuration gets mistaken for a whole one.
public enum WholeFile {
    /// Why a file could not be read: which file, which step and the errno.
    public struct ReadError: Error, Sendable, CustomStringConvertible {
        public enum Step: String, Sendable {
            case open, read
        }

        public let path: String
        public let step: Step
        /// The errno of the failed call.
        public let code: Int32

        /// The errno's text (strerror).
        public var reason: String { String(cString: strerror(code)) }

        public var description: String { "\(path): cannot \(step.rawValue): \(reason)" }
    }

    /// The file's bytes.
    /// - Parameter limit: stop once more than this many bytes are read (the result is then
    ///   longer than `limit`, and the caller refuses it) instead of reading an oversized file whole.
    public static func read(_ path: String, limit: Int = .max) throws(ReadError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ReadError(path: path, step: .open, code: errno) }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while bytes.count <= limit {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw ReadError(path: path, step: .read, code: errno)
            }
            if n == 0 { break }
            bytes.append(contentsOf: chunk[0..<n])
        }
        return bytes
    }
}

/// The file's bytes, or nil with `errno` saying why: for callers that word their own message.
public func readWholeFile(_ path: String, limit: Int = .max) -> [UInt8]? {
    do {
        return try WholeFile.read(path, limit: limit)
    } catch {
        errno = error.code
        return nil
    }
}
