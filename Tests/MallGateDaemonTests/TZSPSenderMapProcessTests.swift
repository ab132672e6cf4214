import Glibc
import MallGateDaemon
import MallGateTestSupport
import Testing

/// `mallgate run` with one TZSP port for several remote sensors: each datagram is counted for
/// the sensor its sender address names, strangers for none. Datagrams are sent from three
/// loopback addresses (all of 127/8 is local on Linux), so no network setup is needed.
struct TZSPSenderMapProcessTests {
    /// A TZSP datagram (version 1, received, encapsulation 18 = bare 802.11, END tag) holding a
    /// probe request from a locally administered MAC, as a MikroTik sniffer sends it.
    static let datagram: [UInt8] = [0x01, 0x00, 0x00, 0x12, 0x01, 0x40, 0x00, 0x00, 0x00]
        + [UInt8](repeating: 0xFF, count: 6) + [0x02, 0x00, 0x00, 0x00, 0x00, 0x07] + [UInt8](repeating: 0xFF, count: 6)
        + [0x10, 0x00] + [0x00, 0x00]  // sequence control; an empty SSID element

    /// A UDP port on 127.0.0.1 nobody uses right now (bound, read back, closed).
    static func freeUDPPort() -> UInt16 {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return UInt16(bigEndian: address.sin_port)
    }

    /// Sends `count` datagrams to 127.0.0.1:`port` from the loopback address `from`.
    static func send(_ count: Int, from: String, to port: UInt16) {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(fd) }
        var local = sockaddr_in()
        local.sin_family = sa_family_t(AF_INET)
        local.sin_addr.s_addr = inet_addr(from)
        _ = withUnsafePointer(to: &local) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        var to = sockaddr_in()
        to.sin_family = sa_family_t(AF_INET)
        to.sin_port = port.bigEndian
        to.sin_addr.s_addr = inet_addr("127.0.0.1")
        for _ in 0..<count {
            _ = withUnsafePointer(to: &to) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(fd, datagram, datagram.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        }
    }

    @Test func eachSenderAddressCountsForItsOwnSensor() async throws {
        let f = try #require(await DaemonProcessTests.fixture.value, "the simulate/train fixture failed")
        // Two of the venue's sensors, named by the simulator's per-sensor capture files.
        let listing = shell("ls \(sh(f.captures)) | sed -n 's/\\.pcap$//p'").output.split(separator: "\n").map(String.init)
        try #require(listing.count >= 2, "\(listing)")
        let (first, second) = (listing[0], listing[1])
        let port = Self.freeUDPPort()
        let sources = """
            [[sources]]
            kind = "tzsp"
            port = \(port)
            bind = "127.0.0.1"
            [sources.senders]
            "127.0.0.2" = "\(first)"
            "127.0.0.3" = "\(second)"
            """
        let (config, state) = DaemonProcessTests.writeConfiguration(f, name: "tzsp-map", sources: sources, statusInterval: 0.2)
        let directory = String(config.dropLast("/gateway.toml".count))
        let daemon = try #require(BackgroundProcess(arguments: [mallgateBinary, "run", "--config", config], environment: [:], directory: directory))
        var exited = false
        defer { if !exited { kill(daemon.pid, SIGKILL); _ = daemon.waitForExitBlocking(seconds: 10) } }
        // Datagrams sent before the socket is bound are lost, so wait for the kernel to list it.
        let bound = String(port, radix: 16, uppercase: true)
        let local = "0100007F:" + String(repeating: "0", count: 4 - bound.count) + bound
        #expect(await waitFor(seconds: 60) { (readText("/proc/net/udp") ?? "").contains(local) }, "\(readText(directory + "/stderr") ?? "")")

        Self.send(5, from: "127.0.0.2", to: port)
        Self.send(3, from: "127.0.0.3", to: port)
        Self.send(4, from: "127.0.0.4", to: port)  // not in the map
        func frames(_ sensor: String) -> UInt64? { DaemonStatus.read(from: state)?.sensors.first { $0.name == sensor }?.frames }
        let counted = await waitFor(seconds: 60) { frames(first) == 5 && frames(second) == 3 }
        #expect(counted, "status: \(String(describing: DaemonStatus.read(from: state)?.sensors))")
        // The stranger's datagrams went to no sensor: every other sensor of the venue heard nothing.
        for other in listing.dropFirst(2) { #expect((frames(other) ?? 0) == 0, "\(other)") }
        kill(daemon.pid, SIGTERM)
        let status = await daemon.waitForExit(seconds: 60)
        exited = status != nil
        #expect(status == 0, "\(readText(directory + "/stderr") ?? "")")
    }
}
