import CPcap
import Glibc
import MallGateDecode
import Testing
@testable import MallGateCapture

/// Live capture needs a radio, which this machine lacks; these tests open real interfaces
/// to get libpcap's real refusals, and inject failures for what root cannot reproduce.
struct LiveInterfaceSourceTests {
    @Test func nonexistentInterfaceIsNamed() {
        #expect {
            _ = try LiveInterfaceSource(interface: "mgnosuch0", sensor: "radio-1")
        } throws: { error in
            let error = error as! CaptureError
            // With monitor mode asked (the default) libpcap itself says RFMON_NOTSUP here.
            return error.kind == .noSuchDevice && error.function == "pcap_activate"
                && error.code == PCAP_ERROR_NO_SUCH_DEVICE && error.description.contains("mgnosuch0")
                && error.description.contains("ip link")
        }
    }

    @Test func nonexistentInterfaceWithoutMonitorModeIsNamed() {
        var options = LiveCaptureOptions()
        options.monitorMode = false
        #expect {
            _ = try LiveInterfaceSource(interface: "mgnosuch1", sensor: "radio-1", options: options)
        } throws: { error in
            (error as! CaptureError).kind == .noSuchDevice
        }
    }

    @Test func monitorModeOnLoopbackIsRefused() {
        #expect {
            _ = try LiveInterfaceSource(interface: "lo", sensor: "radio-1")
        } throws: { error in
            let error = error as! CaptureError
            return error.kind == .monitorModeUnsupported && error.code == PCAP_ERROR_RFMON_NOTSUP
                && error.description.contains("lo cannot be put into monitor mode")
        }
    }

    @Test func ethernetInterfaceIsRefusedWithItsDLT() {
        var options = LiveCaptureOptions()
        options.monitorMode = false
        options.filter = .none
        #expect {
            _ = try LiveInterfaceSource(interface: "lo", sensor: "radio-1", options: options)
        } throws: { error in
            let error = error as! CaptureError
            // `tcpdump -i lo` reports "link-type EN10MB (Ethernet)": DLT 1.
            return error.kind == .unsupportedLinkType && error.description.contains("interface lo carries link type DLT 1,")
        }
    }

    @Test func interfaceThatIsDownIsNamed() throws {
        // A fresh network namespace has only `lo`, and it is down.
        let namespace = "mgcap\(getpid())"
        #expect(run(["ip", "netns", "add", namespace]) == 0)
        defer { run(["ip", "netns", "delete", namespace]) }
        var options = LiveCaptureOptions()
        options.monitorMode = false
        let call = BlockingCall { () -> CaptureError? in
            // setns() changes only this thread's namespace; the thread ends right after.
            guard enterNetworkNamespace(namespace) else { return nil }
            do throws(CaptureError) {
                _ = try LiveInterfaceSource(interface: "lo", sensor: "radio-1", options: options)
                return nil
            } catch {
                return error
            }
        }
        let error = try #require(call.join())
        #expect(error.kind == .interfaceNotUp)
        #expect(error.code == PCAP_ERROR_IFACE_NOT_UP)
        #expect(error.description.contains("ip link set lo up"))
    }

    @Test func permissionDeniedNamesTheCapabilities() {
        var api = PcapAPI.system
        api.activate = { _ in PCAP_ERROR_PERM_DENIED }
        #expect {
            _ = try LiveInterfaceSource(interface: "lo", sensor: "radio-1", options: LiveCaptureOptions(), api: api)
        } throws: { error in
            let error = error as! CaptureError
            return error.kind == .permissionDenied && error.function == "pcap_activate"
                && error.code == PCAP_ERROR_PERM_DENIED && error.sensor == "radio-1"
                && error.description.contains("CAP_NET_RAW") && error.description.contains("CAP_NET_ADMIN")
                && error.description.contains("AmbientCapabilities=")
        }
    }

    @Test(.enabled(if: otherUsersCanRunThisBinary(), "the test binary sits in a directory `nobody` cannot enter (e.g. a 0700 temp dir); the injected-failure test above still covers the message"))
    func unprivilegedUserIsToldWhichCapabilitiesToGrant() throws {
        // Re-run this test binary as `nobody` without capabilities, running only the test below.
        var path = [CChar](repeating: 0, count: 4096)
        let length = readlink("/proc/self/exe", &path, path.count - 1)
        try #require(length > 0)
        let binary = String(decoding: path[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let status = run([
            "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all",
            "env", "MALLGATE_UNPRIVILEGED_CHILD=1", binary,
            "--testing-library", "swift-testing", "--filter", "unprivilegedChildGetsPermissionDenied",
        ])
        #expect(status == 0, "the unprivileged child test failed; run it alone to see why")
    }

    /// Runs only inside the child started above (as `nobody`): opening a real interface must be refused.
    @Test(.enabled(if: getenv("MALLGATE_UNPRIVILEGED_CHILD") != nil, "runs only as the unprivileged child"))
    func unprivilegedChildGetsPermissionDenied() {
        #expect(getuid() == 65534)
        var options = LiveCaptureOptions()
        options.monitorMode = false
        options.filter = .none
        #expect {
            _ = try LiveInterfaceSource(interface: "lo", sensor: "radio-1", options: options)
        } throws: { error in
            let error = error as! CaptureError
            return error.kind == .permissionDenied && error.code == PCAP_ERROR_PERM_DENIED
                && error.description.contains("CAP_NET_RAW")
        }
    }

    @Test func everySetterFailureIsChecked() {
        var api = PcapAPI.system
        api.setBufferSize = { _, _ in PCAP_ERROR_ACTIVATED }
        #expect {
            _ = try LiveInterfaceSource(interface: "lo", sensor: "radio-1", options: LiveCaptureOptions(), api: api)
        } throws: { error in
            let error = error as! CaptureError
            return error.function == "pcap_set_buffer_size" && error.code == PCAP_ERROR_ACTIVATED
        }
        var promisc = PcapAPI.system
        promisc.activate = { _ in PCAP_ERROR_PROMISC_PERM_DENIED }
        #expect {
            _ = try LiveInterfaceSource(interface: "lo", sensor: "radio-1", options: LiveCaptureOptions(), api: promisc)
        } throws: { error in
            (error as! CaptureError).kind == .promiscuousPermissionDenied
        }
    }

    @Test(arguments: [CaptureFilter.probeRequests, .phoneTransmissions])
    func filtersCompileForRadiotap(filter: CaptureFilter) throws {
        let handle = PcapHandle(raw: try #require(pcap_open_dead(LinkType.radiotap.rawValue, 512)), api: .system)
        var program = try LiveInterfaceSource.compile(filter: filter, on: handle, interface: "test", sensor: nil)
        #expect(program.bf_len > 0)
        pcap_freecode(&program)
    }

    @Test func filtersOnEthernetOrWithTyposAreRefused() throws {
        let ethernet = PcapHandle(raw: try #require(pcap_open_dead(1, 512)), api: .system)
        #expect {
            _ = try LiveInterfaceSource.compile(filter: .probeRequests, on: ethernet, interface: "eth0", sensor: "s")
        } throws: { error in
            let error = error as! CaptureError
            return error.kind == .invalidFilter && error.function == "pcap_compile" && error.description.contains("eth0")
        }
        let radiotap = PcapHandle(raw: try #require(pcap_open_dead(127, 512)), api: .system)
        #expect {
            _ = try LiveInterfaceSource.compile(filter: .custom("type mgt subtype probe-requests"), on: radiotap, interface: "mon0", sensor: "s")
        } throws: { error in
            (error as! CaptureError).systemMessage?.isEmpty == false
        }
    }

    @Test(needsCaptures) func filtersSelectTheFramesTsharkSelects() throws {
        // Run the compiled filters over a real mixed capture and count what passes.
        // tshark -r zamani_polimi/4.pcap -Y "wlan.fc.type_subtype == 4" | wc -l → 33
        // tshark -r zamani_polimi/4.pcap -Y "wlan.fc.type_subtype == 4 || wlan.fc.type_subtype == 0 ||
        //   wlan.fc.type_subtype == 2 || wlan.fc.type_subtype == 0x0b || (wlan.fc.type == 2 && wlan.fc.ds == 1)" | wc -l → 462
        for (filter, expected) in [(CaptureFilter.probeRequests, 33), (.phoneTransmissions, 462)] {
            let dead = try #require(pcap_open_dead(LinkType.radiotap.rawValue, 65535))
            defer { pcap_close(dead) }
            var program = bpf_program()
            #expect(pcap_compile(dead, &program, filter.expression, 1, PCAP_NETMASK_UNKNOWN) == 0)
            defer { pcap_freecode(&program) }
            let source = try PcapFileSource(path: capture("zamani_polimi/4.pcap"), sensor: "z4")
            var passed = 0
            while try source.read(maxFrames: 100, { frame in
                var header = pcap_pkthdr()
                header.caplen = UInt32(frame.bytes.count)
                header.len = UInt32(frame.originalLength)
                let base = frame.bytes.baseAddress!.assumingMemoryBound(to: UInt8.self)
                if pcap_offline_filter(&program, &header, base) != 0 { passed += 1 }
            }) != .endOfInput {}
            #expect(passed == expected, "\(filter)")
        }
    }

    @Test func defaultsAreTheDocumentedOnes() {
        let options = LiveCaptureOptions()
        #expect(options.snapshotLength == 512)
        #expect(options.bufferSize == 8 * 1024 * 1024)
        #expect(options.filter == .probeRequests)
    }
}

/// Moves the calling thread into the named network namespace (/var/run/netns/NAME).
func enterNetworkNamespace(_ name: String) -> Bool {
    // setns() is declared only under _GNU_SOURCE; look it up instead.
    typealias SetNS = @convention(c) (Int32, Int32) -> Int32
    guard let symbol = dlsym(nil, "setns") else { return false }
    let setns = unsafeBitCast(symbol, to: SetNS.self)
    let fd = open("/var/run/netns/\(name)", O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    return setns(fd, 0x4000_0000 /* CLONE_NEWNET */) == 0
}

/// Whether `nobody` could execute this test binary: every directory on its path must be
/// searchable by others (a clone inside a `mktemp -d` directory, mode 0700, is not).
func otherUsersCanRunThisBinary() -> Bool {
    var path = [CChar](repeating: 0, count: 4096)
    let length = readlink("/proc/self/exe", &path, path.count - 1)
    guard length > 0 else { return false }
    let binary = String(decoding: path[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    var prefix = ""
    for component in binary.split(separator: "/").dropLast() {
        prefix += "/" + component
        var info = stat()
        guard stat(prefix, &info) == 0, info.st_mode & S_IXOTH != 0 else { return false }
    }
    return true
}
