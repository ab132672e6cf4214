internal import MallGateDecode

extension LinkType {
    /// The capture link types the decoder reads, in the order error messages list them.
    ///
    /// Kept here rather than asked of the decoder so a refused file can say what
    /// would have been accepted; filtered through ``LinkType/isSupported`` so the two never disagree.
    static let readableCaptureTypes: [LinkType] =
        [.radiotap, .ppi, .ieee80211, .prism, .avs].filter(\.isSupported)

    /// "IEEE802_11_RADIO (127, radiotap), PPI (192), …" for messages.
    static var readableCaptureTypesList: String {
        readableCaptureTypes.map(\.description).joined(separator: ", ")
    }
}

/// Refuses frames the decoder cannot read, naming the DLT and the accepted ones.
///
/// - Parameter live: an interface (the fix is monitor mode) rather than a file (the fix is another capture).
func requireSupported(
    _ linkType: LinkType, subject: String, sensor: SensorID, what: String, live: Bool = false
) throws(CaptureError) {
    guard linkType.isSupported else {
        let fix = live
            ? "put \(subject) in monitor mode (drop --no-monitor, or `iw dev \(subject) set type monitor`) or use a radio whose driver supports it"
            : "record it on a monitor-mode interface (radiotap), e.g. `tcpdump -i mon0 -w FILE`"
        throw CaptureError(
            .unsupportedLinkType, sensor: sensor, subject: subject,
            summary: "\(what) carries link type \(linkType.description), which is not 802.11",
            advice: "MallGate reads \(LinkType.readableCaptureTypesList); \(fix)")
    }
}
