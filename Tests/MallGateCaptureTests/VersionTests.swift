import Testing
@testable import MallGateCapture

@Test func linksAgainstLibpcap() {
    #expect(libpcapVersion().hasPrefix("libpcap version"))
}
