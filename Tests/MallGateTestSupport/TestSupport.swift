public import Glibc

/// Helpers shared by the test targets that run the `mallgate` binary and read files:
/// one copy, so a fix (quoting, exit status decoding) reaches every suite.

/// The package root, found from this file: Tests/MallGateTestSupport/TestSupport.swift.
public let packageRoot: String = {
    var parts = String(#filePath).split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast(3)
    return parts.joined(separator: "/")
}()

/// The `mallgate` executable that `swift test` builds next to the test bundle.
public let mallgateBinary: String = {
    var buffer = [CChar](repeating: 0, count: 4096)
    let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
    let path = String(decoding: buffer.prefix(max(0, n)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    var parts = path.split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast()  // …/.build/debug/MallGatePackageTests.xctest
    return parts.joined(separator: "/") + "/mallgate"
}()

/// Runs a shell command line; returns its exit status and what it wrote to stdout (and stderr if `mergeStderr`).
public func shell(_ command: String, mergeStderr: Bool = false) -> (status: Int32, output: String) {
    guard let pipe = popen(mergeStderr ? "(\(command)) 2>&1" : command, "r") else { return (-1, "") }
    let bytes = readAll(pipe)
    let status = pclose(pipe)
    // pclose returns a wait(2) status: the exit code is in bits 8–15.
    return ((status >> 8) & 0xFF, String(decoding: bytes, as: UTF8.self))
}

/// Quotes a path for /bin/sh.
public func sh(_ path: String) -> String {
    var quoted = "'"
    for ch in path { if ch == "'" { quoted += "'\\''" } else { quoted.append(ch) } }
    return quoted + "'"
}

/// A file's bytes, or nil when it cannot be opened.
public func readFile(_ path: String) -> [UInt8]? {
    guard let file = fopen(path, "rb") else { return nil }
    defer { fclose(file) }
    return readAll(file)
}

/// A file's text (UTF-8), or nil when it cannot be opened.
public func readText(_ path: String) -> String? {
    readFile(path).map { String(decoding: $0, as: UTF8.self) }
}

/// Writes `text` (UTF-8) to `path`, replacing it; false when the file cannot be written.
@discardableResult
public func writeText(_ path: String, _ text: String) -> Bool {
    writeFile(path, Array(text.utf8))
}

/// Writes `bytes` to `path`, replacing it; false when the file cannot be written.
/// - Parameter mode: the file's permissions, exactly (umask ignored); nil: 0644 less the umask.
@discardableResult
public func writeFile(_ path: String, _ bytes: [UInt8], mode: mode_t? = nil) -> Bool {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode ?? 0o644)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    if let mode, fchmod(fd, mode) != 0 { return false }
    var written = 0
    while written < bytes.count {
        let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + written, $0.count - written) }
        if n < 0, errno == EINTR { continue }
        guard n > 0 else { return false }
        written += n
    }
    return true
}

private func readAll(_ file: UnsafeMutablePointer<FILE>) -> [UInt8] {
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = fread(&buffer, 1, buffer.count, file)
        if n <= 0 { break }
        bytes += buffer[0..<n]
    }
    return bytes
}

// MARK: - Waiting without holding a cooperative thread

/// Runs `body` on a thread of its own and awaits its result, leaving the cooperative pool free.
///
/// Swift Testing runs every test of the process on the cooperative pool, which has one thread
/// per core: two on the CI machine. A test that blocks there (a child process it waits for, a
/// venue it simulates) holds one of them; two such tests starve every other test in the process,
/// and the in-process collectors and HTTP clients of the sync tests then miss their timeouts.
public func offPool<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        startTestThread { continuation.resume(returning: body()) }
    }
}

/// `shell` on a thread of its own: for commands that run for seconds (simulate, train, replay).
public func shellOffPool(_ command: String, mergeStderr: Bool = false) async -> (status: Int32, output: String) {
    await offPool { shell(command, mergeStderr: mergeStderr) }
}

/// Polls `condition` every `interval` for up to `seconds`, suspended (not blocked) in between.
/// - Returns: whether the condition became true; it is checked once more at the deadline.
public func eventually(seconds: Double, every interval: Duration = .milliseconds(100), _ condition: () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
    while ContinuousClock.now < deadline {
        if condition() { return true }
        try? await Task.sleep(for: interval)
    }
    return condition()
}

/// A value that several tests share and that is slow to make (a simulated venue and a model
/// trained on it): made once, on a thread of its own, the first time a test asks for it.
///
/// A `static let` with the same initializer blocks every test that reaches it in `swift_once`,
/// each holding a cooperative thread for as long as the simulation runs.
public final class SharedFixture<Value: Sendable>: Sendable {
    private let task: Task<Value, Never>

    public init(_ make: @escaping @Sendable () -> Value) {
        task = Task { await offPool(make) }
    }

    public var value: Value {
        get async { await task.value }
    }
}

private final class ThreadBody {
    let body: () -> Void
    init(_ body: @escaping () -> Void) { self.body = body }
}

private func startTestThread(_ body: @escaping @Sendable () -> Void) {
    var thread = pthread_t()
    let context = Unmanaged.passRetained(ThreadBody(body)).toOpaque()
    let status = pthread_create(&thread, nil, { context in
        let box = Unmanaged<ThreadBody>.fromOpaque(context!).takeRetainedValue()
        box.body()
        return nil
    }, context)
    precondition(status == 0, "pthread_create returned \(status)")
    pthread_detach(thread)
}

// MARK: - Child processes

/// Starts a child process with posix_spawn and returns its pid (nil when posix_spawn fails).
///
/// The child gets an empty signal mask and default signal actions: a test runs on a worker
/// thread that blocks signals, and a child inherits that mask, so `mallgate run` would never see
/// SIGTERM. Its stdin is /dev/null, its stdout and stderr go to the files named, and it gets none
/// of the test process's other descriptors (they are marked close-on-exec first): an in-process
/// collector's listening socket held by a child keeps the port after the test stops that collector.
/// - Parameters:
///   - arguments: the executable's path, then its arguments.
///   - environment: added to (or replacing entries of) the test process's environment.
public func spawnChild(arguments: [String], environment: [String: String] = [:], stdout: String, stderr: String) -> pid_t? {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    posix_spawn_file_actions_addopen(&actions, 2, stderr, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    closeOnExecEverythingAbove2()
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var empty = sigset_t()
    sigemptyset(&empty)
    var all = sigset_t()
    sigfillset(&all)
    posix_spawnattr_setsigmask(&attributes, &empty)
    posix_spawnattr_setsigdefault(&attributes, &all)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
    var variables = currentEnvironment()
    for (key, value) in environment { variables[key] = value }
    let argv = arguments.map { strdup($0) } + [nil]
    let envp = variables.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer { for p in argv + envp { free(p) } }
    var child: pid_t = 0
    guard posix_spawn(&child, arguments[0], &actions, &attributes, argv, envp) == 0 else { return nil }
    return child
}

/// The exit code of a wait(2) status, or minus the signal that ended the process.
public func exitCode(waitStatus status: Int32) -> Int32 {
    status & 0x7F == 0 ? (status >> 8) & 0xFF : -(status & 0x7F)
}

/// The test process's environment variables.
public func currentEnvironment() -> [String: String] {
    var variables: [String: String] = [:]
    var entry = environ
    while let pointer = entry.pointee {
        let text = String(cString: pointer)
        if let equals = text.firstIndex(of: "=") {
            variables[String(text[..<equals])] = String(text[text.index(after: equals)...])
        }
        entry += 1
    }
    return variables
}

/// Marks every open descriptor above stderr close-on-exec (glibc's posix_spawn has no
/// closefrom action visible to Swift); harmless to the test process, which never hands one on.
private func closeOnExecEverythingAbove2() {
    guard let dir = opendir("/proc/self/fd") else { return }
    var fds: [Int32] = []
    while let entry = readdir(dir) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        if let fd = Int32(name), fd > 2 { fds.append(fd) }
    }
    closedir(dir)
    for fd in fds {
        let flags = fcntl(fd, F_GETFD)
        if flags >= 0 { _ = fcntl(fd, F_SETFD, flags | FD_CLOEXEC) }
    }
}

/// A plain CSV file (a header, no quoted fields), as the simulator writes its truth, read
/// without MallGate's code so tests can judge MallGate's output by it.
public struct CSVTable {
    public let header: [String]
    public let rows: [[String]]

    /// An empty table when the file cannot be read.
    public init(path: String) {
        let lines = (readText(path) ?? "").split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        header = lines.first ?? []
        rows = Array(lines.dropFirst())
    }

    /// Rows as column name → value.
    public var records: [[String: String]] {
        rows.map { row in Dictionary(uniqueKeysWithValues: zip(header, row).map { ($0, $1) }) }
    }
}
