/// A BPF filter run in the kernel, so only the frames MallGate uses cross into user space.
///
/// A mall's air carries thousands of beacons and data frames per second; filtering
/// in the kernel keeps a 1–2 GB gateway from copying and discarding them.
/// Expressions use pcap-filter(7) syntax for 802.11 link types.
public struct CaptureFilter: Hashable, Sendable, CustomStringConvertible {
    /// The pcap-filter expression; empty means no filter.
    public let expression: String

    /// Probe requests only: what phones broadcast while scanning (IEEE 802.11-2020 §11.1.4.3).
    public static let probeRequests = CaptureFilter(expression: "type mgt subtype probe-req")

    /// Every frame a phone transmits that reveals it: probe, association and reassociation
    /// requests, authentication, and data frames sent to an access point (ToDS).
    public static let phoneTransmissions = CaptureFilter(expression:
        "type mgt subtype probe-req or type mgt subtype assoc-req or type mgt subtype reassoc-req"
        + " or type mgt subtype auth or (type data and dir tods)")

    /// No filter: every frame the radio hears.
    public static let none = CaptureFilter(expression: "")

    /// Any pcap-filter expression, checked when the source opens.
    public static func custom(_ expression: String) -> CaptureFilter { CaptureFilter(expression: expression) }

    public var description: String { expression.isEmpty ? "(no filter)" : expression }
}

/// How a live radio is opened; the defaults suit probe-request capture on a monitor interface.
///
/// Each default has a reason: 512 bytes hold radiotap plus a probe request's IEs;
/// 8 MiB of kernel buffer rides out a busy second (libpcap's 2 MiB does not);
/// immediate mode hands frames over without waiting for a full buffer.
public struct LiveCaptureOptions: Sendable {
    /// Bytes kept of each frame (pcap_set_snaplen).
    public var snapshotLength: Int32 = 512
    /// Kernel ring size in bytes (pcap_set_buffer_size).
    public var bufferSize: Int32 = 8 << 20
    /// Put the interface in monitor mode (pcap_set_rfmon); false for an interface already in monitor mode.
    public var monitorMode: Bool = true
    /// How long a read waits for a frame before returning `.timeout`, in milliseconds.
    public var pollIntervalMilliseconds: Int32 = 250
    /// Kernel filter.
    public var filter: CaptureFilter = .probeRequests
    /// Switch to radiotap (DLT 127) when the driver offers several link types, as it carries RSSI.
    public var preferRadiotap: Bool = true

    public init() {}
}
