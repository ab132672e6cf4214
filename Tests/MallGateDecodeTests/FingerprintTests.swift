import Testing
@testable import MallGateDecode

@Suite struct FingerprintTests {
    // Golden values from an independent Python implementation of the MGIE1 doc comment.
    @Test func goldenValues() {
        #expect(IEFingerprint(elements: Fixture.allElements.withUnsafeBytes { $0 }).rawValue == Fixture.allElementsFingerprint)
        #expect(IEFingerprint(elements: UnsafeRawBufferPointer(start: nil, count: 0)).rawValue == 0x819E_AA31_25B0_975E)
        #expect(IEFingerprint(elements: hex("01 04 82 84 8b 96").withUnsafeBytes { $0 }).rawValue == 0xDA10_7E8A_855E_F340)  // rates only
        #expect(IEFingerprint(rawValue: 0x0A).description == "000000000000000a")
        // Elements after a malformed one do not count: same value as the well-formed prefix.
        #expect(IEFingerprint(elements: (Fixture.allElements + hex("dd 05 aa")).withUnsafeBytes { $0 }).rawValue == Fixture.allElementsFingerprint)
    }

    @Test func ssidAndDSChannelAreExcluded() {
        var other = hex("00 07 61 6e 6f 74 68 65 72", "01 04 82 84 8b 96", "03 01 0b")  // SSID "another", rates, DS channel 11
        let a = IEFingerprint(elements: other.withUnsafeBytes { $0 })
        let b = IEFingerprint(elements: hex("01 04 82 84 8b 96").withUnsafeBytes { $0 })
        #expect(a == b)
        other[11] = 0x0C  // one rate changed: 6 Mb/s instead of 5.5 basic
        #expect(IEFingerprint(elements: other.withUnsafeBytes { $0 }) != b)
    }

    @Test func orderAndBoundariesMatter() {
        let ab = IEFingerprint(elements: hex("01 01 82", "32 01 0c").withUnsafeBytes { $0 })
        let ba = IEFingerprint(elements: hex("32 01 0c", "01 01 82").withUnsafeBytes { $0 })
        let merged = IEFingerprint(elements: hex("01 02 82 0c").withUnsafeBytes { $0 })
        #expect(ab != ba && ab != merged)
        // Bodies longer than 8 bytes and exact multiples of 8 both hash every byte.
        let eight = IEFingerprint(elements: hex("dd 08 00 17 f2 0a 00 01 04 00").withUnsafeBytes { $0 })
        let eightChanged = IEFingerprint(elements: hex("dd 08 00 17 f2 0a 00 01 04 01").withUnsafeBytes { $0 })
        #expect(eight != eightChanged)
    }
}

@Suite struct HostileInputTests {
    static let linkTypes: [LinkType] = [.radiotap, .ieee80211, .ppi, .prism, .avs, .tzsp]

    @Test(arguments: linkTypes)
    func zeroLengthFrameIsACountedDrop(linkType: LinkType) {
        let (result, counters) = decodeOne([], linkType)
        let expected: DropReason = switch linkType {
        case .ieee80211: .truncated80211Header
        case .tzsp: .truncatedTZSP
        default: .truncatedRadioHeader
        }
        #expect(result.dropReason == expected)
        #expect(counters.dropped(expected) == 1)
    }

    @Test(arguments: linkTypes)
    func randomBytesNeverCrash(linkType: LinkType) {
        var rng = SplitMix64(state: 0x4D47_0000 ^ UInt64(bitPattern: Int64(linkType.rawValue)))
        var decoder = FrameDecoder(linkType: linkType, options: .init(includeDeviceFrames: true, fcsPolicy: .verify))
        let iterations = 20_000
        var buffer = [UInt8](repeating: 0, count: 512)
        for i in 0 ..< iterations {
            let length = Int(rng.next() % 512)
            for j in 0 ..< length { buffer[j] = UInt8(truncatingIfNeeded: rng.next()) }
            // Half the time make the header plausible so the walk goes deeper than the first check.
            if i % 2 == 0 && length >= 4 {
                switch linkType {
                case .radiotap: buffer[0] = 0; buffer[2] = UInt8(truncatingIfNeeded: rng.next() % UInt64(length)); buffer[3] = 0
                case .ppi: buffer[0] = 0; buffer[2] = UInt8(truncatingIfNeeded: rng.next() % UInt64(length)); buffer[3] = 0
                    if length >= 8 { buffer[4] = 105; buffer[5] = 0; buffer[6] = 0; buffer[7] = 0 }
                case .tzsp: buffer[0] = 1; buffer[1] = 0; buffer[2] = 0; buffer[3] = 18
                case .avs: buffer[0] = 0x80; buffer[1] = 0x21; buffer[2] = 0x10; buffer[3] = 0x01
                case .ieee80211: buffer[0] = 0x40
                default: break
                }
            }
            _ = buffer.withUnsafeBytes { decoder.decode(UnsafeRawBufferPointer(rebasing: $0[0 ..< length])) }
            _ = buffer.withUnsafeBytes { ProbeRequestElements(parsing: UnsafeRawBufferPointer(rebasing: $0[0 ..< length])) }
        }
        let c = decoder.counters
        #expect(c.frames == UInt64(iterations))
        #expect(c.probeRequests + c.deviceFrames + c.otherFrames + c.droppedTotal == c.frames)
    }

    @Test func elementLength255AtFrameEnd() throws {
        for tag: UInt8 in [0, 1, 45, 191, 221, 255] {
            let probe = try #require(decodeOne(Fixture.probeHeader + [tag, 0xFF, 0x01, 0x02], .ieee80211).0.probe)  // tag, length 255, 2 bytes
            #expect(probe.hasMalformedElements)
            #expect(probe.elements.elementCount == 0)
        }
    }

    @Test func shortKnownElementsAreFlaggedNotRead() throws {
        let probe = try #require(decodeOne(Fixture.probeHeader + hex("2d 01 ef", "bf 02 92 01", "dd 02 00 50", "ff 00"), .ieee80211).0.probe)  // HT 1 byte, VHT 2 bytes, vendor 2 bytes, empty extension
        #expect(probe.htCapabilities == nil && probe.vhtCapabilities == nil && probe.vendorElements.isEmpty && probe.heCapabilities == nil)
        #expect(probe.hasMalformedElements)
        #expect(probe.elements.elementCount == 4)
    }
}
