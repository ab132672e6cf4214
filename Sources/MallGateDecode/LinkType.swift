/// The encapsulation of one captured frame: which header comes before the 802.11 frame.
///
/// Values are libpcap DLT numbers (https://www.tcpdump.org/linktypes.html), so a pcap
/// handle's `pcap_datalink()` maps straight onto them. TZSP has no DLT of its own: a
/// TZSP source hands the decoder whole UDP payloads, tagged with the private value
/// ``tzsp`` that no real capture file carries.
public struct LinkType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// DLT_IEEE802_11 (105): a bare 802.11 frame, no radio header, so no RSSI.
    public static let ieee80211 = LinkType(rawValue: 105)
    /// DLT_PRISM_HEADER (119): the old Prism monitor header.
    public static let prism = LinkType(rawValue: 119)
    /// DLT_IEEE802_11_RADIO_AVS (163): the AVS/wlan-ng radio header.
    public static let avs = LinkType(rawValue: 163)
    /// DLT_IEEE802_11_RADIO (127): radiotap, what Linux monitor interfaces emit.
    public static let radiotap = LinkType(rawValue: 127)
    /// DLT_PPI (192): Per-Packet Information, with the 802.11-Common field for signal.
    public static let ppi = LinkType(rawValue: 192)
    /// Not a DLT: a TZSP datagram (UDP payload) from a remote sensor, tags then a frame.
    public static let tzsp = LinkType(rawValue: -0x545A)

    /// Whether the decoder knows how to read frames of this link type.
    public var isSupported: Bool {
        switch self {
        case .ieee80211, .prism, .avs, .radiotap, .ppi, .tzsp: return true
        default: return false
        }
    }

    public var description: String {
        switch self {
        case .ieee80211: return "IEEE802_11 (105)"
        case .prism: return "PRISM_HEADER (119)"
        case .avs: return "IEEE802_11_RADIO_AVS (163)"
        case .radiotap: return "IEEE802_11_RADIO (127, radiotap)"
        case .ppi: return "PPI (192)"
        case .tzsp: return "TZSP (UDP)"
        default: return "DLT \(rawValue)"
        }
    }
}
