import Testing
@testable import MallGateDecode

/// The element summary cache must be invisible: a decoder reusing cached element lists gives
/// exactly what a decoder parsing every list afresh gives.
@Suite struct ElementSummaryCacheTests {
    /// A decoder that parses every element list afresh: the reference.
    static func uncached(_ linkType: LinkType) -> FrameDecoder {
        var decoder = FrameDecoder(linkType: linkType)
        decoder.elementCache.isDisabled = true
        return decoder
    }

    /// Decodes each frame twice with one long-lived decoder (the second time a cache hit when
    /// the list is cacheable) and once afresh, expecting equal results and counters.
    static func expectCacheInvisible(_ frames: [[UInt8]], _ linkType: LinkType, _ what: String) {
        var warm = FrameDecoder(linkType: linkType)
        var fresh = uncached(linkType)
        for (index, frame) in frames.enumerated() {
            frame.withUnsafeBytes { bytes in
                let reference = fresh.decode(bytes)
                let first = warm.decode(bytes)
                let second = warm.decode(bytes)
                _ = fresh.decode(bytes)
                #expect(first == reference, "\(what) frame \(index + 1): cached elements differ from a fresh parse")
                #expect(second == reference, "\(what) frame \(index + 1): reused elements differ from a fresh parse")
            }
        }
        #expect(warm.counters == fresh.counters, "\(what): counters differ")
    }

    /// `Fixture.allElements` with another SSID and DS channel, and optionally another HT info.
    static func elements(ssid: String = "6d 61 6c 6c", channel: String = "06", htInfo: String = "ef 01") -> [UInt8] {
        let ssidBytes = hex(ssid)
        return hex("00") + [UInt8(ssidBytes.count)] + ssidBytes   // SSID element
            + hex("01 04 82 84 8b 96")                              // supported rates 1, 2, 5.5, 11 Mb/s
            + hex("03 01", channel)                                 // DS parameter set
            + Array(Fixture.allElements[15...])                     // HT capabilities … HE, as in the fixture
            .enumerated().map { $0.offset == 2 ? hex(htInfo)[0] : $0.offset == 3 ? hex(htInfo)[1] : $0.element }
    }

    @Test func repeatedListTakesThisFramesSSIDAndChannel() throws {
        var decoder = FrameDecoder(linkType: .ieee80211)
        let first = try #require(decoder.decode(Fixture.probeHeader + Self.elements(), linkType: .ieee80211).probe)
        let frame = Fixture.probeHeader + Self.elements(ssid: "73 68 6f 70 31", channel: "0b")  // SSID "shop1", channel 11
        let second = try #require(decoder.decode(frame, linkType: .ieee80211).probe)
        #expect(first.ssid.description == "mall")
        #expect(first.dsChannel == 6)
        #expect(second.ssid.description == "shop1")
        #expect(second.dsChannel == 11)
        #expect(second.htCapabilities == 0x01EF)
        #expect(second.fingerprint.rawValue == Fixture.allElementsFingerprint)  // SSID and DS are not fingerprinted
        #expect(second.elements.elementCount == 10)
        #expect(!second.hasMalformedElements)
    }

    /// Lists that land in one slot (same length, same first and last words) but differ inside
    /// must each get their own fields: the slot is used only after comparing every byte.
    @Test func sameSlotDifferentBytesGetTheirOwnFields() throws {
        let original = Self.elements()
        let changed = Self.elements(htInfo: "ee 01")  // HT capability info 0x01ee: bit 0 (LDPC) cleared
        func slot(_ list: [UInt8]) -> Int {
            list.withUnsafeBytes { raw in
                let ssidEnd = 2 + Int(raw[1])
                return ElementSummaryCache.slot(raw.baseAddress! + ssidEnd, restCount: raw.count - ssidEnd,
                                                listEnd: raw.baseAddress! + raw.count, listCount: raw.count)
            }
        }
        #expect(slot(original) == slot(changed), "premise: both lists use one slot")
        var decoder = FrameDecoder(linkType: .ieee80211)
        for _ in 0 ..< 2 {
            let a = try #require(decoder.decode(Fixture.probeHeader + original, linkType: .ieee80211).probe)
            let b = try #require(decoder.decode(Fixture.probeHeader + changed, linkType: .ieee80211).probe)
            #expect(a.htCapabilities == 0x01EF)
            #expect(a.fingerprint.rawValue == Fixture.allElementsFingerprint)
            #expect(b.htCapabilities == 0x01EE)
            #expect(b.fingerprint.rawValue != Fixture.allElementsFingerprint)
        }
    }

    /// The byte compare behind every hit sees a difference at any position of any length.
    @Test func byteCompareFindsEveryDifference() {
        for n in 0 ... 70 {
            let a = (0 ..< n).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
            a.withUnsafeBytes { x in
                #expect(ElementSummaryCache.Shape.equal(x.baseAddress ?? UnsafeRawPointer(bitPattern: 8)!, x.baseAddress ?? UnsafeRawPointer(bitPattern: 8)!, n))
            }
            for at in 0 ..< n {
                var b = a
                b[at] ^= 0x80
                let same = a.withUnsafeBytes { x in b.withUnsafeBytes { y in ElementSummaryCache.Shape.equal(x.baseAddress!, y.baseAddress!, n) } }
                #expect(!same, "length \(n), byte \(at)")
            }
        }
    }

    /// Lists outside the cached shape (SSID not first, two SSIDs or DS elements, truncation,
    /// an over-long SSID, no DS) decode like a fresh parse, repeated and interleaved.
    @Test func unusualShapesDecodeLikeAFreshParse() {
        let rates = hex("01 04 82 84 8b 96")             // supported rates
        let ds6 = hex("03 01 06")                          // DS parameter set: channel 6
        let ds0 = hex("03 00")                             // DS parameter set without a body
        let ssid = hex("00 04 6d 61 6c 6c")                // SSID "mall"
        let longSSID = hex("00 21") + Array(repeating: 0x61, count: 33)  // SSID of 33 bytes (max 32)
        let vendor = hex("dd 07 00 50 f2 08 00 12 00")     // vendor: Microsoft OUI, type 8
        let lists: [[UInt8]] = [
            rates + ssid + ds6 + vendor,          // SSID not first
            ssid + rates + ssid + vendor,         // two SSIDs
            ssid + rates + ds6 + vendor + ds6,    // two DS elements
            ssid + rates + ds0 + vendor,          // DS without a channel
            ssid + rates + vendor,                // no DS (5 GHz)
            ssid + rates + ds6 + hex("dd 09 00"), // last element runs past the end
            ssid + rates + hex("dd"),             // a lone tag byte at the end
            longSSID + rates + ds6 + vendor,      // over-long SSID
            hex("00 05 6d 61"),                   // SSID running past the end
            ssid,                                 // SSID only
            [],                                   // no elements
            ssid + rates + ds6 + hex("dd 02 00 50"), // vendor element too short for an OUI
        ]
        let frames = (lists + lists.reversed() + lists).map { Fixture.probeHeader + $0 }
        Self.expectCacheInvisible(frames, .ieee80211, "shapes")
        var decoder = FrameDecoder(linkType: .ieee80211)
        let long = decoder.decode(frames[7], linkType: .ieee80211).probe
        #expect(long?.hasMalformedElements == true, "a 33-byte SSID is malformed")
        #expect(long?.dsChannel == 6)
    }

    /// Every frame of every classic pcap in ../shared/captures, in order.
    @Test(.enabled(if: capturesDirectory != nil, "../shared/captures is absent"))
    func everyCaptureDecodesLikeAFreshParse() throws {
        let paths = RadiotapLayoutCacheTests.classicPcaps(under: try #require(capturesDirectory))
        #expect(paths.count > 40)
        var probes = 0
        for path in paths {
            guard let pcap = try? PcapFile(path: path) else { continue }
            let frames = pcap.records.map(\.data)
            Self.expectCacheInvisible(frames, pcap.linkType, path)
            var counting = FrameDecoder(linkType: pcap.linkType)
            for frame in frames { _ = frame.withUnsafeBytes { counting.decode($0) } }
            probes += Int(counting.counters.probeRequests)
        }
        #expect(probes > 5000, "the real captures exercise the cache")
    }

    /// Random byte flips in the element lists of real probe requests, each mutant decoded right
    /// after its original (a warm slot it must not borrow from) and compared with a fresh parse.
    @Test(.enabled(if: capturesDirectory != nil, "../shared/captures is absent"))
    func mutatedElementListsDecodeLikeAFreshParse() throws {
        let paths = RadiotapLayoutCacheTests.classicPcaps(under: try #require(capturesDirectory))
        var rng = SplitMix64(state: 0x4D47_4945)
        for path in paths {
            guard let pcap = try? PcapFile(path: path) else { continue }
            var frames: [[UInt8]] = []
            for record in pcap.records.prefix(400) {
                var frame = record.data
                guard frame.count > 48 else { continue }
                frames.append(frame)
                for _ in 0 ... rng.next() % 3 {
                    // The last 40 % of the frame: mostly element bytes (ids, lengths, bodies).
                    let at = frame.count - 1 - Int(rng.next() % UInt64(frame.count * 2 / 5))
                    frame[at] ^= UInt8(truncatingIfNeeded: rng.next() | 1)
                }
                frames.append(frame)
            }
            Self.expectCacheInvisible(frames, pcap.linkType, "mutants of \(path)")
        }
    }
}

extension FrameDecoder {
    /// Decodes a byte array (test convenience).
    mutating func decode(_ frame: [UInt8], linkType: LinkType) -> DecodedFrame {
        frame.withUnsafeBytes { decode($0) }
    }
}
