// libFuzzer entry point for MallGateDecode; built by scripts/fuzz, not by SwiftPM
// (a libFuzzer binary has no main). The first input byte picks the link type, the rest
// is one captured frame, decoded twice by one decoder (cold, then with its radiotap layout
// cache warm); the IE walker also runs over the whole remainder. Both, and a decoder kept
// across inputs (its element summary cache full of earlier inputs), must match a decoder that
// parses every element list afresh.

private let linkTypes: [LinkType] = [.radiotap, .ieee80211, .ppi, .prism, .avs, .tzsp]

/// One decoder per link type, kept across inputs so cached element lists meet other inputs.
nonisolated(unsafe) private var carried = linkTypes.map { FrameDecoder(linkType: $0) }

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDecode(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size > 0 else { return 0 }
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    let linkType = linkTypes[Int(bytes[0]) % linkTypes.count]
    let frame = UnsafeRawBufferPointer(rebasing: bytes[1...])
    let verify = bytes[0] & 0x80 != 0
    var decoder = FrameDecoder(
        linkType: linkType,
        options: DecodeOptions(includeDeviceFrames: bytes[0] & 0x40 != 0, fcsPolicy: verify ? .verify : .trustRadioHeader))
    let first = decoder.decode(frame)
    // The same frame again meets the radiotap layout it just cached: replaying it must give
    // exactly what walking it gave.
    let again = decoder.decode(frame)
    if again != first { fatalError("radiotap layout or element cache changed the decode of this frame") }
    var fresh = FrameDecoder(linkType: linkType, options: decoder.options)
    fresh.elementCache.isDisabled = true
    if fresh.decode(frame) != first { fatalError("element summary cache changed the decode of this frame") }
    var plain = FrameDecoder(linkType: linkType)
    plain.elementCache.isDisabled = true
    let index = Int(bytes[0]) % linkTypes.count
    if carried[index].decode(frame) != plain.decode(frame) {
        fatalError("element summary cache filled by earlier inputs changed the decode of this frame")
    }
    switch first {
    case .probeRequest(let probe):
        // Touch the inline collections so their accessors are exercised too.
        _ = probe.ssid.description
        for chain in probe.radio.chainSignals { _ = chain.dBm }
        for vendor in probe.vendorElements { _ = vendor.oui }
    default: break
    }
    let elements = ProbeRequestElements(parsing: frame)
    _ = elements.fingerprint
    return 0
}
