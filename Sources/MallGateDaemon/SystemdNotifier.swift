internal import Glibc

/// A minimal sd_notify client: datagrams like `READY=1` to the socket in `$NOTIFY_SOCKET`.
///
/// systemd's `Type=notify` waits for READY=1 and `WatchdogSec=` restarts a service whose
/// WATCHDOG=1 pings stop. The protocol is one AF_UNIX datagram of `KEY=VALUE` lines
/// (sd_notify(3)); a path starting with `@` names an abstract socket (leading NUL byte).
/// Hand-written because it is twenty lines and libsystemd is not on every gateway.
public struct SystemdNotifier: Sendable {
    /// The socket path, or nil when not started by systemd (then every send is a no-op).
    public let socketPath: String?
    /// How often systemd wants a WATCHDOG=1 ping (half of `WATCHDOG_USEC`), or nil without a watchdog.
    public let watchdogIntervalNanoseconds: Int64?

    /// Reads `NOTIFY_SOCKET` and `WATCHDOG_USEC` (honouring `WATCHDOG_PID`) from `environment`.
    public init(environment: [String: String] = ProcessEnvironment.current) {
        let path = environment["NOTIFY_SOCKET"].flatMap { $0.isEmpty ? nil : $0 }
        socketPath = path
        var interval: Int64?
        if let text = environment["WATCHDOG_USEC"], let usec = Int64(text), usec > 0 {
            let pid = environment["WATCHDOG_PID"].flatMap { Int32($0) }
            if pid == nil || pid == getpid() { interval = usec * 1000 / 2 }
        }
        watchdogIntervalNanoseconds = path == nil ? nil : interval
    }

    public init(socketPath: String?, watchdogIntervalNanoseconds: Int64? = nil) {
        self.socketPath = socketPath
        self.watchdogIntervalNanoseconds = watchdogIntervalNanoseconds
    }

    /// Sends one message (`READY=1`, `WATCHDOG=1`, `STATUS=…`, `STOPPING=1`, `RELOADING=1`).
    /// - Returns: false when there is no socket or the send failed (systemd gone: nothing to do about it).
    @discardableResult
    public func send(_ message: String) -> Bool {
        guard let socketPath, socketPath.utf8.count < 108, socketPath.hasPrefix("/") || socketPath.hasPrefix("@") else { return false }
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var pathBytes = Array(socketPath.utf8)
        if pathBytes.first == UInt8(ascii: "@") { pathBytes[0] = 0 }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, b) in pathBytes.enumerated() { raw[i] = b }
        }
        // An abstract name's length is exact (no terminating NUL counts); a path's includes the NUL.
        let length = MemoryLayout<sa_family_t>.size + pathBytes.count + (pathBytes.first == 0 ? 0 : 1)
        let bytes = Array(message.utf8)
        let sent = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                // Never wait: a manager that stopped reading must not stall the pipeline (the
                // watchdog then fires, which is the point); the message is dropped instead.
                bytes.withUnsafeBytes { sendto(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT), sa, socklen_t(length)) }
            }
        }
        return sent == bytes.count
    }
}
