import Glibc
public import MallGateIdentify

/// The venue's identity key on disk: 32 raw bytes, mode 0600, in the daemon's state directory.
///
/// Created on first run, never rewritten: replacing it changes every device id. A key that
/// group or others can read is refused rather than silently fixed, because it may already
/// have been copied.
public enum IdentityKeyFile {
    /// The key's file name inside the state directory.
    public static let fileName = "identity.key"

    /// The key in `stateDirectory`, created with 32 bytes from the system's secure generator if
    /// there is none yet.
    ///
    /// Creation is atomic and idempotent: the key is written and fsync'ed under a temporary name
    /// (O_CREAT|O_EXCL, mode 0600), then linked to its final name, which fails if another start
    /// won the race, in which case that key is read. A crash leaves either no key or a whole one.
    /// - Throws: ``StateFileError`` with the path and what to do.
    public static func loadOrCreate(stateDirectory: String) throws(StateFileError) -> (key: IdentityKey, created: Bool) {
        let path = stateDirectory + "/" + fileName
        if access(path, F_OK) == 0 { return (try load(path: path), false) }
        let key = IdentityKey.random()
        let temporary = path + ".new-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw systemError("open", temporary) }
        do throws(StateFileError) {
            defer { close(fd) }
            guard fchmod(fd, 0o600) == 0 else { throw systemError("fchmod", temporary) }
            try key.withKeyMaterial { (raw) throws(StateFileError) in try writeAll(fd, raw, path: temporary) }
            guard fsync(fd) == 0 else { throw systemError("fsync", temporary) }
        } catch {
            unlink(temporary)
            throw error
        }
        let linked = link(temporary, path)
        let linkErrno = errno
        unlink(temporary)
        if linked != 0 {
            if linkErrno == EEXIST { return (try load(path: path), false) }
            throw StateFileError(.system(function: "link", errno: linkErrno), path: path)
        }
        try syncDirectory(stateDirectory)
        return (key, true)
    }

    /// The key at `path`.
    /// - Throws: ``StateFileError`` if the file is missing, not a regular file, readable by
    ///   group or others, or not exactly 32 bytes.
    public static func load(path: String) throws(StateFileError) -> IdentityKey {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { throw systemError("open", path) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw systemError("fstat", path) }
        guard info.st_mode & S_IFMT == S_IFREG else { throw StateFileError(.notRegularFile, path: path) }
        guard info.st_mode & 0o077 == 0 else { throw StateFileError(.tooOpen(mode: UInt32(info.st_mode)), path: path) }
        var bytes = [UInt8](repeating: 0, count: IdentityKey.byteCount + 1)
        var count = 0
        while count < bytes.count {
            let n = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + count, $0.count - count) }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw systemError("read", path) }
            if n == 0 { break }
            count += n
        }
        if count > IdentityKey.byteCount { count = Int(info.st_size) }
        defer { for i in bytes.indices { bytes[i] = 0 } }
        do {
            return try IdentityKey(bytes: bytes.prefix(count))
        } catch {
            throw StateFileError(.wrongKeyLength(count), path: path)
        }
    }

    /// fsync on the directory, so the new name survives power loss (not only the data).
    static func syncDirectory(_ directory: String) throws(StateFileError) {
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw systemError("open", directory) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw systemError("fsync", directory) }
    }
}
