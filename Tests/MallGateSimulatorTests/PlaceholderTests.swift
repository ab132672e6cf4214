import Testing
@testable import MallGateSimulator

@Test func simulatorModuleLinks() {
    #expect(SimulatorInfo.formatVersion == 1)
}
