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
func requireSupported(
    _ linkType: LinkType, subject: String, sensor: SensorID, what: String
) throws(CaptureError) {
    guard linkType.isSupported else {
        throw CaptureError(
            .unsupportedLinkType, sensor: sensor, subject: subject,
            summary: "\(what) carries link type \(linkType.description), which is not 802.11",
            advice: "MallGate reads \(LinkType.readableCaptureTypesList); capture on a monitor-mode interface (radiotap) or convert the file")
    }
}
