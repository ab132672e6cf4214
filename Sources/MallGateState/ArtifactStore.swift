internal import Crypto
internal import Glibc

/// The model files and venue layouts installed on this gateway, beside the ones the
/// configuration names: `STATE/artifacts/{model,venue}/`.
///
/// An artifact comes from the collector (``ArtifactSource/pulled``), from training on the
/// gateway (``ArtifactSource/trained``) or from a technician; the daemon prefers an installed
/// one over the configuration's file when it belongs to the configured venue (docs/daemon.md,
/// "Installed artifacts"). Each kind keeps a `current` and a `previous` artifact so a bad
/// update can be rolled back without the network.
///
/// On disk, per kind: the artifacts themselves, immutable and named by their SHA-256
/// (`<sha256>.mgm`, `<sha256>.json`), and one small pointer file, `installed`, naming the
/// current and previous ones with their manifests. Installing writes and fsyncs the new
/// artifact under a temporary name, lets the caller verify it, renames it to its final name,
/// then replaces `installed` by rename — the single atomic step that switches. A crash at
/// any point leaves either the old pointer (and a stray file the next install removes) or the
/// new one; never a half-written artifact in use. Writers (the daemon, `mallgate artifacts`,
/// the web UI) serialize on an flock(2) of `.lock`; readers take it shared.
public struct ArtifactStore: Sendable {
    /// The directory holding every kind: `STATE/artifacts`.
    public let directory: String

    /// Steps of an install, in order; tests stop a process at each to prove crash safety.
    package enum InstallStep: String, Sendable, CaseIterable {
        /// The new artifact is written and fsync'ed under a temporary name.
        case written
        /// The caller's verification accepted it.
        case verified
        /// It has its final, content-addressed name (the pointer still names the old one).
        case renamed
        /// The pointer names it (installed; strays not yet removed).
        case switched
    }

    /// Called after each install step: tests stop or kill the process there. Nil in production.
    package var stepObserver: (@Sendable (InstallStep) throws -> Void)?

    /// The store under `stateDirectory` (nothing is created until the first install).
    public init(stateDirectory: String) {
        directory = stateDirectory + "/artifacts"
    }

    /// The artifact in use for `kind`, or nil when none is installed (the configuration's file applies).
    /// - Throws: ``ArtifactStoreError`` when the pointer file is unreadable or names a missing artifact.
    public func current(_ kind: ArtifactKind) throws(ArtifactStoreError) -> InstalledArtifact? {
        try withLock(kind, exclusive: false) { () throws(ArtifactStoreError) in try readPointer(kind).current }
    }

    /// The artifact a ``rollback(_:)`` would return to, or nil.
    public func previous(_ kind: ArtifactKind) throws(ArtifactStoreError) -> InstalledArtifact? {
        try withLock(kind, exclusive: false) { () throws(ArtifactStoreError) in try readPointer(kind).previous }
    }

    /// SHA-256s of artifacts a person turned away on this gateway (rolled back from, or cleared):
    /// the puller does not install them again, so a rollback is not undone by the next poll.
    /// Installing one by hand (source technician or trained) removes it from the list.
    public func declined(_ kind: ArtifactKind) throws(ArtifactStoreError) -> [String] {
        try withLock(kind, exclusive: false) { () throws(ArtifactStoreError) in try readPointer(kind).declined }
    }

    /// Both at once, read under one lock: what `mallgate artifacts list` and the web UI show.
    public func installed(_ kind: ArtifactKind) throws(ArtifactStoreError) -> (current: InstalledArtifact?, previous: InstalledArtifact?) {
        try withLock(kind, exclusive: false) { () throws(ArtifactStoreError) in
            let pointer = try readPointer(kind)
            return (pointer.current, pointer.previous)
        }
    }

    /// Installs `bytes` as the current `kind` if `verify` accepts them; the current one becomes previous.
    ///
    /// Installing the artifact that is already current changes nothing; installing the previous
    /// one swaps the two. A refused or failed install leaves everything as it was.
    /// - Parameters:
    ///   - source: where the bytes came from, recorded in the manifest.
    ///   - origin: free text recorded with it (the collector URL, the training captures…); newlines are dropped.
    ///   - verify: checks the written file (its path and bytes) and says which venue and layout it
    ///     belongs to; throwing refuses it. For a model: it decodes and was trained for the
    ///     current layout; for a venue: it validates and has the configured venue id.
    /// - Returns: the installed artifact.
    /// - Throws: ``ArtifactStoreError``: ``ArtifactStoreError/isRefused`` when `verify` threw (its
    ///   message is kept), otherwise an I/O failure naming the file.
    @discardableResult
    public func install(
        _ kind: ArtifactKind, bytes: [UInt8], source: ArtifactSource, origin: String = "",
        verify: (ArtifactCandidate) throws -> ArtifactIdentity
    ) throws(ArtifactStoreError) -> InstalledArtifact {
        let sha = Self.sha256Hex(bytes)
        return try withLock(kind, exclusive: true) { () throws(ArtifactStoreError) -> InstalledArtifact in
            let pointer = try readPointer(kind)
            if let current = pointer.current, current.manifest.sha256 == sha { return current }
            let folder = kindDirectory(kind)
            let temporary = folder + "/.incoming-\(getpid())-\(sha.prefix(16))"
            try writeDurably(temporary, bytes)
            do throws(ArtifactStoreError) {
                try observe(.written)
                let identity: ArtifactIdentity
                do { identity = try verify(ArtifactCandidate(kind: kind, path: temporary, bytes: bytes, sha256: sha)) } catch {
                    throw ArtifactStoreError(.refused(reason: "\(error)"), path: temporary)
                }
                try observe(.verified)
                let finalPath = folder + "/" + sha + "." + kind.fileExtension
                guard rename(temporary, finalPath) == 0 else { throw failure("rename", finalPath) }
                try syncDirectory(folder)
                try observe(.renamed)
                let manifest = ArtifactManifest(
                    sha256: sha, size: bytes.count, venueID: identity.venueID, layoutHash: identity.layoutHash,
                    source: source, installedAt: Int64(time(nil)), origin: Self.oneLine(origin))
                let installed = InstalledArtifact(kind: kind, path: finalPath, manifest: manifest)
                var declined = pointer.declined
                if source != .pulled { declined.removeAll { $0 == sha } }
                try writePointer(kind, Pointer(current: installed, previous: pointer.current, declined: declined))
                try observe(.switched)
                removeStrays(kind)
                return installed
            } catch {
                unlink(temporary)
                throw error
            }
        }
    }

    /// Makes the previous artifact current again — or, when there was none before the current
    /// one, the configuration's file (nil) — and the one it replaces previous, so a second
    /// rollback undoes the first. The replaced one is ``declined(_:)``.
    /// - Returns: the artifact now current; nil when the configuration's file applies again.
    /// - Throws: ``ArtifactStoreError`` when nothing is installed and nothing was before.
    @discardableResult
    public func rollback(_ kind: ArtifactKind) throws(ArtifactStoreError) -> InstalledArtifact? {
        try withLock(kind, exclusive: true) { () throws(ArtifactStoreError) -> InstalledArtifact? in
            let pointer = try readPointer(kind)
            guard pointer.previous != nil || pointer.current != nil else {
                throw ArtifactStoreError(.nothingToRollBack(kind: kind, hasCurrent: false), path: pointerPath(kind))
            }
            var declined = pointer.declined.filter { $0 != pointer.previous?.manifest.sha256 }
            if let current = pointer.current { declined = Self.appending(current.manifest.sha256, to: declined) }
            try writePointer(kind, Pointer(current: pointer.previous, previous: pointer.current, declined: declined))
            return pointer.previous
        }
    }

    /// Stops using any installed `kind`: the configuration's file applies again; the current one
    /// becomes previous (a ``rollback(_:)`` reinstates it).
    ///
    /// A damaged pointer file (edited by hand, naming a missing artifact) is replaced by an empty
    /// one: the way out every such error message names. The artifact files stay until the next install.
    /// - Returns: the artifact that was current, or nil if none was (or the pointer was damaged).
    @discardableResult
    public func clear(_ kind: ArtifactKind) throws(ArtifactStoreError) -> InstalledArtifact? {
        try withLock(kind, exclusive: true) { () throws(ArtifactStoreError) -> InstalledArtifact? in
            let pointer: Pointer
            do throws(ArtifactStoreError) { pointer = try readPointer(kind) } catch {
                guard error.isDamagedPointer else { throw error }
                try writePointer(kind, Pointer())
                return nil
            }
            guard let current = pointer.current else { return nil }
            try writePointer(kind, Pointer(current: nil, previous: current, declined: Self.appending(current.manifest.sha256, to: pointer.declined)))
            removeStrays(kind)
            return current
        }
    }

    /// The lowercase hex SHA-256 of `bytes`: an artifact's name, ETag and checksum.
    public static func sha256Hex(_ bytes: some Sequence<UInt8>) -> String {
        var hasher = SHA256()
        hasher.update(data: Array(bytes))
        return hasher.finalize().map { b in
            let s = String(b, radix: 16)
            return s.count == 1 ? "0" + s : s
        }.joined()
    }
}

// MARK: Values

/// What an ``ArtifactStore`` holds.
public enum ArtifactKind: String, Sendable, CaseIterable, CustomStringConvertible {
    /// A localization model (`.mgm` from `mallgate train`).
    case model
    /// A venue layout (JSON).
    case venue

    /// The extension installed files get, so tools recognize them.
    public var fileExtension: String { self == .model ? "mgm" : "json" }
    public var description: String { rawValue }
}

/// Where an installed artifact came from.
public enum ArtifactSource: String, Sendable, CaseIterable, CustomStringConvertible {
    case pulled = "pulled from collector"
    case trained = "trained on gateway"
    case technician = "installed by technician"
    /// Only for describing the configuration's own files (never stored by an install).
    case config = "config"
    public var description: String { rawValue }
}

/// What the caller's verification says about a candidate artifact.
public struct ArtifactIdentity: Sendable, Equatable {
    /// The venue it belongs to.
    public var venueID: String
    /// The layout it was made for: for a model, the layout hash it was trained on; for a venue,
    /// the FNV-1a hash of its own bytes (`LayoutHash.fnv1a64`).
    public var layoutHash: UInt64
    public init(venueID: String, layoutHash: UInt64) {
        self.venueID = venueID
        self.layoutHash = layoutHash
    }
}

/// A candidate handed to the verification: written and fsync'ed, not yet installed.
public struct ArtifactCandidate: Sendable {
    public let kind: ArtifactKind
    /// The temporary file (valid only during verification).
    public let path: String
    public let bytes: [UInt8]
    public let sha256: String
}

/// The manifest recorded with an installed artifact.
public struct ArtifactManifest: Sendable, Equatable {
    public var sha256: String
    public var size: Int
    public var venueID: String
    public var layoutHash: UInt64
    public var source: ArtifactSource
    /// Unix seconds.
    public var installedAt: Int64
    /// Free text: the collector URL, the training input…
    public var origin: String

    public init(sha256: String, size: Int, venueID: String, layoutHash: UInt64, source: ArtifactSource, installedAt: Int64, origin: String) {
        self.sha256 = sha256
        self.size = size
        self.venueID = venueID
        self.layoutHash = layoutHash
        self.source = source
        self.installedAt = installedAt
        self.origin = origin
    }

    /// The layout hash as 16 hex digits (how `mallgate train` and the logs print it).
    public var layoutHashHex: String {
        let s = String(layoutHash, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }
}

/// An installed artifact: its file and manifest.
public struct InstalledArtifact: Sendable, Equatable {
    public let kind: ArtifactKind
    /// The file, immutable while it is current or previous.
    public let path: String
    public let manifest: ArtifactManifest
}

/// Why the artifact store cannot do what was asked, with the file and what to do.
public struct ArtifactStoreError: Error, Sendable, Equatable, CustomStringConvertible {
    enum Kind: Sendable, Equatable {
        case system(function: String, errno: Int32)
        case refused(reason: String)
        case badPointer(line: Int, text: String)
        case incompleteManifest(role: String)
        case missingArtifact(sha256: String)
        case nothingToRollBack(kind: ArtifactKind, hasCurrent: Bool)
        case injected(step: String)
    }
    let kind: Kind
    /// The file concerned.
    public let path: String

    init(_ kind: Kind, path: String) {
        self.kind = kind
        self.path = path
    }

    /// The verification refused the artifact (nothing was changed); ``reason`` says why.
    public var isRefused: Bool { if case .refused = kind { true } else { false } }

    /// The pointer file is unreadable as written (a bad line, a partial entry, a missing artifact).
    var isDamagedPointer: Bool {
        switch kind {
        case .badPointer, .incompleteManifest, .missingArtifact: true
        default: false
        }
    }

    /// The verification's message when ``isRefused``.
    public var reason: String? { if case .refused(let r) = kind { r } else { nil } }

    public var description: String {
        switch kind {
        case .system(let function, let code):
            return "\(path): \(function) failed: \(String(cString: strerror(code))) (errno \(code)); check the state directory's permissions and free space"
        case .refused(let reason):
            return "refused, the installed one stays: \(reason)"
        case .badPointer(let line, let text):
            return "\(path):\(line): \"\(text)\" is not an artifact pointer line; the file was edited or damaged — `mallgate artifacts clear` starts over from the configuration's files"
        case .incompleteManifest(let role):
            return "\(path): the \(role) entry lacks fields; the file was edited or damaged — `mallgate artifacts clear` starts over from the configuration's files"
        case .missingArtifact(let sha):
            return "\(path): names the artifact \(sha), which is missing from its directory; `mallgate artifacts clear` starts over from the configuration's files"
        case .nothingToRollBack(let kind, let hasCurrent):
            return hasCurrent
                ? "\(path): there is no previous \(kind) to roll back to; `mallgate artifacts clear --kind \(kind)` returns to the configuration's file"
                : "\(path): no \(kind) was ever installed; the configuration's file is in use and there is nothing to roll back to"
        case .injected(let step):
            return "\(path): stopped after step \(step) (test)"
        }
    }
}

// MARK: Files

extension ArtifactStore {
    /// Current and previous, as the pointer file records them.
    struct Pointer {
        var current: InstalledArtifact?
        var previous: InstalledArtifact?
        /// Oldest first, at most ``declinedLimit``.
        var declined: [String] = []
    }

    static let declinedLimit = 32

    static func appending(_ sha: String, to list: [String]) -> [String] {
        Array((list.filter { $0 != sha } + [sha]).suffix(declinedLimit))
    }

    func kindDirectory(_ kind: ArtifactKind) -> String { directory + "/" + kind.rawValue }
    func pointerPath(_ kind: ArtifactKind) -> String { kindDirectory(kind) + "/installed" }

    private func failure(_ function: String, _ path: String) -> ArtifactStoreError {
        ArtifactStoreError(.system(function: function, errno: errno), path: path)
    }

    private func observe(_ step: InstallStep) throws(ArtifactStoreError) {
        guard let stepObserver else { return }
        do { try stepObserver(step) } catch { throw ArtifactStoreError(.injected(step: step.rawValue), path: directory) }
    }

    /// Runs `body` holding `.lock` of `kind` (created with the directory when writing).
    private func withLock<T>(_ kind: ArtifactKind, exclusive: Bool, _ body: () throws(ArtifactStoreError) -> T) throws(ArtifactStoreError) -> T {
        let folder = kindDirectory(kind)
        if exclusive, let code = makeDirectories(folder) {
            throw ArtifactStoreError(.system(function: "mkdir", errno: code), path: folder)
        }
        let lockPath = folder + "/.lock"
        let fd = open(lockPath, (exclusive ? O_RDWR | O_CREAT : O_RDONLY) | O_CLOEXEC, 0o644)
        if fd < 0 {
            // Nothing was ever installed: no directory, no lock, nothing to read.
            if !exclusive && errno == ENOENT { return try body() }
            throw failure("open", lockPath)
        }
        defer { close(fd) }
        while flock(fd, exclusive ? LOCK_EX : LOCK_SH) != 0 {
            guard errno == EINTR else { throw failure("flock", lockPath) }
        }
        return try body()
    }

    /// Reads the pointer file; an absent one means nothing installed.
    func readPointer(_ kind: ArtifactKind) throws(ArtifactStoreError) -> Pointer {
        let path = pointerPath(kind)
        guard let bytes = try readAll(path) else { return Pointer() }
        var fields: [String: [String: String]] = ["current": [:], "previous": [:]]
        var declined: [String] = []
        for (index, line) in String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("declined ") {
                declined.append(String(line.dropFirst("declined ".count)))
                continue
            }
            guard let space = line.firstIndex(of: " "), let dot = line[..<space].firstIndex(of: "."),
                  fields[String(line[..<dot])] != nil else {
                throw ArtifactStoreError(.badPointer(line: index + 1, text: String(line.prefix(60))), path: path)
            }
            fields[String(line[..<dot]), default: [:]][String(line[line.index(after: dot)..<space])] = String(line[line.index(after: space)...])
        }
        func artifact(_ role: String) throws(ArtifactStoreError) -> InstalledArtifact? {
            let f = fields[role] ?? [:]
            if f.isEmpty { return nil }
            guard let sha = f["sha256"], sha.count == 64, sha.allSatisfy({ $0.isHexDigit && !$0.isUppercase }),
                  let size = f["size"].flatMap({ Int($0) }), let venue = f["venue"],
                  let layout = f["layout_hash"].flatMap({ UInt64($0, radix: 16) }),
                  let source = f["source"].flatMap({ ArtifactSource(rawValue: $0) }),
                  let at = f["installed_at"].flatMap({ Int64($0) }) else {
                throw ArtifactStoreError(.incompleteManifest(role: role), path: path)
            }
            let file = kindDirectory(kind) + "/" + sha + "." + kind.fileExtension
            guard access(file, R_OK) == 0 else { throw ArtifactStoreError(.missingArtifact(sha256: sha), path: path) }
            return InstalledArtifact(
                kind: kind, path: file,
                manifest: ArtifactManifest(sha256: sha, size: size, venueID: venue, layoutHash: layout, source: source, installedAt: at, origin: f["origin"] ?? ""))
        }
        return Pointer(current: try artifact("current"), previous: try artifact("previous"), declined: declined)
    }

    /// Replaces the pointer file atomically (temporary, fsync, rename, fsync of the directory).
    private func writePointer(_ kind: ArtifactKind, _ pointer: Pointer) throws(ArtifactStoreError) {
        var text = "# MallGate installed \(kind)s (docs/daemon.md, \"Installed artifacts\"). Written by ArtifactStore; do not edit.\n"
        for (role, artifact) in [("current", pointer.current), ("previous", pointer.previous)] {
            guard let m = artifact?.manifest else { continue }
            text += "\(role).sha256 \(m.sha256)\n\(role).size \(m.size)\n\(role).venue \(Self.oneLine(m.venueID))\n"
            text += "\(role).layout_hash \(m.layoutHashHex)\n\(role).source \(m.source.rawValue)\n\(role).installed_at \(m.installedAt)\n"
            if !m.origin.isEmpty { text += "\(role).origin \(m.origin)\n" }
        }
        for sha in pointer.declined { text += "declined \(sha)\n" }
        let path = pointerPath(kind)
        let temporary = path + ".new"
        try writeDurably(temporary, Array(text.utf8))
        guard rename(temporary, path) == 0 else {
            let e = failure("rename", path)
            unlink(temporary)
            throw e
        }
        try syncDirectory(kindDirectory(kind))
    }

    /// Removes artifacts neither current nor previous, and temporaries a crash left behind.
    /// Best effort: a file that stays is only disk space.
    private func removeStrays(_ kind: ArtifactKind) {
        guard let pointer = try? readPointer(kind) else { return }
        let keep = Set([pointer.current?.path, pointer.previous?.path].compactMap { $0 })
        let folder = kindDirectory(kind)
        guard let dir = opendir(folder) else { return }
        defer { closedir(dir) }
        var remove: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            let path = folder + "/" + name
            if name.hasPrefix(".incoming-") || (name.hasSuffix("." + kind.fileExtension) && !keep.contains(path)) { remove.append(path) }
        }
        for path in remove { unlink(path) }
    }

    /// Writes `bytes` to a new file at `path` (mode 0644) and fsyncs it.
    private func writeDurably(_ path: String, _ bytes: [UInt8]) throws(ArtifactStoreError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0o644)
        guard fd >= 0 else { throw failure("open", path) }
        defer { close(fd) }
        let failed = bytes.withUnsafeBytes { (raw) -> ArtifactStoreError? in
            var done = 0
            while done < raw.count {
                let n = write(fd, raw.baseAddress! + done, raw.count - done)
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { return failure("write", path) }
                done += n
            }
            return nil
        }
        if let failed {
            unlink(path)
            throw failed
        }
        guard fsync(fd) == 0 else {
            let e = failure("fsync", path)
            unlink(path)
            throw e
        }
    }

    private func syncDirectory(_ folder: String) throws(ArtifactStoreError) {
        let fd = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw failure("open", folder) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw failure("fsync", folder) }
    }

    /// The file's bytes, or nil if it does not exist.
    private func readAll(_ path: String) throws(ArtifactStoreError) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            if errno == ENOENT { return nil }
            throw failure("open", path)
        }
        defer { close(fd) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw failure("read", path) }
            if n == 0 { break }
            out += chunk[0..<n]
        }
        return out
    }

    static func oneLine(_ text: String) -> String {
        String(text.map { $0 == "\n" || $0 == "\r" ? " " : $0 })
    }
}
