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
    /// The radiotap layout of the last frame walked, replayed while frames keep it.
    var radiotapCache = RadiotapLayoutCache()
    /// Parsed element lists of recent probe requests, reused while a phone repeats its elements.
    var elementCache = ElementSummaryCache()

    public init(linkType: LinkType, options: DecodeOptions = .init()) {
        self.linkType = linkType
        self.options = options
    }

    /// Decodes one frame and counts the outcome.
    ///
    /// - Parameter frame: the captured bytes, starting with the link type's header.
    public mutating func decode(_ frame: UnsafeRawBufferPointer) -> DecodedFrame {
        var probe = ProbeRequest()
        let status = decode(frame, into: &probe)
        switch status {
        case .probeRequest: return .probeRequest(probe)
        case .deviceFrame: return .deviceFrame(status.deviceFrame(radio: probe.radio)!)
        case .otherFrame: return .otherFrame
        case .dropped(let reason): return .dropped(reason)
        }
    }

    /// Decodes one frame without counting.
    public static func decode(_ frame: UnsafeRawBufferPointer, linkType: LinkType, options: DecodeOptions) -> DecodedFrame {
        var decoder = FrameDecoder(linkType: linkType, options: options)
        return decoder.decode(frame)
    }

    /// Decodes one frame into caller-owned storage and counts the outcome: the hot path.
    ///
    /// A probe request is about 300 bytes; writing it where the caller keeps it (rather than
    /// returning it through an enum) saves several copies per frame.
    ///
    /// - Parameters:
    ///   - frame: the captured bytes, starting with the link type's header.
    ///   - probe: overwritten; it holds the decoded frame when the result is
    ///     ``DecodeStatus/probeRequest``, the radio data (`probe.radio`) of a device frame
    ///     for ``DecodeStatus/deviceFrame(source:destination:kind:sequenceNumber:)``, and
    ///     unspecified partial data otherwise.
    public mutating func decode(_ frame: UnsafeRawBufferPointer, into probe: inout ProbeRequest) -> DecodeStatus {
        counters.frames &+= 1  // UInt64: centuries to wrap at any real frame rate
        probe.radio = RadioInfo()
        let headerLength: Int
        switch linkType {
        case .radiotap:
            switch RadiotapHeader.parse(frame, into: &probe.radio, cache: &radiotapCache) {
            case .success(let length): headerLength = length
            case .failure(let reason): return counters.dropping(reason)
            }
        case .ieee80211:
            headerLength = 0
        default:
            switch Self.otherRadioHeader(frame, linkType: linkType) {
            case .success(let parsed):
                probe.radio = parsed.radio
                headerLength = parsed.length
            case .failure(let reason): return counters.dropping(reason)
            }
        }
        let mpdu = frame.suffix(from: headerLength)
        if probe.radio.badFCS { return counters.dropping(.badFCS) }
        var body = mpdu
        if probe.radio.fcsPresent {
            guard mpdu.count >= 4 + IEEE80211Frame.minimumLength, let fcs = mpdu.le32(mpdu.count - 4),
                  let withoutFCS = mpdu.slice(0, mpdu.count - 4)
            else { return counters.dropping(.truncated80211Header) }
            if options.fcsPolicy == .verify && CRC32.checksum(withoutFCS) != fcs { return counters.dropping(.badFCS) }
            body = withoutFCS
        }
        return IEEE80211Frame.classify(body, into: &probe, includeDeviceFrames: options.includeDeviceFrames,
                                       counters: &counters, elementCache: &elementCache)
    }

    /// The radio headers other than radiotap (rarer; parsed into a returned value).
    static func otherRadioHeader(_ frame: UnsafeRawBufferPointer, linkType: LinkType) -> Result<RadioHeader, DropReason> {
        switch linkType {
        case .ppi: return PPIHeader.parse(frame)
        case .prism: return PrismHeader.parse(frame)
        case .avs: return AVSHeader.parse(frame)
        case .tzsp:
            switch TZSPHeader.parse(frame) {
            case .failure(let reason): return .failure(reason)
            case .success(let tzsp):
                let inner = frame.suffix(from: tzsp.length)
                let innerHeader: Result<RadioHeader, DropReason>
                switch tzsp.encapsulation {
                case .prism: innerHeader = PrismHeader.parse(inner)
                case .avs: innerHeader = AVSHeader.parse(inner)
                default: innerHeader = .success(RadioHeader(radio: RadioInfo(), length: 0))
                }
                switch innerHeader {
                case .failure(let reason): return .failure(reason)
                case .success(var nested):
                    nested.radio.fillMissing(from: tzsp.radio)
                    nested.length += tzsp.length  // both ≤ frame.count
                    return .success(nested)
                }
            }
        default: return .failure(.unsupportedLinkType)
        }
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
