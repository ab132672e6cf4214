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
            offset = offset &+ 2 &+ Int(length)  // UInt64 counter: wrapping needs centuries of frames
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
        self.init()
        parse(bytes)
    }

    /// Replaces this value with what the element list `bytes` says.
    ///
    /// The hot path: one pass with direct loads, each proven in bounds by the element
    /// length check (`bodyStart + length ≤ count`) before the body is touched.
    @inline(__always)
    mutating func parse(_ bytes: UnsafeRawBufferPointer) {
        self = ProbeRequestElements()
        var hasher = IEFingerprint.Hasher()
        let count = bytes.count
        var offset = 0
        var runStart = -1  // start of the current run of fingerprinted elements, or -1
        guard let base = bytes.baseAddress else {
            fingerprint = hasher.finalize()
            return
        }
        while offset < count {
            guard count - offset >= 2 else { hasMalformedElements = true; break }
            let id = base.load(fromByteOffset: offset, as: UInt8.self)
            let length = Int(base.load(fromByteOffset: offset + 1, as: UInt8.self))
            let start = offset + 2  // offset < count ≤ Int.max - 2
            guard length <= count - start else { hasMalformedElements = true; break }
            let body = Body(base: base, start: start, length: length, listCount: count)
            elementCount &+= 1  // wraps only past 65535 elements, which needs > 128 KiB of list
            switch id {
            case ElementID.ssid:
                if length > SSID.maxLength { hasMalformedElements = true }
                ssid = SSID(truncating: UnsafeRawBufferPointer(start: base + start, count: length))
            case ElementID.supportedRates:
                supportedRates = RateSet(rateBytes: UnsafeRawBufferPointer(start: base + start, count: length))
            case ElementID.extendedSupportedRates:
                extendedRates = RateSet(rateBytes: UnsafeRawBufferPointer(start: base + start, count: length))
            case ElementID.dsParameterSet:
                dsChannel = length >= 1 ? body.byte(0) : nil
            case ElementID.htCapabilities:
                if length >= 2 { htCapabilities = UInt16(truncatingIfNeeded: body.word(at: 0, bytes: 2)) } else { hasMalformedElements = true }
            case ElementID.vhtCapabilities:
                if length >= 4 { vhtCapabilities = UInt32(truncatingIfNeeded: body.word(at: 0, bytes: 4)) } else { hasMalformedElements = true }
            case ElementID.extendedCapabilities:
                extendedCapabilities = ExtendedCapabilities(
                    low: body.word(at: 0, bytes: Swift.min(length, 8)),
                    high: length > 8 ? body.word(at: 8, bytes: Swift.min(length - 8, 8)) : 0,
                    length: UInt8(length))
            case ElementID.vendorSpecific:
                if length >= 3 {
                    let oui = UInt32(body.byte(0)) << 16 | UInt32(body.byte(1)) << 8 | UInt32(body.byte(2))
                    vendorElements.append(VendorElement(oui: oui, type: length >= 4 ? body.byte(3) : nil))
                } else {
                    hasMalformedElements = true
                }
            case ElementID.extension:
                if length >= 1 && body.byte(0) == ElementID.heCapabilitiesExtension {
                    heCapabilities = length > 1 ? body.word(at: 1, bytes: Swift.min(length - 1, 6)) : 0
                }
            default:
                break
            }
            if id != ElementID.ssid && id != ElementID.dsParameterSet {
                if runStart < 0 { runStart = offset }
            } else if runStart >= 0 {
                hasher.feed(base, from: runStart, to: offset, listCount: count)
                runStart = -1
            }
            offset = start + length
        }
        // `offset` is the end of the last well-formed element, even after a malformed one.
        if runStart >= 0 { hasher.feed(base, from: runStart, to: offset, listCount: count) }
        fingerprint = hasher.finalize()
    }
}

/// An element body inside a list whose bounds were already checked (`start + length ≤ listCount`).
@usableFromInline
struct Body {
    let base: UnsafeRawPointer
    let start: Int
    let length: Int
    let listCount: Int

    /// Byte `i`; callers check `i < length`.
    @inline(__always)
    func byte(_ i: Int) -> UInt8 { base.load(fromByteOffset: start + i, as: UInt8.self) }

    /// `n` (1…8) bytes at `i` as a little-endian word; callers check `i + n ≤ length`.
    /// Reads a whole word when 8 bytes remain in the list (masking off the extra), else byte by byte.
    @inline(__always)
    func word(at i: Int, bytes n: Int) -> UInt64 {
        let at = start + i
        if listCount - at >= 8 {
            let w = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: at, as: UInt64.self))
            return n >= 8 ? w : w & ((1 << (UInt64(n) * 8)) - 1)
        }
        var w: UInt64 = 0
        var k = 0
        while k < n {
            w |= UInt64(base.load(fromByteOffset: at + k, as: UInt8.self)) << (UInt64(k) * 8)
            k += 1
        }
        return w
    }
}
