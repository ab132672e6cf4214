import Glibc
public import MallGateIdentify

/// The opt-out list on disk: one 32-hex-digit hash per line, `#` starts a comment. No MAC is
/// ever written; people's MACs are hashed in memory by ``OptOutList/add(_:)`` and only the
/// hashes saved.
public enum OptOutFile {
    /// The list's file name inside the state directory.
    public static let fileName = "opt-out.txt"

    /// The list at `path` for `key`; an absent file is an empty list.
    /// - Throws: ``StateFileError`` naming the line of anything that is not a hash.
    public static func load(path: String, key: IdentityKey) throws(StateFileError) -> OptOutList {
        guard let f = fopen(path, "r") else {
            if errno == ENOENT { return OptOutList(key: key) }
            throw systemError("fopen", path)
        }
        defer { fclose(f) }
        var hashes: [OptOutHash] = []
        var lineNumber = 0
        var buffer = [CChar](repeating: 0, count: 256)
        while fgets(&buffer, Int32(buffer.count), f) != nil {
            lineNumber += 1
            let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            let content = text.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let trimmed = content.filter { $0 != " " && $0 != "\t" && $0 != "\n" && $0 != "\r" }
            if trimmed.isEmpty { continue }
            guard let hash = OptOutHash(hex: trimmed) else {
                throw StateFileError(.badOptOutLine(line: lineNumber, text: String(trimmed.prefix(40))), path: path)
            }
            hashes.append(hash)
        }
        if ferror(f) != 0 { throw systemError("fgets", path) }
        return OptOutList(key: key, hashes: hashes)
    }

    /// Writes `list` to `path` atomically (temporary file, fsync, rename, fsync of the directory), mode 0600.
    public static func save(_ list: OptOutList, path: String) throws(StateFileError) {
        var text = "# MallGate opt-out list: HMAC-SHA256 hashes of MACs (docs/privacy.md). One per line; no MACs here.\n"
        for h in list.sortedHashes { text += h.description + "\n" }
        let temporary = path + ".new-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw systemError("open", temporary) }
        do throws(StateFileError) {
            defer { close(fd) }
            // withUnsafeBytes rethrows untyped errors: carry the typed one out by value.
            let failure = Array(text.utf8).withUnsafeBytes { (raw) -> StateFileError? in
                do throws(StateFileError) { try writeAll(fd, raw, path: temporary); return nil } catch { return error }
            }
            if let failure { throw failure }
            guard fsync(fd) == 0 else { throw systemError("fsync", temporary) }
        } catch {
            unlink(temporary)
            throw error
        }
        guard rename(temporary, path) == 0 else {
            let e = systemError("rename", path)
            unlink(temporary)
            throw e
        }
        let slash = path.lastIndex(of: "/")
        try IdentityKeyFile.syncDirectory(slash.map { String(path[..<$0]) } ?? ".")
    }
}
