internal import MallGateSystem
internal import MallGateSync
internal import Glibc
internal import MallGateLocalize
internal import MallGateVenue

extension Doctor {
    /// The venue and model load and belong together (the model was trained for this layout and these sensors).
    static func checkModel(_ configuration: DaemonConfiguration) -> DoctorCheck {
        do {
            let loaded = try PipelineModel.load(configuration)
            return DoctorCheck(
                id: "model", status: .ok,
                message: "venue \(loaded.venue.id) and model \(configuration.modelPath) belong together (\(loaded.model.features.sensorCount) sensors, \(loaded.model.classes.count) zones)")
        } catch {
            return DoctorCheck(
                id: "model", status: .fail, message: error.description,
                fix: "retrain for this venue: `mallgate train --venue \(configuration.venuePath) --captures … --output \(configuration.modelPath)`, or point `venue`/`model` in \(configuration.file) at the matching pair")
        }
    }

    /// ARPHRD types of a radio that delivers 802.11 frames with a radio header: radiotap, Prism, AVS.
    static let monitorLinkTypes: [Int: String] = [803: "radiotap", 802: "Prism", 801: "AVS"]

    /// Each `interface` source's radio exists and is in monitor mode (`/sys/class/net/NAME/type`).
    static func checkInterfaces(_ configuration: DaemonConfiguration, _ environment: DoctorEnvironment) -> [DoctorCheck] {
        configuration.sources.compactMap { source -> DoctorCheck? in
            guard case let .interface(name, _, _, monitorMode) = source.kind else { return nil }
            let id = "interface.\(name)"
            let directory = environment.netClassDirectory + "/" + name
            guard access(directory, F_OK) == 0 else {
                return DoctorCheck(
                    id: id, status: .fail, message: "\(name) (sensor \(source.sensor)) does not exist (no \(directory))",
                    fix: "plug in the radio and check its name with `ip link`; a udev rule gives it a stable name (firmware-configs/), or correct `interface` in \(configuration.file)")
            }
            let typeText = readWholeFile(directory + "/type").map { String(decoding: $0, as: UTF8.self).trimmingWhitespace() } ?? ""
            guard let type = Int(typeText) else {
                return DoctorCheck(id: id, status: .warn, message: "\(name): cannot read its link type from \(directory)/type", fix: "check the radio with `iw dev \(name) info`")
            }
            if let header = monitorLinkTypes[type] {
                return DoctorCheck(id: id, status: .ok, message: "\(name) (sensor \(source.sensor)) is in monitor mode (link type \(type), \(header))")
            }
            let fix = "start the radio's setup unit `systemctl start mallgate-radio@\(name)`, or by hand: `ip link set \(name) down && iw dev \(name) set type monitor && ip link set \(name) up`"
            if monitorMode {
                // libpcap is asked for rfmon, which switches a monitor-capable radio itself when the service has CAP_NET_ADMIN.
                return DoctorCheck(
                    id: id, status: .warn,
                    message: "\(name) (sensor \(source.sensor)) is not in monitor mode now (link type \(type)); the daemon asks libpcap to switch it (monitor_mode = true), which needs CAP_NET_ADMIN and a monitor-capable driver",
                    fix: fix)
            }
            return DoctorCheck(
                id: id, status: .fail,
                message: "\(name) (sensor \(source.sensor)) is not in monitor mode (link type \(type), expected 803 radiotap) and monitor_mode = false, so the daemon will not switch it",
                fix: fix)
        }
    }

    static let capNetAdmin = 12
    static let capNetRaw = 13

    /// The capabilities radios need: CAP_NET_RAW to capture, CAP_NET_ADMIN to set monitor mode or hop channels.
    ///
    /// Only `interface` sources open packet sockets; a stream is a FIFO and TZSP an ordinary UDP socket.
    static func checkCapabilities(_ configuration: DaemonConfiguration, _ environment: DoctorEnvironment) -> DoctorCheck {
        var needed: [(bit: Int, name: String, why: String)] = []
        var radios: [String] = []
        var managed: [String] = []
        for source in configuration.sources {
            guard case let .interface(name, channels, _, monitorMode) = source.kind else { continue }
            radios.append(name)
            if channels.count > 1 || monitorMode { managed.append(name) }
        }
        if radios.isEmpty {
            return DoctorCheck(id: "capabilities", status: .ok, message: "no radio sources: no capability needed")
        }
        needed.append((capNetRaw, "CAP_NET_RAW", "to capture on \(radios.joined(separator: ", "))"))
        if !managed.isEmpty { needed.append((capNetAdmin, "CAP_NET_ADMIN", "to set monitor mode or hop channels on \(managed.joined(separator: ", "))")) }
        guard let effective = effectiveCapabilities(environment.processStatusFile) else {
            return DoctorCheck(
                id: "capabilities", status: .warn, message: "cannot read CapEff from \(environment.processStatusFile)",
                fix: "check by hand: `grep CapEff /proc/$(pidof mallgate)/status`")
        }
        let missing = needed.filter { effective & (UInt64(1) << UInt64($0.bit)) == 0 }
        if missing.isEmpty {
            return DoctorCheck(id: "capabilities", status: .ok, message: "this process has \(needed.map(\.name).joined(separator: " and "))")
        }
        let names = missing.map(\.name).joined(separator: " ")
        return DoctorCheck(
            id: "capabilities", status: .fail,
            message: "this process lacks " + missing.map { "\($0.name) (\($0.why))" }.joined(separator: " and ") + " (CapEff \(String(effective, radix: 16)))",
            fix: "run the doctor as the service does (`systemd-run -p User=mallgate -p AmbientCapabilities=\"\(names)\" --pty mallgate doctor …`); for the service give AmbientCapabilities=\(names) in mallgate.service"
                + (missing.contains { $0.bit == capNetAdmin } ? " (CAP_NET_ADMIN through the drop-in /etc/systemd/system/mallgate.service.d/channel-control.conf)" : ""))
    }

    /// The `CapEff:` mask of a /proc status file.
    static func effectiveCapabilities(_ path: String) -> UInt64? {
        guard let bytes = readWholeFile(path) else { return nil }
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") where line.hasPrefix("CapEff:") {
            return UInt64(String(line.dropFirst("CapEff:".count)).trimmingWhitespace(), radix: 16)
        }
        return nil
    }

    /// The clock is disciplined by NTP: gateways have no RTC, and positions stamped before sync are marked as such.
    static func checkClock(_ environment: DoctorEnvironment) -> DoctorCheck {
        let fix = "enable time sync: `timedatectl set-ntp true` (systemd-timesyncd) or install and enable chrony; check with `timedatectl`"
        switch environment.clockSync() {
        case .synchronised:
            return DoctorCheck(id: "clock", status: .ok, message: "system clock synchronised (NTP)")
        case .unsynchronised(let detail):
            return DoctorCheck(
                id: "clock", status: .fail,
                message: "system clock not synchronised (\(detail)); the box may have no RTC, so positions and visits stamped before NTP sync carry a wrong time",
                fix: fix)
        case .unknown(let detail):
            return DoctorCheck(id: "clock", status: .warn, message: "cannot tell whether the clock is synchronised (\(detail))", fix: fix)
        }
    }

    /// The state directory exists, is writable, and has room for the database up to `[retention] max_database_mb`.
    static func checkDisk(_ configuration: DaemonConfiguration, _ environment: DoctorEnvironment) -> DoctorCheck {
        let directory = configuration.stateDirectory
        guard environment.isWritableDirectory(directory) else {
            return DoctorCheck(
                id: "disk", status: .fail, message: "state directory \(directory) is missing or not writable by this user",
                fix: "create it for the service user (`install -d -o mallgate -g mallgate \(directory)`, or StateDirectory=mallgate in the unit), or correct `state_directory` in \(configuration.file)")
        }
        guard let free = environment.freeBytes(directory) else {
            return DoctorCheck(id: "disk", status: .warn, message: "cannot read the free space of \(directory) (statvfs failed)", fix: "check with `df -h \(directory)`")
        }
        let cap = UInt64(configuration.retention.maxDatabaseMegabytes) << 20
        let database = fileSize(directory + "/" + databaseFileName) ?? 0
        let growth = cap > database ? cap - database : 0
        let freeText = "\(free >> 20) MiB free in \(directory)"
        if free < minimumFreeBytes {
            return DoctorCheck(
                id: "disk", status: .fail, message: "\(freeText), under the \(minimumFreeBytes >> 20) MiB the daemon needs to buffer",
                fix: "free space on that filesystem (`du -sh /var/log/* /var/cache/*`, `journalctl --vacuum-size=100M`) or move state_directory to a larger one")
        }
        if free < growth {
            return DoctorCheck(
                id: "disk", status: .warn,
                message: "\(freeText), less than the database may still grow (\(growth >> 20) MiB up to [retention] max_database_mb = \(configuration.retention.maxDatabaseMegabytes))",
                fix: "lower [retention] max_database_mb to under \(free >> 20) in \(configuration.file), or free space on that filesystem")
        }
        return DoctorCheck(id: "disk", status: .ok, message: "\(freeText) (database cap \(configuration.retention.maxDatabaseMegabytes) MiB)")
    }

    /// The local buffer's file name in the state directory.
    public static let databaseFileName = "buffer.sqlite"

    /// The local buffer, when there is one, passes SQLite's `quick_check`.
    ///
    /// Done through ``DoctorEnvironment/sqliteQuickCheck`` (the `sqlite3` CLI by default) because the
    /// store module is on another branch; at merge that closure's default can call the store's own
    /// integrity check instead, and this function stays as it is.
    static func checkDatabase(_ configuration: DaemonConfiguration, _ environment: DoctorEnvironment) -> DoctorCheck {
        let path = configuration.stateDirectory + "/" + databaseFileName
        guard let size = fileSize(path) else {
            return DoctorCheck(id: "database", status: .ok, message: "no database yet (\(path)); the daemon creates it")
        }
        let sizeText = "\(path): \(mebibytes(size)) MiB"
        guard let result = environment.sqliteQuickCheck(path) else {
            return DoctorCheck(id: "database", status: .warn, message: "\(sizeText); integrity not checked: the sqlite3 command is not installed", fix: "`apt install sqlite3`, then run the doctor again")
        }
        let answer = result.trimmingWhitespace()
        if answer == "ok" {
            return DoctorCheck(id: "database", status: .ok, message: "\(sizeText), quick_check ok")
        }
        // quick_check prefixes its findings with a `*** in database main ***` header: show the findings.
        let findings = answer.split(separator: "\n").filter { !$0.hasPrefix("***") }.prefix(3)
        let first = findings.isEmpty ? (answer.isEmpty ? "no answer from quick_check" : answer) : findings.joined(separator: "; ")
        return DoctorCheck(
            id: "database", status: .fail, message: "\(sizeText) is damaged: \(first)",
            fix: "stop the service, move \(path) aside (unsynced rows in it are lost) and start it again; it creates a new one")
    }

    /// No sensor lost frames in the kernel (or at the pipeline's edge) according to the daemon's last status file.
    static func checkKernelDrops(_ configuration: DaemonConfiguration, _ environment: DoctorEnvironment) -> DoctorCheck {
        guard let status = DaemonStatus.read(from: configuration.stateDirectory) else {
            return DoctorCheck(id: "kernel-drops", status: .ok, message: "no status file in \(configuration.stateDirectory): the daemon has not run yet, nothing to check")
        }
        let age = Int(max(0, environment.now() - status.updated))
        let kernel = status.sensors.filter { $0.kernelDropped > 0 }
        let edge = status.sensors.filter { $0.droppedAtEdge > 0 }
        if kernel.isEmpty && edge.isEmpty {
            return DoctorCheck(id: "kernel-drops", status: .ok, message: "no frames dropped by \(status.sensors.count) sensor(s) (status \(age) s old)")
        }
        var parts: [String] = []
        if !kernel.isEmpty { parts.append("dropped in the kernel: " + kernel.map { "\($0.name) \($0.kernelDropped)" }.joined(separator: ", ")) }
        if !edge.isEmpty { parts.append("dropped because the pipeline was behind: " + edge.map { "\($0.name) \($0.droppedAtEdge)" }.joined(separator: ", ")) }
        return DoctorCheck(
            id: "kernel-drops", status: .warn, message: parts.joined(separator: "; ") + " (status \(age) s old)",
            fix: "give the capture a bigger buffer, hop fewer channels (`channels` in \(configuration.file)), or use a faster board")
    }

    /// The upstream collector: its host accepts a TCP connection, its certificate verifies, and it
    /// knows this gateway's token (`GET /v1/whoami`, the same TLS settings as the uploads).
    static func checkUpstream(_ upstream: UpstreamConfiguration, _ environment: DoctorEnvironment) -> DoctorCheck {
        guard let (host, port) = hostAndPort(upstream.url) else {
            return DoctorCheck(id: "upstream", status: .fail, message: "cannot find a host in \(upstream.url)", fix: "give [upstream] url as https://HOST[:PORT]")
        }
        if let error = environment.tcpConnect(host, port, environment.upstreamTimeoutSeconds) {
            return DoctorCheck(
                id: "upstream", status: .fail, message: "\(host):\(port) unreachable: \(error)",
                fix: "check DNS (`getent hosts \(host)`), the route and the firewall for outgoing TCP \(port), and that the collector runs; data is buffered meanwhile")
        }
        switch environment.upstreamProbe(upstream, environment.upstreamTimeoutSeconds) {
        case .accepted(let gateway, let venue):
            if gateway != upstream.gatewayID {
                return DoctorCheck(
                    id: "upstream", status: .fail,
                    message: "\(upstream.baseURL) accepts the token, but it belongs to gateway \(gateway), not \(upstream.gatewayID) (every batch would be refused with 403)",
                    fix: "set [upstream] gateway_id = \"\(gateway)\", or give this gateway its own token")
            }
            let tls = upstream.baseURL.lowercased().hasPrefix("https://") ? "TLS certificate valid, " : ""
            return DoctorCheck(id: "upstream", status: .ok, message: "\(upstream.baseURL): \(tls)token accepted for gateway \(gateway) (venue \(venue))")
        case .unauthorized:
            return DoctorCheck(
                id: "upstream", status: .fail,
                message: "\(upstream.baseURL) refuses the token from \(upstream.token.origin) (HTTP 401): token wrong or revoked",
                fix: "run `mallgate-collector gateway add \(upstream.gatewayID) --venue VENUE` on the collector and put the token it prints into the \(upstream.token.origin); batches are kept until then")
        case .tlsFailure(let detail):
            return DoctorCheck(
                id: "upstream", status: .fail, message: "TLS with \(host):\(port) failed: \(detail)",
                fix: "if the collector's certificate is self-signed or from a private CA, save that CA certificate (PEM) on the gateway and set [upstream] ca_file = \"/etc/mallgate/collector-ca.pem\"; otherwise renew the collector's certificate for \(host) and check the gateway's clock (`mallgate doctor` clock check)")
        case .unreachable(let detail):
            return DoctorCheck(
                id: "upstream", status: .fail, message: "\(host):\(port) accepts TCP but the request failed: \(detail)",
                fix: "check that mallgate-collector (not another server) listens there and that no proxy in between drops HTTP; data is buffered meanwhile")
        case .unexpected(let status, let body):
            return DoctorCheck(
                id: "upstream", status: .fail, message: "\(upstream.baseURL)/v1/whoami answered HTTP \(status): \(body)",
                fix: "give [upstream] url as the collector's base URL (https://HOST[:PORT]) and update the collector to a version with /v1/whoami")
        }
    }

    /// Host and port of an http(s) URL (`[v6]` hosts unbracketed); the scheme's port when none is given.
    static func hostAndPort(_ url: String) -> (String, Int)? {
        let lower = url.lowercased()
        let defaultPort: Int
        let rest: Substring
        if lower.hasPrefix("https://") { defaultPort = 443; rest = url.dropFirst(8) } else if lower.hasPrefix("http://") { defaultPort = 80; rest = url.dropFirst(7) } else { return nil }
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }.split(separator: "@").last ?? ""
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            let host = String(authority[authority.index(after: authority.startIndex)..<close])
            let after = authority[authority.index(after: close)...]
            if after.isEmpty { return host.isEmpty ? nil : (host, defaultPort) }
            guard after.hasPrefix(":"), let port = Int(after.dropFirst()), (1...65535).contains(port) else { return nil }
            return (host, port)
        }
        let pieces = authority.split(separator: ":", omittingEmptySubsequences: false)
        guard let host = pieces.first, !host.isEmpty, pieces.count <= 2 else { return nil }
        if pieces.count == 2 {
            guard let port = Int(pieces[1]), (1...65535).contains(port) else { return nil }
            return (String(host), port)
        }
        return (String(host), defaultPort)
    }

    static func fileSize(_ path: String) -> UInt64? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        let end = lseek(fd, 0, SEEK_END)
        return end < 0 ? nil : UInt64(end)
    }

    static func mebibytes(_ bytes: UInt64) -> String {
        let tenths = (bytes * 10 + (1 << 19)) >> 20
        return "\(tenths / 10).\(tenths % 10)"
    }
}

extension DoctorEnvironment {
    /// `adjtimex(2)` with no modes: reads the kernel's NTP state without changing it (no privilege needed).
    ///
    /// Glibc's Swift module does not include <sys/timex.h>, so the function is looked up with `dlsym`
    /// and given a zeroed buffer larger than `struct timex`; only its return value is used:
    /// TIME_ERROR (5) while STA_UNSYNC is set, i.e. while no NTP daemon disciplines the clock.
    public static let adjtimexClockSync: @Sendable () -> ClockSync = {
        typealias AdjTimex = @convention(c) (UnsafeMutableRawPointer) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "adjtimex") else {
            return timedatectlClockSync()
        }
        let adjtimex = unsafeBitCast(symbol, to: AdjTimex.self)
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: 1024, alignment: 16)
        defer { buffer.deallocate() }
        buffer.initializeMemory(as: UInt8.self, repeating: 0, count: 1024)
        let state = adjtimex(buffer)
        if state < 0 { return timedatectlClockSync() }
        if state == 5 { return .unsynchronised(detail: "adjtimex: STA_UNSYNC set, no NTP daemon disciplines the clock") }
        return .synchronised
    }

    /// `timedatectl show -p NTPSynchronized --value` (systemd's view), for when adjtimex cannot be asked.
    static func timedatectlClockSync() -> ClockSync {
        guard let answer = run("timedatectl show -p NTPSynchronized --value 2>/dev/null")?.output.trimmingWhitespace() else {
            return .unknown(detail: "neither adjtimex nor timedatectl answered")
        }
        switch answer {
        case "yes": return .synchronised
        case "no": return .unsynchronised(detail: "timedatectl: NTPSynchronized=no")
        default: return .unknown(detail: "neither adjtimex nor timedatectl answered")
        }
    }

    /// Bytes available to unprivileged users on the filesystem of `path` (what the service user can use).
    public static let statvfsFreeBytes: @Sendable (String) -> UInt64? = { path in
        var s = statvfs()
        guard statvfs(path, &s) == 0 else { return nil }
        return UInt64(s.f_bavail) * UInt64(s.f_frsize)
    }

    /// A directory this process can create files in.
    public static let accessWritableDirectory: @Sendable (String) -> Bool = { path in
        guard let handle = opendir(path) else { return false }
        closedir(handle)
        return access(path, W_OK | X_OK) == 0
    }

    /// `sqlite3 -readonly FILE 'PRAGMA quick_check;'`, or nil when the sqlite3 command is not installed.
    public static let sqliteCLIQuickCheck: @Sendable (String) -> String? = { path in
        guard commandOutput("command -v sqlite3") != nil else { return nil }
        return run("sqlite3 -readonly \(shellQuoted(path)) 'PRAGMA quick_check;' 2>&1")?.output
    }

    /// Resolves `host` and tries each address with a non-blocking connect bounded by the timeout.
    public static let posixTCPConnect: @Sendable (String, Int, Double) -> String? = { host, port, timeout in
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_family = AF_UNSPEC
        var list: UnsafeMutablePointer<addrinfo>?
        let resolved = getaddrinfo(host, String(port), &hints, &list)
        guard resolved == 0, let first = list else {
            return "cannot resolve \(host) (\(String(cString: gai_strerror(resolved))))"
        }
        defer { freeaddrinfo(list) }
        var lastError = "no address"
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let current = entry {
            entry = current.pointee.ai_next
            let fd = socket(current.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else { lastError = String(cString: strerror(errno)); continue }
            defer { close(fd) }
            if connect(fd, current.pointee.ai_addr, current.pointee.ai_addrlen) == 0 { return nil }
            guard errno == EINPROGRESS else { lastError = String(cString: strerror(errno)); continue }
            var poller = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            let ready = poll(&poller, 1, Int32(timeout * 1000))
            if ready == 0 { lastError = "no answer within \(Int(timeout)) s"; continue }
            var socketError: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &socketError, &length)
            if ready > 0 && socketError == 0 { return nil }
            lastError = String(cString: strerror(socketError != 0 ? socketError : errno))
        }
        return lastError
    }
}
