/// A walker over a list of 802.11 information elements (tag, length, body) in raw bytes.
///
/// Used for the body of management frames and for IE hex from datasets. It never reads
/// past the buffer: an element whose length runs past the end stops the walk and sets
/// ``Iterator/isMalformed`` (IEEE 802.11-2020 9.4.2 element format).
public struct InformationElements: Sequence {
    public let bytes: UnsafeRawBufferPointer

    /// Walks the elements in `bytes` (a view that must outlive the walk).
    @inlinable
    public init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    @inlinable
    public func makeIterator() -> Iterator { Iterator(bytes: bytes) }

    public struct Iterator: IteratorProtocol {
        @usableFromInline let bytes: UnsafeRawBufferPointer
        @usableFromInline var offset = 0
        /// Set once the walk hit an element (or a lone tag byte) that runs past the end.
        public private(set) var isMalformed = false

        @usableFromInline
        init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

        public mutating func next() -> InformationElement? {
            guard offset < bytes.count else { return nil }
            guard let id = bytes.u8(offset), let length = bytes.u8(offset + 1),
                  let body = bytes.slice(offset + 2, Int(length))
            else {
                isMalformed = true
                offset = bytes.count
                return nil
            }
            let start = offset
            // offset < count and length ≤ 255, so this stays far below Int.max.
            offset = offset &+ 2 &+ Int(length)
            return InformationElement(id: id, body: body, offset: start)
        }
    }
}

/// One information element: its id, its body (without the 2-byte header) and where it began.
public struct InformationElement {
    public let id: UInt8
    public let body: UnsafeRawBufferPointer
    /// Offset of the id byte from the start of the element list.
    public let offset: Int

    /// For Element ID Extension (255): the extension id, the first body byte.
    public var extensionID: UInt8? { id == ElementID.extension ? body.u8(0) : nil }
}

/// Element ids this decoder reads (IEEE 802.11-2020 Table 9-92).
public enum ElementID {
    public static let ssid: UInt8 = 0
    public static let supportedRates: UInt8 = 1
    public static let dsParameterSet: UInt8 = 3
    public static let htCapabilities: UInt8 = 45
    public static let extendedSupportedRates: UInt8 = 50
    public static let extendedCapabilities: UInt8 = 127
    public static let vhtCapabilities: UInt8 = 191
    public static let vendorSpecific: UInt8 = 221
    public static let `extension`: UInt8 = 255
    /// Element ID Extension 35: HE Capabilities (IEEE 802.11ax-2021 9.4.2.248).
    public static let heCapabilitiesExtension: UInt8 = 35
}

/// What a probe request's element list says about the sender, all stored inline.
///
/// Built in one pass that also computes the ``IEFingerprint``.
public struct ProbeRequestElements: Sendable, Equatable {
    public var ssid = SSID()
    public var supportedRates = RateSet()
    public var extendedRates = RateSet()
    /// The DS Parameter Set channel: the channel the phone says it is on.
    public var dsChannel: UInt8?
    /// HT Capability Information (the first 2 bytes of the HT Capabilities element).
    public var htCapabilities: UInt16?
    /// VHT Capabilities Information (the first 4 bytes of the VHT Capabilities element).
    public var vhtCapabilities: UInt32?
    /// HE MAC Capabilities Information (6 bytes, little-endian) when an HE Capabilities element is present.
    public var heCapabilities: UInt64?
    public var extendedCapabilities: ExtendedCapabilities?
    public var vendorElements = VendorElements()
    /// How many well-formed elements were read.
    public var elementCount: UInt16 = 0
    public var fingerprint = IEFingerprint(rawValue: 0)
    /// Whether the list ended in an element running past the frame, or a known element had an impossible length.
    public var hasMalformedElements = false

    public init() {}

    /// Parses an element list (e.g. a probe request body after the fixed header).
    public init(parsing bytes: UnsafeRawBufferPointer) {
        var hasher = IEFingerprint.Hasher()
        var iterator = InformationElements(bytes).makeIterator()
        while let element = iterator.next() {
            elementCount &+= 1  // at most 65535/2 elements fit in a frame view < 128 KiB; wraps harmlessly otherwise
            let body = element.body
            switch element.id {
            case ElementID.ssid:
                if body.count > SSID.maxLength { hasMalformedElements = true }
                ssid = SSID(truncating: body)
            case ElementID.supportedRates:
                supportedRates = RateSet(rateBytes: body)
            case ElementID.extendedSupportedRates:
                extendedRates = RateSet(rateBytes: body)
            case ElementID.dsParameterSet:
                dsChannel = body.u8(0)
            case ElementID.htCapabilities:
                if let info = body.le16(0) { htCapabilities = info } else { hasMalformedElements = true }
            case ElementID.vhtCapabilities:
                if let info = body.le32(0) { vhtCapabilities = info } else { hasMalformedElements = true }
            case ElementID.extendedCapabilities:
                extendedCapabilities = ExtendedCapabilities(body: body)
            case ElementID.vendorSpecific:
                if body.count >= 3, let a = body.u8(0), let b = body.u8(1), let c = body.u8(2) {
                    let oui = UInt32(a) << 16 | UInt32(b) << 8 | UInt32(c)
                    vendorElements.append(VendorElement(oui: oui, type: body.u8(3)))
                } else {
                    hasMalformedElements = true
                }
            case ElementID.extension:
                if element.extensionID == ElementID.heCapabilitiesExtension {
                    heCapabilities = body.lePartialWord(1, min(body.count - 1, 6))
                }
            default:
                break
            }
            if element.id != ElementID.ssid && element.id != ElementID.dsParameterSet {
                hasher.absorb(element)
            }
        }
        if iterator.isMalformed { hasMalformedElements = true }
        fingerprint = hasher.finalize()
    }
}
