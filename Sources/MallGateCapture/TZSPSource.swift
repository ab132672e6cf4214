internal import CPcap
internal import Glibc
public import MallGateDecode
internal import Synchronization

/// Frames forwarded over UDP with TZSP by remote sensors (MikroTik sniffer, OpenWrt's tzsp tools).
///
/// Many mall access points can stream what they hear as TZSP instead of running
/// an agent; this listens for those datagrams and hands each one unchanged to the
/// decoder, tagged ``MallGateDecode/LinkType/tzsp`` (the decoder reads the TZSP
/// header itself). Datagrams are received in batches with `recvmmsg` into buffers
/// allocated once. Datagrams from senders not in `allowedSenders` are dropped and
/// counted in ``SourceStatistics/datagramsRejected``, so a stray or hostile host
/// cannot inject frames. Timestamps are the gateway's receive time (one reading
/// per batch): TZSP carries no reliable capture time.
///
/// One port can serve many remote sensors: given a sender → sensor map, each
/// datagram is attributed to the sensor its sender address names (MikroTik
/// streams every access point to 37008 by default, so a mall of fifty sensors
/// needs no port relaying), and senders outside the map are rejected.
public final class TZSPSource: FrameSource, @unchecked Sendable {
    // @unchecked: off the reading thread only `stopRequested` (atomic) and `wakePipe.wake()` are used.

    /// Tuning for the UDP receiver; the defaults suit a handful of sensors.
    public struct Options: Sendable {
        /// How long a read waits for a datagram before returning `.timeout`, in milliseconds.
        public var pollIntervalMilliseconds: Int32 = 250
        /// Datagrams received per system call at most.
        public var batchSize: Int = 64
        /// Largest datagram kept whole; longer ones are cut and counted as cut.
        public var maximumDatagramSize: Int = 4096
        /// Kernel receive buffer asked for (SO_RCVBUF), so bursts are queued rather than dropped.
        public var receiveBufferBytes: Int32 = 4 << 20
        public init() {}
    }

    /// TZSP's registered UDP port.
    public static let defaultPort: UInt16 = 37008

    /// The sensors of this source; a single one unless built from a sender map.
    let sensorList: [SensorID]
    /// The sensor each accepted sender's datagrams belong to (an index into `sensorList`).
    let senderSensor: [IPv6Key: Int]
    /// Datagrams from every sender go to sensor 0 (a single sensor with no allow-list).
    let acceptsAnySender: Bool
    let fd: Int32
    let wakePipe: WakePipe
    let options: Options
    let stopRequested = Atomic<Bool>(false)
    var stats: [SourceStatistics]
    var frameNumber: UInt64 = 0
    var ended = false

    // Receive buffers, allocated once.
    let buffers: UnsafeMutableRawPointer
    let messages: UnsafeMutablePointer<mg_mmsghdr>
    let vectors: UnsafeMutablePointer<iovec>
    let addresses: UnsafeMutablePointer<sockaddr_storage>

    /// The UDP port actually bound (the kernel's choice when `port` was 0).
    public let boundPort: UInt16

    /// Binds a UDP socket and starts accepting TZSP datagrams.
    ///
    /// - Parameters:
    ///   - port: the UDP port (``defaultPort`` is 37008); 0 lets the kernel choose (see ``boundPort``).
    ///   - bindAddress: a local IPv4 or IPv6 address; `"::"` (the default) listens on both families.
    ///   - allowedSenders: IPv4/IPv6 addresses of the sensors; an empty list accepts any sender.
    ///   - sensor: the sensor these frames are attributed to.
    /// - Throws: ``CaptureError`` for a malformed address (`.invalidConfiguration`), a port
    ///   in use or not permitted (`.socketFailed`, `.permissionDenied`).
    public convenience init(
        port: UInt16 = TZSPSource.defaultPort, bindAddress: String = "::", allowedSenders: [String] = [],
        sensor: SensorID, options: Options = Options()
    ) throws(CaptureError) {
        try self.init(
            port: port, bindAddress: bindAddress, sensors: [sensor],
            senders: allowedSenders.map { (address: $0, sensor: sensor) }, acceptsAnySender: allowedSenders.isEmpty, options: options)
    }

    /// Binds a UDP socket that several remote sensors send to, each identified by its address.
    ///
    /// - Parameters:
    ///   - senders: each sensor's IPv4 or IPv6 address and the venue sensor it is; a sensor
    ///     may send from several addresses (IPv4 and IPv6), an address belongs to one sensor.
    ///     Datagrams from any other address are rejected and counted on the first sensor.
    /// - Throws: ``CaptureError`` as the single-sensor initializer, and `.invalidConfiguration`
    ///   for an empty map or an address given to two sensors.
    public convenience init(
        port: UInt16 = TZSPSource.defaultPort, bindAddress: String = "::",
        senders: [(address: String, sensor: SensorID)], options: Options = Options()
    ) throws(CaptureError) {
        var sensors: [SensorID] = []
        for entry in senders where !sensors.contains(entry.sensor) { sensors.append(entry.sensor) }
        guard !sensors.isEmpty else {
            throw CaptureError(
                .invalidConfiguration, sensor: nil, subject: "udp port \(port)",
                summary: "a TZSP sender map needs at least one sender", advice: "list each sensor's address and its venue sensor id")
        }
        try self.init(port: port, bindAddress: bindAddress, sensors: sensors, senders: senders, acceptsAnySender: false, options: options)
    }

    private init(
        port: UInt16, bindAddress: String, sensors: [SensorID], senders: [(address: String, sensor: SensorID)],
        acceptsAnySender: Bool, options: Options
    ) throws(CaptureError) {
        let sensor = sensors[0]
        self.sensorList = sensors
        self.acceptsAnySender = acceptsAnySender
        self.options = options
        self.stats = sensors.map { SourceStatistics(sensor: $0) }
        let subject = "udp \(bindAddress.contains(":") ? "[\(bindAddress)]" : bindAddress):\(port)"
        var keys: [IPv6Key: Int] = [:]
        for entry in senders {
            guard let key = IPv6Key(parsing: entry.address) else {
                throw CaptureError(
                    .invalidConfiguration, sensor: entry.sensor, subject: entry.address,
                    summary: "allowed TZSP sender \"\(entry.address)\" is not an IPv4 or IPv6 address",
                    advice: "write sensor addresses like 192.0.2.10 or 2001:db8::10 (no host names, no ports)")
            }
            let index = sensors.firstIndex(of: entry.sensor) ?? 0
            if let other = keys[key], other != index {
                throw CaptureError(
                    .invalidConfiguration, sensor: entry.sensor, subject: entry.address,
                    summary: "TZSP sender \(entry.address) is given to two sensors, \(sensors[other]) and \(entry.sensor)",
                    advice: "each address belongs to one sensor: correct the sender map")
            }
            keys[key] = index
        }
        senderSensor = keys
        guard options.batchSize > 0, options.maximumDatagramSize > 0 else {
            throw CaptureError(
                .invalidConfiguration, sensor: sensor, subject: subject,
                summary: "TZSP batch size and maximum datagram size must be positive",
                advice: "use the defaults (64 datagrams of 4096 bytes)")
        }

        let v6 = bindAddress.contains(":")
        let socketFD = socket(v6 ? AF_INET6 : AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard socketFD >= 0 else {
            throw Self.socketError(subject: subject, function: "socket", sensor: sensor, port: port)
        }
        var ok = false
        defer { if !ok { close(socketFD) } }
        var bound = false
        if v6 {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = port.bigEndian
            guard inet_pton(AF_INET6, bindAddress, &address.sin6_addr) == 1 else {
                throw Self.badBindAddress(bindAddress, sensor: sensor)
            }
            // "::" listens for IPv4 senders too (as ::ffff:a.b.c.d).
            var v6only: Int32 = 0
            _ = setsockopt(socketFD, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &v6only, socklen_t(MemoryLayout<Int32>.size))
            bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(socketFD, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) == 0
                }
            }
        } else {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = port.bigEndian
            guard inet_pton(AF_INET, bindAddress, &address.sin_addr) == 1 else {
                throw Self.badBindAddress(bindAddress, sensor: sensor)
            }
            bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(socketFD, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
                }
            }
        }
        guard bound else {
            throw Self.socketError(subject: subject, function: "bind", sensor: sensor, port: port)
        }
        var size = options.receiveBufferBytes
        // SO_RCVBUFFORCE passes net.core.rmem_max when we have CAP_NET_ADMIN; otherwise the capped request.
        if setsockopt(socketFD, SOL_SOCKET, SO_RCVBUFFORCE, &size, socklen_t(MemoryLayout<Int32>.size)) != 0 {
            _ = setsockopt(socketFD, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        var local = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socketFD, $0, &length) }
        }
        boundPort = withUnsafeBytes(of: &local) { raw in
            // sin_port and sin6_port sit at the same offset (2), in network order.
            UInt16(bigEndian: raw.loadUnaligned(fromByteOffset: 2, as: UInt16.self))
        }
        wakePipe = try WakePipe()
        fd = socketFD

        let count = options.batchSize
        buffers = .allocate(byteCount: count * options.maximumDatagramSize, alignment: 16)
        messages = .allocate(capacity: count)
        vectors = .allocate(capacity: count)
        addresses = .allocate(capacity: count)
        ok = true
    }

    deinit {
        close(fd)
        buffers.deallocate()
        messages.deallocate()
        vectors.deallocate()
        addresses.deallocate()
    }

    public var sensors: [SensorID] { sensorList }
    public var linkTypes: [LinkType] { sensorList.map { _ in .tzsp } }

    public func read(maxFrames: Int, _ body: (borrowing FrameView) -> Void) throws(CaptureError) -> ReadOutcome {
        if ended { return .endOfInput }
        var delivered = 0
        var waited = false
        while delivered == 0 {
            if stopRequested.load(ordering: .relaxed) {
                ended = true
                for index in stats.indices { stats[index].ended = true }
                return .endOfInput
            }
            let want = min(max(maxFrames, 1), options.batchSize)
            prepare(count: want)
            let received = mg_recvmmsg(fd, messages, UInt32(want), Int32(MSG_DONTWAIT), nil)
            if received < 0 {
                let code = errno
                if code == EINTR { continue }
                guard code == EAGAIN || code == EWOULDBLOCK else {
                    throw CaptureError(
                        .readFailed, sensor: sensorList[0], subject: "udp port \(boundPort)", function: "recvmmsg",
                        code: code, systemMessage: String(cString: strerror(code)),
                        summary: "receiving TZSP datagrams failed", advice: "restart the source; if it persists, check the network stack")
                }
                if waited { return .timeout }
                waited = true
                waitReadable(fd, orWake: wakePipe.readEnd, timeoutMilliseconds: options.pollIntervalMilliseconds)
                continue
            }
            var now = timespec()
            clock_gettime(CLOCK_REALTIME, &now)
            // Seconds since 1970 × 10⁹ fits in Int64 until 2262.
            let nanos = Int64(now.tv_sec) &* 1_000_000_000 &+ Int64(now.tv_nsec)
            for index in 0..<Int(received) {
                let sensorIndex: Int
                if acceptsAnySender {
                    sensorIndex = 0
                } else if let known = senderSensor[IPv6Key(addresses + index)] {
                    sensorIndex = known
                } else {
                    stats[0].datagramsRejected &+= 1
                    continue
                }
                let length = Int(messages[index].msg_len)
                let cut = (messages[index].msg_hdr.msg_flags & Int32(MSG_TRUNC)) != 0
                let kept = min(length, options.maximumDatagramSize)
                frameNumber &+= 1
                body(FrameView(
                    bytes: UnsafeRawBufferPointer(start: buffers + index * options.maximumDatagramSize, count: kept),
                    timestampNanoseconds: nanos, originalLength: length, frameNumber: frameNumber, sourceIndex: sensorIndex))
                delivered &+= 1
                stats[sensorIndex].framesRead &+= 1
                stats[sensorIndex].bytesRead &+= UInt64(kept)
                if cut { stats[sensorIndex].framesCutBySnapshotLength &+= 1 }
            }
        }
        return .frames(delivered)
    }

    /// Points the first `count` message headers at their buffers; recvmmsg overwrites lengths and flags.
    private func prepare(count: Int) {
        for index in 0..<count {
            vectors[index] = iovec(
                iov_base: buffers + index * options.maximumDatagramSize, iov_len: options.maximumDatagramSize)
            var header = msghdr()
            header.msg_name = UnsafeMutableRawPointer(addresses + index)
            header.msg_namelen = socklen_t(MemoryLayout<sockaddr_storage>.size)
            header.msg_iov = vectors + index
            header.msg_iovlen = 1
            messages[index] = mg_mmsghdr(msg_hdr: header, msg_len: 0)
        }
    }

    public func statistics() -> [SourceStatistics] { stats }

    public func interrupt() {
        stopRequested.store(true, ordering: .relaxed)
        wakePipe.wake()
    }

    static func badBindAddress(_ address: String, sensor: SensorID) -> CaptureError {
        CaptureError(
            .invalidConfiguration, sensor: sensor, subject: address,
            summary: "TZSP bind address \"\(address)\" is not an IPv4 or IPv6 address",
            advice: "use 0.0.0.0 or :: for all addresses, or one of this host's addresses")
    }

    static func socketError(subject: String, function: String, sensor: SensorID, port: UInt16) -> CaptureError {
        let code = errno
        let message = String(cString: strerror(code))
        switch code {
        case EADDRINUSE:
            return CaptureError(
                .socketFailed, sensor: sensor, subject: subject, function: function, code: code, systemMessage: message,
                summary: "UDP port \(port) is already in use",
                advice: "stop the other listener (see `ss -ulpn 'sport = :\(port)'`) or configure another port")
        case EACCES:
            return CaptureError(
                .permissionDenied, sensor: sensor, subject: subject, function: function, code: code, systemMessage: message,
                summary: "binding UDP port \(port) is not permitted",
                advice: "ports below 1024 need CAP_NET_BIND_SERVICE; use TZSP's 37008 or grant it with AmbientCapabilities=")
        case EADDRNOTAVAIL:
            return CaptureError(
                .socketFailed, sensor: sensor, subject: subject, function: function, code: code, systemMessage: message,
                summary: "the bind address is not one of this host's addresses",
                advice: "check `ip addr`, or bind to :: to listen on every address")
        default:
            return CaptureError(
                .socketFailed, sensor: sensor, subject: subject, function: function, code: code, systemMessage: message,
                summary: "cannot open the TZSP UDP socket", advice: "check the bind address and port")
        }
    }
}

/// A 16-byte IPv6 address (IPv4 mapped as ::ffff:a.b.c.d), comparable in two words.
struct IPv6Key: Hashable {
    let high: UInt64
    let low: UInt64

    init?(parsing text: String) {
        var v6 = in6_addr()
        var v4 = in_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            self.init(v6)
        } else if inet_pton(AF_INET, text, &v4) == 1 {
            self.init(mappedIPv4: v4)
        } else {
            return nil
        }
    }

    init(_ address: in6_addr) {
        (high, low) = withUnsafeBytes(of: address) {
            ($0.loadUnaligned(fromByteOffset: 0, as: UInt64.self), $0.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        }
    }

    init(mappedIPv4 address: in_addr) {
        // On the stack: this runs per datagram on IPv4-only sockets.
        var words: (UInt64, UInt64) = (0, 0)
        withUnsafeMutableBytes(of: &words) { bytes in
            bytes[10] = 0xFF
            bytes[11] = 0xFF
            withUnsafeBytes(of: address) { for i in 0..<4 { bytes[12 + i] = $0[i] } }
        }
        (high, low) = words
    }

    /// The sender of a received datagram.
    init(_ storage: UnsafeMutablePointer<sockaddr_storage>) {
        if Int32(storage.pointee.ss_family) == AF_INET6 {
            let address = UnsafeRawPointer(storage).loadUnaligned(as: sockaddr_in6.self)
            self.init(address.sin6_addr)
        } else {
            let address = UnsafeRawPointer(storage).loadUnaligned(as: sockaddr_in.self)
            self.init(mappedIPv4: address.sin_addr)
        }
    }
}
