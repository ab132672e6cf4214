import Glibc
import MallGateIdentify

/// A state file (identity key, opt-out list) that cannot be read or written, with the path
/// and what to do about it.
public struct StateFileError: Error, Sendable, Equatable, CustomStringConvertible {
    enum Kind: Sendable, Equatable {
        case system(function: String, errno: Int32)
        case notRegularFile
        case tooOpen(mode: UInt32)
        case wrongKeyLength(Int)
        case badOptOutLine(line: Int, text: String)
    }
    let kind: Kind
    /// The file concerned.
    public let path: String

    init(_ kind: Kind, path: String) {
        self.kind = kind
        self.path = path
    }

    public var description: String {
        switch kind {
        case .system(let function, let code):
            return "\(path): \(function) failed: \(String(cString: strerror(code))) (errno \(code))"
        case .notRegularFile:
            return "\(path): not a regular file; remove it or point the state directory elsewhere"
        case .tooOpen(let mode):
            let octal = String(mode & 0o777, radix: 8)
            return "\(path): the identity key is readable by group or others (mode 0\(octal)); "
                + "run `chmod 600 \(path)` (and make the daemon's user its owner), then start again"
        case .wrongKeyLength(let n):
            return "\(path): an identity key file holds exactly \(IdentityKey.byteCount) bytes, this one has \(n); "
                + "restore it from a backup, or delete it to create a new key (every device id will change)"
        case .badOptOutLine(let line, let text):
            return "\(path):\(line): \"\(text)\" is not an opt-out hash (32 hex digits); "
                + "the file holds one hash per line, # for comments — add MACs with OptOutFile, never by hand"
        }
    }
}


/// errno, as a typed error for `function` on `path`.
func systemError(_ function: String, _ path: String) -> StateFileError {
    StateFileError(.system(function: function, errno: errno), path: path)
}

/// Writes all of `bytes` to `fd`, retrying short writes and EINTR: the key and opt-out files
/// are written whole or the write fails with the file named.
func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws(StateFileError) {
    var done = 0
    while done < bytes.count {
        let n = write(fd, bytes.baseAddress! + done, bytes.count - done)
        if n < 0 && errno == EINTR { continue }
        guard n > 0 else { throw systemError("write", path) }
        done += n
    }
}
