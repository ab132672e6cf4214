/// What the decoder made of one captured frame.
public enum DecodedFrame: Sendable, Equatable {
    /// A probe request, fully decoded.
    case probeRequest(ProbeRequest)
    /// Another frame a phone transmits (association, authentication, data to an AP, …);
    /// only produced when ``DecodeOptions/includeDeviceFrames`` is set.
    case deviceFrame(DeviceFrame)
    /// A valid frame of no interest (beacons, ACKs, AP traffic, …).
    case otherFrame
    /// A frame that could not be decoded, and why; each reason has its own counter.
    case dropped(DropReason)
}

/// What ``FrameDecoder/decode(_:into:)`` made of a frame; a probe request itself is in the
/// caller's ``ProbeRequest``.
///
/// Small enough to come back in registers: a device frame's radio data is left in the
/// caller's `probe.radio` rather than carried here (see ``deviceFrame(radio:)``).
public enum DecodeStatus: Sendable, Equatable {
    /// The caller's ``ProbeRequest`` now holds the decoded probe request.
    case probeRequest
    /// Another frame a phone transmits; only with ``DecodeOptions/includeDeviceFrames``.
    /// Its radio data is in the caller's `probe.radio`.
    case deviceFrame(source: MACAddress, destination: MACAddress, kind: DeviceFrame.Kind, sequenceNumber: UInt16?)
    /// A valid frame of no interest.
    case otherFrame
    /// A frame that could not be decoded, and why.
    case dropped(DropReason)

    /// The device frame this status describes, with the radio data the decoder left in `probe.radio`;
    /// nil for other statuses.
    @inlinable
    public func deviceFrame(radio: RadioInfo) -> DeviceFrame? {
        guard case .deviceFrame(let source, let destination, let kind, let sequenceNumber) = self else { return nil }
        return DeviceFrame(radio: radio, source: source, destination: destination, kind: kind, sequenceNumber: sequenceNumber)
    }
}

/// Why a frame was dropped: one name per thing an operator would want to count.
public enum DropReason: String, CaseIterable, Sendable, Error {
    /// The frame is shorter than the fixed part of its radio header (or empty).
    case truncatedRadioHeader
    /// The radio header's length field is shorter than its fixed part / bitmaps, or longer than the frame.
    case radioHeaderLengthMismatch
    /// A radiotap presence bitmap keeps announcing another word (bit 31) up to the header's end.
    case unterminatedPresenceBitmap
    /// A radio header field announced as present runs past the header's end.
    case truncatedRadioField
    /// The radio header carries a version this decoder does not know (radiotap/PPI ≠ 0, AVS, TZSP).
    case unsupportedRadioHeaderVersion
    /// The FCS failed: flagged by the radio, or recomputed under ``FCSPolicy/verify``.
    case badFCS
    /// The 802.11 frame is shorter than its MAC header.
    case truncated80211Header
    /// The 802.11 frame control has a protocol version other than 0 (garbage or a future PHY).
    case unsupported80211Version
    /// The decoder was made for a link type it does not read.
    case unsupportedLinkType
    /// A PPI or TZSP header wraps something other than 802.11 (e.g. Ethernet).
    case unsupportedEncapsulation
    /// A TZSP datagram ends before its tag list ends.
    case truncatedTZSP

    /// The slot of this reason in ``DecodeCounters``' fixed array.
    @inline(__always)
    var slot: Int {
        switch self {
        case .truncatedRadioHeader: return 0
        case .radioHeaderLengthMismatch: return 1
        case .unterminatedPresenceBitmap: return 2
        case .truncatedRadioField: return 3
        case .unsupportedRadioHeaderVersion: return 4
        case .badFCS: return 5
        case .truncated80211Header: return 6
        case .unsupported80211Version: return 7
        case .unsupportedLinkType: return 8
        case .unsupportedEncapsulation: return 9
        case .truncatedTZSP: return 10
        }
    }
}

/// A decoded 802.11 probe request (IEEE 802.11-2020 9.3.3.9) with the radio data it came with.
public struct ProbeRequest: Sendable, Equatable {
    public var radio: RadioInfo
    /// The transmitter (addr2): the phone, possibly randomized.
    public var source: MACAddress
    /// addr1: usually broadcast.
    public var destination: MACAddress
    /// addr3: usually broadcast (wildcard BSSID).
    public var bssid: MACAddress
    /// The 12-bit sequence number.
    public var sequenceNumber: UInt16
    public var fragmentNumber: UInt8
    /// Whether the frame control's retry bit was set.
    public var isRetry: Bool
    /// Everything read from the element list.
    public var elements: ProbeRequestElements

    public init(
        radio: RadioInfo, source: MACAddress, destination: MACAddress, bssid: MACAddress,
        sequenceNumber: UInt16, fragmentNumber: UInt8, isRetry: Bool, elements: ProbeRequestElements
    ) {
        self.radio = radio
        self.source = source
        self.destination = destination
        self.bssid = bssid
        self.sequenceNumber = sequenceNumber
        self.fragmentNumber = fragmentNumber
        self.isRetry = isRetry
        self.elements = elements
    }

    /// An empty value (zero addresses, no radio data, no elements) to decode into with
    /// ``FrameDecoder/decode(_:into:)``.
    public init() {
        self.init(radio: RadioInfo(), source: MACAddress(rawValue: 0), destination: MACAddress(rawValue: 0),
                  bssid: MACAddress(rawValue: 0), sequenceNumber: 0, fragmentNumber: 0, isRetry: false,
                  elements: ProbeRequestElements())
    }

    public var ssid: SSID { elements.ssid }
    public var supportedRates: RateSet { elements.supportedRates }
    public var extendedRates: RateSet { elements.extendedRates }
    public var dsChannel: UInt8? { elements.dsChannel }
    public var htCapabilities: UInt16? { elements.htCapabilities }
    public var vhtCapabilities: UInt32? { elements.vhtCapabilities }
    public var heCapabilities: UInt64? { elements.heCapabilities }
    public var extendedCapabilities: ExtendedCapabilities? { elements.extendedCapabilities }
    public var vendorElements: VendorElements { elements.vendorElements }
    public var fingerprint: IEFingerprint { elements.fingerprint }
    public var hasMalformedElements: Bool { elements.hasMalformedElements }
    /// Whether the source address is locally administered, i.e. randomized by the phone.
    public var isRandomized: Bool { source.isLocallyAdministered }
}

/// A non-probe frame whose transmitter is (or may be) a client device.
public struct DeviceFrame: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        case associationRequest, reassociationRequest, authentication, deauthentication,
             disassociation, action, dataToAP, nullDataToAP, powerSavePoll
    }
    public var radio: RadioInfo
    /// The transmitter address (addr2).
    public var source: MACAddress
    /// The receiver address (addr1), usually the AP.
    public var destination: MACAddress
    public var kind: Kind
    /// The 12-bit sequence number; nil for control frames, which have none.
    public var sequenceNumber: UInt16?

    public init(radio: RadioInfo, source: MACAddress, destination: MACAddress, kind: Kind, sequenceNumber: UInt16?) {
        self.radio = radio
        self.source = source
        self.destination = destination
        self.kind = kind
        self.sequenceNumber = sequenceNumber
    }
}

/// How to treat the FCS when a frame carries one.
public enum FCSPolicy: Sendable, Equatable {
    /// Drop only frames the radio header flags as bad (cheap; the default).
    case trustRadioHeader
    /// Also recompute the CRC-32 and drop on mismatch.
    case verify
}

/// Decoder settings, fixed for the life of a ``FrameDecoder``.
public struct DecodeOptions: Sendable, Equatable {
    /// Also return association/authentication/data frames sent by devices.
    public var includeDeviceFrames: Bool
    public var fcsPolicy: FCSPolicy

    public init(includeDeviceFrames: Bool = false, fcsPolicy: FCSPolicy = .trustRadioHeader) {
        self.includeDeviceFrames = includeDeviceFrames
        self.fcsPolicy = fcsPolicy
    }
}

/// Counts of what a decoder saw, by outcome and by drop reason, in fixed storage.
///
/// Counters are `UInt64` incremented with `&+=`: at 10⁹ frames/s they would take 584 years to wrap.
public struct DecodeCounters: Sendable, Equatable {
    public var frames: UInt64 = 0
    public var probeRequests: UInt64 = 0
    public var deviceFrames: UInt64 = 0
    public var otherFrames: UInt64 = 0
    /// Probe requests whose element list was malformed (they are still counted as probe requests).
    public var malformedElementLists: UInt64 = 0
    private var drops: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
                        UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64)
        = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)

    public init() {}

    /// Frames dropped for `reason`.
    public func dropped(_ reason: DropReason) -> UInt64 {
        withUnsafeBytes(of: drops) { $0.load(fromByteOffset: reason.slot * 8, as: UInt64.self) }
    }

    /// All dropped frames.
    public var droppedTotal: UInt64 {
        DropReason.allCases.reduce(0) { $0 &+ dropped($1) }  // UInt64 counter: wrapping needs centuries of frames
    }

    /// Counts a drop and returns it, for `return counters.dropping(.reason)` at each drop site.
    @inline(__always)
    mutating func dropping(_ reason: DropReason) -> DecodeStatus {
        countDrop(reason)
        return .dropped(reason)
    }

    /// Counts an uninteresting frame and returns ``DecodeStatus/otherFrame``.
    @inline(__always)
    mutating func other() -> DecodeStatus {
        otherFrames &+= 1  // UInt64 counter: wrapping needs centuries of frames
        return .otherFrame
    }

    @inline(__always)
    mutating func countDrop(_ reason: DropReason) {
        let slot = reason.slot
        withUnsafeMutableBytes(of: &drops) { raw in
            let old = raw.load(fromByteOffset: slot * 8, as: UInt64.self)
            raw.storeBytes(of: old &+ 1, toByteOffset: slot * 8, as: UInt64.self)  // UInt64 counter: wrapping needs centuries of frames
        }
    }

    /// Adds another decoder's counts to these (e.g. to total several sensors).
    public mutating func add(_ other: DecodeCounters) {
        frames &+= other.frames  // UInt64 counter: wrapping needs centuries of frames
        probeRequests &+= other.probeRequests  // UInt64 counter: wrapping needs centuries of frames
        deviceFrames &+= other.deviceFrames  // UInt64 counter: wrapping needs centuries of frames
        otherFrames &+= other.otherFrames  // UInt64 counter: wrapping needs centuries of frames
        malformedElementLists &+= other.malformedElementLists  // UInt64 counter: wrapping needs centuries of frames
        withUnsafeMutableBytes(of: &drops) { mine in
            withUnsafeBytes(of: other.drops) { theirs in
                for i in 0 ..< 16 {
                    let sum = mine.load(fromByteOffset: i * 8, as: UInt64.self) &+ theirs.load(fromByteOffset: i * 8, as: UInt64.self)  // UInt64 counter: wrapping needs centuries of frames
                    mine.storeBytes(of: sum, toByteOffset: i * 8, as: UInt64.self)
                }
            }
        }
    }

    public static func == (lhs: DecodeCounters, rhs: DecodeCounters) -> Bool {
        lhs.frames == rhs.frames && lhs.probeRequests == rhs.probeRequests
            && lhs.deviceFrames == rhs.deviceFrames && lhs.otherFrames == rhs.otherFrames
            && lhs.malformedElementLists == rhs.malformedElementLists
            && DropReason.allCases.allSatisfy { lhs.dropped($0) == rhs.dropped($0) }
    }
}
