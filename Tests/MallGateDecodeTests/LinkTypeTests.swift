import Testing
@testable import MallGateDecode

@Test func linkTypesMatchLibpcapDLTNumbers() {
    #expect(LinkType.radiotap.rawValue == 127)
    #expect(LinkType.ieee80211.rawValue == 105)
    #expect(LinkType.ppi.rawValue == 192)
    #expect(LinkType(rawValue: 1).isSupported == false)
}
