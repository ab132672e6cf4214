import Testing
@testable import MallGateDecode

@Suite struct ProbeRequestTests {
    @Test func decodesEveryElement() throws {
        let (result, counters) = decodeOne(Fixture.probe, .ieee80211)
        let probe = try #require(result.probe)
        #expect(probe.radio == RadioInfo())  // DLT 105: no radio header, no RSSI
        #expect(probe.source.description == "02:11:22:33:44:55")
        #expect(probe.destination == .broadcast)
        #expect(probe.bssid == .broadcast)
        #expect(probe.sequenceNumber == 0x123)
        #expect(probe.fragmentNumber == 0)
        #expect(probe.isRandomized)
        #expect(probe.ssid.description == "mall")
        #expect(probe.ssid.isWildcard == false)
        #expect(probe.supportedRates.ratesKbps == [1000, 2000, 5500, 11000])
        #expect([2, 4, 11, 22].allSatisfy { probe.supportedRates.isBasic(code: $0) })
        #expect(probe.extendedRates.ratesKbps == [6000, 9000, 12000, 48000])
        #expect(probe.extendedRates.isBasic(code: 12) == false)
        #expect(probe.dsChannel == 6)
        #expect(probe.htCapabilities == 0x01EF)
        #expect(probe.vhtCapabilities == 0x3380_0192)
        #expect(probe.heCapabilities == 0x400C_8000_0803)
        let ext = try #require(probe.extendedCapabilities)
        #expect(ext.length == 8)
        #expect(ext.low == 0x8040_0001_020A_0004)
        #expect(ext.bit(2) && ext.bit(19) && ext.bit(63) && !ext.bit(0))
        #expect(Array(probe.vendorElements) == [VendorElement(oui: 0x0050F2, type: 8), VendorElement(oui: 0x001018, type: 2)])
        #expect(probe.vendorElements.overflowCount == 0)
        #expect(probe.elements.elementCount == 10)
        #expect(probe.hasMalformedElements == false)
        #expect(probe.fingerprint.rawValue == Fixture.allElementsFingerprint)
        #expect(counters.probeRequests == 1 && counters.malformedElementLists == 0)
    }

    @Test func wildcardAndDirectedSSID() throws {
        let wildcard = try #require(decodeOne(Fixture.probeHeader + hex("00 00", "01 01 82"), .ieee80211).0.probe)
        #expect(wildcard.ssid.isWildcard)
        #expect(wildcard.ssid.count == 0)
        #expect(wildcard.ssid.description == "")
        let directed = try #require(decodeOne(Fixture.probeHeader + hex("00 05 43 61 66 c3 a9", "01 01 82"), .ieee80211).0.probe)  // SSID "Café" in UTF-8
        #expect(directed.ssid.description == "Café")
        #expect(directed.ssid == SSID(Array("Café".utf8)))
        // SSID and DS channel are outside the fingerprint: a directed scan keeps the same value.
        #expect(directed.fingerprint == wildcard.fingerprint)
    }

    @Test func nonUTF8SSIDIsKeptAsBytes() throws {
        let probe = try #require(decodeOne(Fixture.probeHeader + hex("00 04 ff fe 41 5c"), .ieee80211).0.probe)  // SSID bytes ff fe 'A' '\'
        #expect(probe.ssid.bytes == [0xFF, 0xFE, 0x41, 0x5C])
        #expect(probe.ssid.description == #"\xff\xfeA\\"#)
        #expect(probe.ssid.withUnsafeBytes { $0.count } == 4)
    }

    @Test func oversizedSSIDIsTruncatedAndFlagged() throws {
        let probe = try #require(decodeOne(Fixture.probeHeader + [0x00, 33] + [UInt8](repeating: 0x61, count: 33), .ieee80211).0.probe)
        #expect(probe.ssid.count == 32)
        #expect(probe.hasMalformedElements)
    }

    @Test func universalAddressIsNotRandomized() throws {
        var frame = Fixture.probe
        frame[10] = 0x00  // SA 00:11:22:33:44:55, a universally administered address
        let probe = try #require(decodeOne(frame, .ieee80211).0.probe)
        #expect(probe.isRandomized == false)
        #expect(probe.source.isGroup == false)
    }

    @Test func htControlFieldMakesHeader28Bytes() throws {
        let frame = hex(
            "40 80",              // probe request; Order bit set → +HT Control
            "00 00", "ff ff ff ff ff ff", "02 aa bb cc dd ee", "ff ff ff ff ff ff",
            "10 00",              // sequence 1, fragment 0
            "03 00 00 00",        // HT Control (4 bytes)
            "00 03 61 62 63"      // SSID "abc"
        )
        let probe = try #require(decodeOne(frame, .ieee80211).0.probe)
        #expect(probe.ssid.description == "abc")
        #expect(probe.hasMalformedElements == false)
        #expect(probe.sequenceNumber == 1)
    }

    @Test func elementLengthPastTheEndKeepsProbeAndCountsIt() throws {
        let frame = Fixture.probeHeader + hex("00 04 6d 61 6c 6c", "dd ff 00 50")  // SSID "mall", then vendor claiming 255 bytes
        let (result, counters) = decodeOne(frame, .ieee80211)
        let probe = try #require(result.probe)
        #expect(probe.ssid.description == "mall")
        #expect(probe.hasMalformedElements)
        #expect(probe.vendorElements.isEmpty)
        #expect(counters.malformedElementLists == 1 && counters.probeRequests == 1)
    }

    @Test func loneTagByteAtEndIsMalformed() throws {
        let probe = try #require(decodeOne(Fixture.probeHeader + hex("00 00", "dd"), .ieee80211).0.probe)
        #expect(probe.hasMalformedElements)
    }

    @Test func moreThanEightVendorElementsOverflow() throws {
        var elements: [UInt8] = []
        for i in 0 ..< 10 { elements += [0xDD, 4, 0x00, 0x17, 0xF2, UInt8(i)] }  // Apple OUI, types 0…9
        let probe = try #require(decodeOne(Fixture.probeHeader + elements, .ieee80211).0.probe)
        #expect(probe.vendorElements.count == 8)
        #expect(probe.vendorElements.overflowCount == 2)
        #expect(probe.vendorElements[7] == VendorElement(oui: 0x0017F2, type: 7))
    }

    @Test(arguments: [0, 1, 9, 10, 23])
    func shortManagementFrameIsTruncated(length: Int) {
        let (result, counters) = decodeOne(Array(Fixture.probe.prefix(length)), .ieee80211)
        #expect(result.dropReason == .truncated80211Header)
        #expect(counters.dropped(.truncated80211Header) == 1)
    }

    @Test func headerOnlyProbeHasNoElements() throws {
        let probe = try #require(decodeOne(Fixture.probeHeader, .ieee80211).0.probe)
        #expect(probe.ssid.isWildcard && probe.elements.elementCount == 0 && !probe.hasMalformedElements)
    }

    @Test func protocolVersionMustBeZero() {
        var frame = Fixture.probe
        frame[0] = 0x41  // probe request with protocol version 1
        #expect(decodeOne(frame, .ieee80211).0.dropReason == .unsupported80211Version)
    }

    @Test func beaconIsOtherFrame() {
        var frame = Fixture.probe
        frame[0] = 0x80  // management subtype 8: beacon
        let (result, counters) = decodeOne(frame, .ieee80211)
        #expect(result.isOther)
        #expect(counters.otherFrames == 1)
    }

    @Test func deviceFramesOnlyWhenAsked() throws {
        let assoc = hex("00 00", "00 00", "00 0c 0c 0c 0c 0c", "02 11 22 33 44 55", "00 0c 0c 0c 0c 0c", "50 00")  // association request, seq 5
        #expect(decodeOne(assoc, .ieee80211).0.isOther)
        let (result, counters) = decodeOne(assoc, .ieee80211, options: .init(includeDeviceFrames: true))
        let device = try #require(result.device)
        #expect(device.kind == .associationRequest)
        #expect(device.source == MACAddress(string: "02:11:22:33:44:55"))
        #expect(device.sequenceNumber == 5)
        #expect(counters.deviceFrames == 1)

        let nullToAP = hex("48 01", "00 00", "00 0c 0c 0c 0c 0c", "02 11 22 33 44 55", "00 0c 0c 0c 0c 0c", "00 00")  // null data, ToDS
        #expect(decodeOne(nullToAP, .ieee80211, options: .init(includeDeviceFrames: true)).0.device?.kind == .nullDataToAP)
        let dataFromAP = hex("08 02", "00 00", "02 11 22 33 44 55", "00 0c 0c 0c 0c 0c", "00 0c 0c 0c 0c 0c", "00 00")  // data, FromDS
        #expect(decodeOne(dataFromAP, .ieee80211, options: .init(includeDeviceFrames: true)).0.isOther)
        let psPoll = hex("a4 10", "01 c0", "00 0c 0c 0c 0c 0c", "02 11 22 33 44 55")  // PS-Poll, 16 bytes
        #expect(decodeOne(psPoll, .ieee80211, options: .init(includeDeviceFrames: true)).0.device?.kind == .powerSavePoll)
    }

    @Test func ackIsOtherAndTooShortFrameIsDropped() {
        let ack = hex("d4 00", "00 00", "02 11 22 33 44 55")  // ACK, 10 bytes
        #expect(decodeOne(ack, .ieee80211).0.isOther)
        #expect(decodeOne(Array(ack.prefix(9)), .ieee80211).0.dropReason == .truncated80211Header)
    }
}

@Suite struct ValueTypeTests {
    @Test func macAddressTextRoundTrip() throws {
        let mac = try #require(MACAddress(string: "AA:bb:0c:dd:ee:0F"))
        #expect(mac.description == "aa:bb:0c:dd:ee:0f")
        #expect(mac.isGroup == false && mac.isLocallyAdministered == true)  // 0xaa = 1010 1010: U/L set, I/G clear
        #expect(MACAddress(string: "aa-bb-0c-dd-ee-0f") == mac)
        #expect(MACAddress(string: "aa:bb:cc:dd:ee") == nil)
        #expect(MACAddress(string: "aa:bb:cc:dd:ee:fff") == nil)
        #expect(MACAddress(string: "a:bb:cc:dd:ee:ff") == nil)
        #expect(MACAddress(string: "gg:bb:cc:dd:ee:ff") == nil)
        #expect(MACAddress.broadcast.isGroup)
        #expect(MACAddress(string: "00:00:00:00:00:01")! < MACAddress(string: "01:00:00:00:00:00")!)
        #expect(mac.oui == 0xAABB0C)
    }

    @Test func channelNumbers() {
        #expect(RadioInfo.channelNumber(forMHz: 2412) == 1)
        #expect(RadioInfo.channelNumber(forMHz: 2484) == 14)
        #expect(RadioInfo.channelNumber(forMHz: 5180) == 36)
        #expect(RadioInfo.channelNumber(forMHz: 5825) == 165)
        #expect(RadioInfo.channelNumber(forMHz: 5955) == 1)  // 6 GHz channel 1
        #expect(RadioInfo.channelNumber(forMHz: 6115) == 33)
        #expect(RadioInfo.channelNumber(forMHz: 0) == nil)
    }

    @Test func countersMerge() {
        var a = FrameDecoder(linkType: .ieee80211)
        var b = FrameDecoder(linkType: .ieee80211)
        _ = Fixture.probe.withUnsafeBytes { a.decode($0) }
        _ = [UInt8]().withUnsafeBytes { b.decode($0) }
        _ = [UInt8]().withUnsafeBytes { b.decode($0) }
        var total = a.counters
        total.add(b.counters)
        #expect(total.frames == 3 && total.probeRequests == 1)
        #expect(total.dropped(.truncated80211Header) == 2)
        #expect(total.droppedTotal == 2)
        #expect(total != a.counters)
    }

    @Test func unsupportedLinkTypeIsCounted() {
        let (result, counters) = decodeOne(Fixture.probe, LinkType(rawValue: 1))
        #expect(result.dropReason == .unsupportedLinkType)
        #expect(counters.dropped(.unsupportedLinkType) == 1)
    }
}
