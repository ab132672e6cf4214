internal import Glibc
internal import Synchronization

/// A new empty directory `/tmp/mallgate-<name>-XXXXXX`, unique to this call (tests run in
/// parallel), removed with everything in it when the test process exits.
///
/// Every suite used to make its own and most never removed theirs: a run of `scripts/test.sh`
/// left hundreds of directories (simulated venues, databases, captures) in /tmp, gigabytes on a
/// developer's machine after a few days. Removal at exit rather than at the end of each test
/// because fixtures are shared across tests of one process (``SharedFixture``). Set
/// `MALLGATE_KEEP_TEST_DIRECTORIES=1` to keep them for a post-mortem.
public func makeTemporaryDirectory(_ name: String) -> String {
    var template = Array("/tmp/mallgate-\(name)-XXXXXX".utf8CString)
    let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
    precondition(made != nil, "mkdtemp /tmp/mallgate-\(name)-XXXXXX failed: errno \(errno)")
    let path = String(cString: template)
    TemporaryDirectories.register(path)
    return path
}

/// Removes a directory tree now (a test that wants its disk space back before the process ends).
///
/// Symbolic links are removed, never followed: a link into ../shared loses the link, not its target.
public func removeTree(_ path: String) {
    var info = stat()
    guard lstat(path, &info) == 0 else { return }
    if info.st_mode & S_IFMT == S_IFDIR {
        for name in directoryEntries(path) { removeTree(path + "/" + name) }
        rmdir(path)
    } else {
        unlink(path)
    }
}

/// The names in a directory (dot files too, not `.` and `..`), sorted; none if it cannot be read.
public func directoryEntries(_ path: String) -> [String] {
    guard let directory = opendir(path) else { return [] }
    defer { closedir(directory) }
    var names: [String] = []
    while let entry = readdir(directory) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        if name != "." && name != ".." { names.append(name) }
    }
    return names.sorted()
}

/// The directories made by this process, removed by an `atexit` handler registered with the first.
enum TemporaryDirectories {
    private static let made = Mutex<[String]>([])
    private static let registration: Void = {
        if let keep = getenv("MALLGATE_KEEP_TEST_DIRECTORIES"), String(cString: keep) == "1" { return }
        atexit { TemporaryDirectories.removeAll() }
    }()

    static func register(_ path: String) {
        _ = registration
        made.withLock { $0.append(path) }
    }

    static func removeAll() {
        for path in made.withLock({ $0 }) { removeTree(path) }
    }
}
