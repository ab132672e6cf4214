internal import CPcap
#if canImport(Glibc)
internal import Glibc
#endif

/// The libpcap calls used to open and configure handles, as replaceable function values.
///
/// Tests swap single entries (make `pcap_activate` return PCAP_ERROR_PERM_DENIED)
/// to check how every failure is reported without needing a radio or a
/// non-root user. The per-frame read (`pcap_next_ex`) is called directly, not
/// through this table, so the hot path pays no indirect call.
struct PcapAPI: Sendable {
    var create: @Sendable (_ device: String, _ errbuf: UnsafeMutablePointer<CChar>) -> OpaquePointer?
    var fopenOffline: @Sendable (_ file: UnsafeMutablePointer<FILE>, _ precision: UInt32, _ errbuf: UnsafeMutablePointer<CChar>) -> OpaquePointer?
    var setSnaplen: @Sendable (OpaquePointer, Int32) -> Int32
    var setImmediateMode: @Sendable (OpaquePointer, Int32) -> Int32
    var setBufferSize: @Sendable (OpaquePointer, Int32) -> Int32
    var setRfmon: @Sendable (OpaquePointer, Int32) -> Int32
    var setTimeout: @Sendable (OpaquePointer, Int32) -> Int32
    var setTstampPrecision: @Sendable (OpaquePointer, Int32) -> Int32
    var activate: @Sendable (OpaquePointer) -> Int32
    var datalink: @Sendable (OpaquePointer) -> Int32
    /// Returns the DLTs the handle offers (empty on failure, with the code).
    var listDatalinks: @Sendable (OpaquePointer) -> (code: Int32, links: [Int32])
    var setDatalink: @Sendable (OpaquePointer, Int32) -> Int32
    var compile: @Sendable (OpaquePointer, UnsafeMutablePointer<bpf_program>, String) -> Int32
    var setFilter: @Sendable (OpaquePointer, UnsafeMutablePointer<bpf_program>) -> Int32
    var setNonblock: @Sendable (OpaquePointer, Int32, UnsafeMutablePointer<CChar>) -> Int32
    var selectableFD: @Sendable (OpaquePointer) -> Int32
    var stats: @Sendable (OpaquePointer, UnsafeMutablePointer<pcap_stat>) -> Int32

    /// The real libpcap.
    static let system = PcapAPI(
        create: { pcap_create($0, $1) },
        fopenOffline: { pcap_fopen_offline_with_tstamp_precision($0, $1, $2) },
        setSnaplen: { pcap_set_snaplen($0, $1) },
        setImmediateMode: { pcap_set_immediate_mode($0, $1) },
        setBufferSize: { pcap_set_buffer_size($0, $1) },
        setRfmon: { pcap_set_rfmon($0, $1) },
        setTimeout: { pcap_set_timeout($0, $1) },
        setTstampPrecision: { pcap_set_tstamp_precision($0, $1) },
        activate: { pcap_activate($0) },
        datalink: { pcap_datalink($0) },
        listDatalinks: { handle in
            var list: UnsafeMutablePointer<Int32>? = nil
            let count = pcap_list_datalinks(handle, &list)
            guard count >= 0, let list else { return (count, []) }
            defer { pcap_free_datalinks(list) }
            return (count, Array(UnsafeBufferPointer(start: list, count: Int(count))))
        },
        setDatalink: { pcap_set_datalink($0, $1) },
        // optimize = 1; netmask unknown: our filters never test broadcast addresses.
        compile: { pcap_compile($0, $1, $2, 1, PCAP_NETMASK_UNKNOWN) },
        setFilter: { pcap_setfilter($0, $1) },
        setNonblock: { pcap_setnonblock($0, $1, $2) },
        selectableFD: { pcap_get_selectable_fd($0) },
        stats: { pcap_stats($0, $1) }
    )
}

/// The one owner of a `pcap_t*`: closes it (and any FILE* libpcap read from) exactly once.
///
/// A class because the handle has identity and a lifetime; `deinit` is the only
/// place `pcap_close` is called, so no path can leak or double-close it.
final class PcapHandle {
    let raw: OpaquePointer
    let api: PcapAPI
    /// The stdio buffer of the FILE* libpcap reads (see ``StdioBuffer``), freed after `pcap_close`
    /// has closed that FILE*.
    private let fileBuffer: StdioBuffer?

    init(raw: OpaquePointer, api: PcapAPI, fileBuffer: StdioBuffer? = nil) {
        self.raw = raw
        self.api = api
        self.fileBuffer = fileBuffer
    }

    deinit {
        pcap_close(raw)
        fileBuffer?.free()
    }

    /// libpcap's message for the last failure on this handle.
    var lastError: String { String(cString: pcap_geterr(raw)) }

    /// Makes a blocked `pcap_next_ex`/poll on this handle return; thread-safe in libpcap ≥ 1.10.
    func breakLoop() { pcap_breakloop(raw) }
}

/// libpcap's error buffer: PCAP_ERRBUF_SIZE bytes, zeroed, as a String afterwards.
func withErrorBuffer<R>(_ body: (UnsafeMutablePointer<CChar>) -> R) -> (R, String) {
    var result: R?
    var message = ""
    withUnsafeTemporaryAllocation(of: CChar.self, capacity: Int(PCAP_ERRBUF_SIZE)) { buffer in
        buffer.initialize(repeating: 0)
        result = body(buffer.baseAddress!)
        message = String(cString: buffer.baseAddress!)
    }
    return (result!, message)
}


/// A larger stdio buffer for a capture file MallGate opens itself, so libpcap's `fread`s of
/// small records are served from memory with one `read(2)` per 64 KiB instead of per 4 KiB.
///
/// glibc ignores the size given to `setvbuf` without a buffer, so the buffer is allocated here
/// and must outlive the FILE* (C11 7.21.5.6): ``PcapHandle`` frees it after `pcap_close`.
struct StdioBuffer {
    static let size = 1 << 16
    let memory: UnsafeMutableRawPointer

    /// Installs a fresh buffer on `file`, which must not have been read yet; nil (stdio's
    /// own buffer stays) if `setvbuf` refuses.
    init?(installedOn file: UnsafeMutablePointer<FILE>) {
        let memory = UnsafeMutableRawPointer.allocate(byteCount: Self.size, alignment: 16)
        guard setvbuf(file, memory.assumingMemoryBound(to: CChar.self), _IOFBF, Self.size) == 0 else {
            memory.deallocate()
            return nil
        }
        self.memory = memory
    }

    /// Frees the buffer; only after the FILE* it was installed on is closed.
    func free() { memory.deallocate() }
}
