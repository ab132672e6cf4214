/// Decodes captured frames of one link type into probe requests (and optionally other
/// device frames), counting every outcome.
///
/// Pure and allocation-free per frame: it reads the bytes in place (the view need only
/// live for the call) and returns value types with inline storage. One decoder per
/// capture source; merge their ``counters`` with ``DecodeCounters/add(_:)``.
public struct FrameDecoder: Sendable {
    public let linkType: LinkType
    public let options: DecodeOptions
    /// What this decoder has seen so far.
    public var counters = DecodeCounters()

    public init(linkType: LinkType, options: DecodeOptions = .init()) {
        self.linkType = linkType
        self.options = options
    }

    /// Decodes one frame and counts the outcome.
    ///
    /// - Parameter frame: the captured bytes, starting with the link type's header.
    public mutating func decode(_ frame: UnsafeRawBufferPointer) -> DecodedFrame {
        // Counted at each return site inside, so the result is built once in our return slot.
        Self.decode(frame, linkType: linkType, options: options, counters: &counters)
    }

    /// Decodes one frame without counting.
    public static func decode(_ frame: UnsafeRawBufferPointer, linkType: LinkType, options: DecodeOptions) -> DecodedFrame {
        var ignored = DecodeCounters()
        return decode(frame, linkType: linkType, options: options, counters: &ignored)
    }

    @inline(__always)
    static func decode(
        _ frame: UnsafeRawBufferPointer, linkType: LinkType, options: DecodeOptions, counters: inout DecodeCounters
    ) -> DecodedFrame {
        counters.frames &+= 1  // UInt64: centuries to wrap at any real frame rate
        let header: Result<RadioHeader, DropReason>
        switch linkType {
        case .radiotap: header = RadiotapHeader.parse(frame)
        case .ieee80211: header = .success(RadioHeader(radio: RadioInfo(), length: 0))
        case .ppi: header = PPIHeader.parse(frame)
        case .prism: header = PrismHeader.parse(frame)
        case .avs: header = AVSHeader.parse(frame)
        case .tzsp:
            switch TZSPHeader.parse(frame) {
            case .failure(let reason): return counters.dropping(reason)
            case .success(let tzsp):
                let inner = frame.suffix(from: tzsp.length)
                let innerHeader: Result<RadioHeader, DropReason>
                switch tzsp.encapsulation {
                case .prism: innerHeader = PrismHeader.parse(inner)
                case .avs: innerHeader = AVSHeader.parse(inner)
                default: innerHeader = .success(RadioHeader(radio: RadioInfo(), length: 0))
                }
                switch innerHeader {
                case .failure(let reason): return counters.dropping(reason)
                case .success(var nested):
                    nested.radio.fillMissing(from: tzsp.radio)
                    nested.length += tzsp.length  // both ≤ frame.count
                    header = .success(nested)
                }
            }
        default: return counters.dropping(.unsupportedLinkType)
        }
        switch header {
        case .failure(let reason): return counters.dropping(reason)
        case .success(let parsed): return decode80211(frame.suffix(from: parsed.length), radio: parsed.radio, options: options,
                                                          counters: &counters)
        }
    }

    @inline(__always)
    static func decode80211(
        _ mpdu: UnsafeRawBufferPointer, radio: RadioInfo, options: DecodeOptions, counters: inout DecodeCounters
    ) -> DecodedFrame {
        if radio.badFCS { return counters.dropping(.badFCS) }
        var body = mpdu
        if radio.fcsPresent {
            guard mpdu.count >= 4 + IEEE80211Frame.minimumLength, let fcs = mpdu.le32(mpdu.count - 4),
                  let withoutFCS = mpdu.slice(0, mpdu.count - 4)
            else { return counters.dropping(.truncated80211Header) }
            if options.fcsPolicy == .verify && CRC32.checksum(withoutFCS) != fcs { return counters.dropping(.badFCS) }
            body = withoutFCS
        }
        return IEEE80211Frame.classify(body, radio: radio, includeDeviceFrames: options.includeDeviceFrames,
                                       counters: &counters)
    }
}

extension RadioInfo {
    /// Takes each field this value lacks from `other` (outer TZSP tags under an inner header).
    mutating func fillMissing(from other: RadioInfo) {
        if tsft == nil { tsft = other.tsft }
        flags.formUnion(other.flags)
        if rateKbps == nil { rateKbps = other.rateKbps }
        if channelMHz == nil { channelMHz = other.channelMHz }
        if channel == nil { channel = other.channel }
        if signalDBm == nil { signalDBm = other.signalDBm }
        if noiseDBm == nil { noiseDBm = other.noiseDBm }
        if antenna == nil { antenna = other.antenna }
        badFCS = badFCS || other.badFCS
    }
}
