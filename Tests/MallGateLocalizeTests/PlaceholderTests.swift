import Testing
@testable import MallGateLocalize

@Test func localizeModuleLinks() {
    #expect(LocalizeInfo.modelFormatVersion == 1)
}
