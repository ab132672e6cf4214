internal import CPcap
internal import Glibc
public import MallGateDecode
internal import Synchronization

/// Frames from a local Wi-Fi interface in monitor mode, through libpcap.
///
/// The gateway's own radios are its main sensors. Opening follows libpcap's
/// create → configure → activate sequence (pcap(3PCAP)) so every setting can be
/// checked and every refusal explained: a missing interface, missing capabilities
/// (CAP_NET_RAW, CAP_NET_ADMIN), a driver without monitor mode, an interface that is down.
/// The handle is non-blocking and polled together with a wake-up pipe, so
/// ``interrupt()`` ends a waiting read at once.
public final class LiveInterfaceSource: FrameSource, @unchecked Sendable {
    // @unchecked: off the reading thread only `stopRequested` (atomic), `wakePipe.wake()`
    // and pcap_breakloop (thread-safe in libpcap ≥ 1.10) are used.
    let handle: PcapHandle
    let interface: String
    let sensor: SensorID
    let linkType: LinkType
    let options: LiveCaptureOptions
    let selectableFD: Int32
    let wakePipe: WakePipe
    /// 1 when timestamps arrive in nanoseconds, 1000 when libpcap fell back to microseconds.
    let subsecondScale: Int64
    let stopRequested = Atomic<Bool>(false)
    var stats: SourceStatistics
    var frameNumber: UInt64 = 0
    var ended = false

    /// libpcap warnings from activation (PCAP_WARNING_*), kept for the log: capture works despite them.
    public let warnings: [String]

    /// Opens and activates `interface` as the radio of `sensor`.
    ///
    /// - Throws: ``CaptureError`` naming the interface, the libpcap call and what to
    ///   do: `.noSuchDevice`, `.permissionDenied` (CAP_NET_RAW/CAP_NET_ADMIN),
    ///   `.monitorModeUnsupported`, `.interfaceNotUp`, `.unsupportedLinkType`, `.invalidFilter`.
    public convenience init(interface: String, sensor: SensorID, options: LiveCaptureOptions = LiveCaptureOptions()) throws(CaptureError) {
        try self.init(interface: interface, sensor: sensor, options: options, api: .system)
    }

    init(interface: String, sensor: SensorID, options: LiveCaptureOptions, api: PcapAPI) throws(CaptureError) {
        self.interface = interface
        self.sensor = sensor
        self.options = options
        self.stats = SourceStatistics(sensor: sensor)
        let (created, createMessage) = withErrorBuffer { api.create(interface, $0) }
        guard let created else {
            throw CaptureError(
                .libpcap, sensor: sensor, subject: interface, function: "pcap_create", systemMessage: createMessage,
                summary: "libpcap cannot create a capture handle for \(interface)",
                advice: "check the interface name with `ip link`")
        }
        let handle = PcapHandle(raw: created, api: api)
        self.handle = handle
        let raw = handle.raw

        func check(_ function: String, _ code: Int32) throws(CaptureError) {
            guard code == 0 else {
                throw Self.pcapError(function: function, code: code, message: handle.lastError, interface: interface, sensor: sensor)
            }
        }
        try check("pcap_set_snaplen", api.setSnaplen(raw, options.snapshotLength))
        try check("pcap_set_immediate_mode", api.setImmediateMode(raw, 1))
        try check("pcap_set_buffer_size", api.setBufferSize(raw, options.bufferSize))
        if options.monitorMode {
            try check("pcap_set_rfmon", api.setRfmon(raw, 1))
        }
        try check("pcap_set_timeout", api.setTimeout(raw, options.pollIntervalMilliseconds))
        let precision = api.setTstampPrecision(raw, Int32(PCAP_TSTAMP_PRECISION_NANO))
        subsecondScale = precision == 0 ? 1 : 1000

        let activated = api.activate(raw)
        var warnings: [String] = []
        if activated < 0 {
            // libpcap checks monitor-mode support before existence, so a typo would read
            // "cannot do monitor mode"; name the real problem.
            if if_nametoindex(interface) == 0 {
                throw Self.pcapError(function: "pcap_activate", code: PCAP_ERROR_NO_SUCH_DEVICE, message: handle.lastError, interface: interface, sensor: sensor)
            }
            throw Self.pcapError(function: "pcap_activate", code: activated, message: handle.lastError, interface: interface, sensor: sensor)
        } else if activated > 0 {
            warnings.append("pcap_activate warning \(activated) on \(interface): \(handle.lastError)")
        }

        if options.preferRadiotap && api.datalink(raw) != LinkType.radiotap.rawValue {
            let offered = api.listDatalinks(raw)
            if offered.links.contains(LinkType.radiotap.rawValue) {
                try check("pcap_set_datalink", api.setDatalink(raw, LinkType.radiotap.rawValue))
            }
        }
        linkType = LinkType(rawValue: api.datalink(raw))
        try requireSupported(linkType, subject: interface, sensor: sensor, what: "interface \(interface)", live: true)

        if !options.filter.expression.isEmpty {
            try Self.install(filter: options.filter, on: handle, interface: interface, sensor: sensor)
        }
        let (nonblock, nonblockMessage) = withErrorBuffer { api.setNonblock(raw, 1, $0) }
        guard nonblock == 0 else {
            throw Self.pcapError(function: "pcap_setnonblock", code: nonblock, message: nonblockMessage, interface: interface, sensor: sensor)
        }
        selectableFD = api.selectableFD(raw)
        guard selectableFD >= 0 else {
            throw CaptureError(
                .libpcap, sensor: sensor, subject: interface, function: "pcap_get_selectable_fd", code: selectableFD,
                summary: "\(interface) offers no descriptor to wait on", advice: "use a Linux network interface")
        }
        wakePipe = try WakePipe()
        self.warnings = warnings
    }

    public var sensors: [SensorID] { [sensor] }
    public var linkTypes: [LinkType] { [linkType] }

    public func read(maxFrames: Int, _ body: (borrowing FrameView) -> Void) throws(CaptureError) -> ReadOutcome {
        if ended { return .endOfInput }
        let raw = handle.raw
        var header: UnsafeMutablePointer<pcap_pkthdr>? = nil
        var data: UnsafePointer<UInt8>? = nil
        var count = 0
        var waited = false
        // A batch of at least one, so `.endOfInput` is never returned for a zero-sized request.
        let limit = max(maxFrames, 1)
        while count < limit {
            if stopRequested.load(ordering: .relaxed) {
                ended = true
                stats.ended = true
                break
            }
            let status = pcap_next_ex(raw, &header, &data)
            if status == 1, let record = header {
                frameNumber &+= 1
                let h = record.pointee
                let captured = Int(h.caplen)
                // tv_sec × 10⁹ fits in Int64 until 2262; tv_usec is below 10⁹.
                let nanos = Int64(h.ts.tv_sec) &* 1_000_000_000 &+ Int64(h.ts.tv_usec) &* subsecondScale
                body(FrameView(
                    bytes: UnsafeRawBufferPointer(start: data, count: captured), timestampNanoseconds: nanos,
                    originalLength: Int(h.len), frameNumber: frameNumber, sourceIndex: 0))
                count &+= 1
                stats.framesRead &+= 1
                stats.bytesRead &+= UInt64(truncatingIfNeeded: captured)
                if h.caplen < h.len { stats.framesCutBySnapshotLength &+= 1 }
            } else if status == 0 {
                // Non-blocking and nothing queued.
                if count > 0 { break }
                if waited { return .timeout }
                waited = true
                waitReadable(selectableFD, orWake: wakePipe.readEnd, timeoutMilliseconds: options.pollIntervalMilliseconds)
            } else if status == PCAP_ERROR_BREAK {
                ended = true
                stats.ended = true
                break
            } else {
                let message = handle.lastError
                throw CaptureError(
                    .readFailed, sensor: sensor, subject: interface, function: "pcap_next_ex", code: status,
                    systemMessage: message, frameNumber: frameNumber + 1,
                    summary: "capturing on \(interface) failed",
                    advice: "the interface may have gone away (unplugged USB adapter, driver reset); check `ip link` and restart the source")
            }
        }
        return count > 0 ? .frames(count) : .endOfInput
    }

    public func statistics() -> [SourceStatistics] {
        var result = stats
        var kernel = pcap_stat()
        if handle.api.stats(handle.raw, &kernel) == 0 {
            result.kernelReceived = UInt64(kernel.ps_recv)
            result.kernelDropped = UInt64(kernel.ps_drop)
            result.interfaceDropped = UInt64(kernel.ps_ifdrop)
        }
        return [result]
    }

    public func interrupt() {
        stopRequested.store(true, ordering: .relaxed)
        handle.breakLoop()
        wakePipe.wake()
    }

    /// Compiles `filter` for the handle's link type; the caller frees it with `pcap_freecode`.
    static func compile(filter: CaptureFilter, on handle: PcapHandle, interface: String, sensor: SensorID?) throws(CaptureError) -> bpf_program {
        var program = bpf_program()
        let compiled = handle.api.compile(handle.raw, &program, filter.expression)
        guard compiled == 0 else {
            throw CaptureError(
                .invalidFilter, sensor: sensor, subject: interface, function: "pcap_compile", code: compiled,
                systemMessage: handle.lastError,
                summary: "the capture filter \"\(filter.expression)\" does not compile for \(interface)",
                advice: "check the expression against pcap-filter(7); 802.11 keywords (type mgt, subtype probe-req) need an 802.11 link type")
        }
        return program
    }

    /// Compiles and installs `filter` on an activated handle.
    static func install(filter: CaptureFilter, on handle: PcapHandle, interface: String, sensor: SensorID?) throws(CaptureError) {
        var program = try compile(filter: filter, on: handle, interface: interface, sensor: sensor)
        defer { pcap_freecode(&program) }
        let installed = handle.api.setFilter(handle.raw, &program)
        guard installed == 0 else {
            throw CaptureError(
                .invalidFilter, sensor: sensor, subject: interface, function: "pcap_setfilter", code: installed,
                systemMessage: handle.lastError,
                summary: "the capture filter could not be installed on \(interface)",
                advice: "the kernel refused the BPF program; try a simpler filter or none")
        }
    }

    /// Explains a libpcap status code (PCAP_ERROR_*) for `interface`.
    static func pcapError(function: String, code: Int32, message: String, interface: String, sensor: SensorID) -> CaptureError {
        let capabilities = "needs CAP_NET_RAW (and CAP_NET_ADMIN for monitor mode/channels); run as root or grant with AmbientCapabilities=CAP_NET_RAW CAP_NET_ADMIN in the systemd unit"
        func error(_ kind: CaptureError.Kind, _ summary: String, _ advice: String) -> CaptureError {
            CaptureError(kind, sensor: sensor, subject: interface, function: function, code: code,
                         systemMessage: message, summary: summary, advice: advice)
        }
        switch code {
        case PCAP_ERROR_NO_SUCH_DEVICE:
            return error(.noSuchDevice, "there is no network interface named \(interface)",
                         "list interfaces with `ip link` (or `iw dev` for radios) and fix the name; USB adapters may be renamed after a replug")
        case PCAP_ERROR_PERM_DENIED:
            return error(.permissionDenied, "capturing on \(interface) was refused: it \(capabilities)",
                         "run as root or add AmbientCapabilities=CAP_NET_RAW CAP_NET_ADMIN (and CapabilityBoundingSet=) to the unit")
        case PCAP_ERROR_RFMON_NOTSUP:
            return error(.monitorModeUnsupported, "\(interface) cannot be put into monitor mode",
                         "use a monitor-capable adapter, or create a monitor interface (`iw phy PHY interface add mon0 type monitor`) and set monitorMode to false")
        case PCAP_ERROR_IFACE_NOT_UP:
            return error(.interfaceNotUp, "\(interface) is down",
                         "bring it up with `ip link set \(interface) up` (NetworkManager may need to leave it unmanaged)")
        case PCAP_ERROR_PROMISC_PERM_DENIED:
            return error(.promiscuousPermissionDenied, "promiscuous mode on \(interface) was refused",
                         "the process \(capabilities)")
        case PCAP_ERROR_ACTIVATED:
            return error(.libpcap, "\(function) was called on an already active handle for \(interface)",
                         "this is a MallGate bug; please report it with this message")
        case PCAP_ERROR_NOT_ACTIVATED:
            return error(.libpcap, "\(function) needs an activated handle for \(interface)",
                         "this is a MallGate bug; please report it with this message")
        case PCAP_ERROR_CANTSET_TSTAMP_TYPE:
            return error(.libpcap, "\(interface) does not support the requested time stamp type",
                         "use the default time stamp type")
        case PCAP_ERROR_TSTAMP_PRECISION_NOTSUP:
            return error(.libpcap, "\(interface) does not support nanosecond time stamps",
                         "this is handled by falling back to microseconds; please report it if you see this")
        default:
            if message.contains("Operation not permitted") || message.contains("Permission denied") {
                return error(.permissionDenied, "capturing on \(interface) was refused: it \(capabilities)",
                             "run as root or add AmbientCapabilities=CAP_NET_RAW CAP_NET_ADMIN to the unit")
            }
            return error(.libpcap, "libpcap failed on \(interface)",
                         "check the interface with `ip link` and `iw dev`, then restart the source")
        }
    }
}
