import Glibc
import MallGateTestSupport

/// A child process (see `spawnChild`), stdout and stderr to files in `directory`.
struct BackgroundProcess {
    let pid: Int32
    let directory: String
    let name: String

    init?(arguments: [String], directory: String, name: String) {
        self.directory = directory
        self.name = name
        guard let child = spawnChild(arguments: arguments, stdout: "\(directory)/\(name).stdout", stderr: "\(directory)/\(name).stderr") else {
            return nil
        }
        pid = child
    }

    var stderr: String { readText("\(directory)/\(name).stderr") ?? "" }

    /// Sends `signal`, waits up to `seconds` for the exit (then SIGKILL); the exit status or -signal.
    @discardableResult
    func stop(_ signal: Int32 = SIGTERM, seconds: Double = 20) -> Int32? {
        kill(pid, signal)
        var status: Int32 = 0
        let reaped = waitFor(seconds: seconds) { waitpid(pid, &status, WNOHANG) == pid }
        if !reaped {
            kill(pid, SIGKILL)
            _ = waitpid(pid, &status, 0)
            return nil
        }
        return exitCode(waitStatus: status)
    }

    var isRunning: Bool {
        var status: Int32 = 0
        return waitpid(pid, &status, WNOHANG) == 0
    }
}

/// Polls `condition` every 100 ms for up to `seconds`.
func waitFor(seconds: Double, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = now() + seconds
    while now() < deadline {
        if try condition() { return true }
        usleep(100_000)
    }
    return try condition()
}

/// Wall-clock time, seconds since the epoch.
func now() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_REALTIME, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
}

/// A TCP port nobody listens on now: the kernel picks it (bind to port 0), we release it.
func freePort() -> Int? {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
    }
    return bound ? Int(UInt16(bigEndian: address.sin_port)) : nil
}

/// An HTTP exchange with curl (the reference client): status and body.
struct HTTP {
    let base: String

    func get(_ path: String, cookie: String? = nil, maxSeconds: Double = 10) -> (status: Int, body: String) {
        request(["-X", "GET"], path, cookie: cookie, maxSeconds: maxSeconds)
    }

    func post(_ path: String, json: String, cookie: String? = nil) -> (status: Int, body: String) {
        request(["-X", "POST", "-H", "Content-Type: application/json", "--data-binary", json], path, cookie: cookie, maxSeconds: 10)
    }

    /// What an open stream (SSE) sends in `seconds`.
    func stream(_ path: String, cookie: String?, seconds: Double) -> String {
        let cookieArgument = cookie.map { "-H \(sh("Cookie: " + $0))" } ?? ""
        return shell("curl -s -N --max-time \(seconds) \(cookieArgument) \(sh(base + path)) 2>/dev/null").output
    }

    private func request(_ arguments: [String], _ path: String, cookie: String?, maxSeconds: Double) -> (status: Int, body: String) {
        let body = makeTemporaryDirectory("http") + "/body"
        var all = ["curl", "-s", "-o", body, "-w", "%{http_code}", "--max-time", String(maxSeconds)] + arguments
        if let cookie { all += ["-H", "Cookie: " + cookie] }
        all.append(base + path)
        let result = shell(all.map(sh).joined(separator: " "))
        return (Int(result.output.trimmingSpace()) ?? 0, readText(body) ?? "")
    }
}
