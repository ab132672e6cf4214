public import Glibc

/// A bound, non-blocking AF_UNIX datagram socket: the tests' stand-in for systemd's notify socket.
///
/// It lives here rather than beside the daemon's tests because this target sees Glibc alone: in a
/// target that also sees swift-nio, C structs such as `timespec` may be attributed to NIO's
/// CNIOLinux module and their members refused (MemberImportVisibility), depending on build order.
public final class DatagramReceiver {
    public let fd: Int32
    public let path: String?

    public init?(path: String) {
        self.path = path
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0, Self.bind(fd, Array(path.utf8) + [0]), enableArrivalTimes() else { return nil }
    }

    public init?(abstractName: String) {
        path = nil
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0, Self.bind(fd, [0] + Array(abstractName.utf8)), enableArrivalTimes() else { return nil }
    }

    deinit {
        close(fd)
        if let path { unlink(path) }
    }

    private static func bind(_ fd: Int32, _ name: [UInt8]) -> Bool {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in for (i, b) in name.enumerated() { raw[i] = b } }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + name.count)
        return withUnsafePointer(to: &address) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, length) == 0 }
        }
    }

    /// Every datagram queued now, oldest first.
    public func receiveAll() -> [String] { receiveAllWithArrival().map(\.message) }

    /// Every datagram queued now, oldest first, with the time the kernel queued it (seconds
    /// of CLOCK_REALTIME, as ``wallSeconds()``), not the time this reader got round to it: a test that times
    /// messages must not depend on how busy the machine running it is.
    public func receiveAllWithArrival() -> [(message: String, arrival: Double)] {
        var received: [(message: String, arrival: Double)] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        var control = [UInt8](repeating: 0, count: 64)
        while true {
            let (n, arrival) = buffer.withUnsafeMutableBytes { data in
                control.withUnsafeMutableBytes { control in
                    var vector = iovec(iov_base: data.baseAddress, iov_len: data.count)
                    return withUnsafeMutablePointer(to: &vector) { vector in
                        var header = msghdr()
                        header.msg_iov = vector
                        header.msg_iovlen = 1
                        header.msg_control = control.baseAddress
                        header.msg_controllen = control.count
                        let n = recvmsg(fd, &header, 0)
                        return (n, n > 0 ? Self.arrival(control, length: Int(header.msg_controllen)) : nil)
                    }
                }
            }
            if n <= 0 { break }
            received.append((String(decoding: buffer[0..<n], as: UTF8.self), arrival ?? .nan))
        }
        return received
    }

    /// SCM_TIMESTAMPNS (35 on x86_64 and arm64; glibc's macro does not import into Swift):
    /// a timespec after the control message's header.
    private static let timestampNanoseconds: Int32 = 35

    private func enableArrivalTimes() -> Bool {
        var on: Int32 = 1
        return setsockopt(fd, SOL_SOCKET, Self.timestampNanoseconds, &on, socklen_t(MemoryLayout<Int32>.size)) == 0
    }

    private static func arrival(_ control: UnsafeMutableRawBufferPointer, length: Int) -> Double? {
        let headerSize = MemoryLayout<cmsghdr>.size
        guard length >= headerSize + MemoryLayout<timespec>.size else { return nil }
        let header = control.loadUnaligned(as: cmsghdr.self)
        guard header.cmsg_level == SOL_SOCKET, header.cmsg_type == timestampNanoseconds else { return nil }
        let time = control.loadUnaligned(fromByteOffset: headerSize, as: timespec.self)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}

/// Seconds of CLOCK_REALTIME now: the clock of ``DatagramReceiver``'s arrival times.
public func wallSeconds() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_REALTIME, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
}
