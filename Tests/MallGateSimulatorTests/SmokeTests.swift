import Testing
import MallGateVenue
@testable import MallGateSimulator

@Test func smokeRun() throws {
    let dir = temporaryDirectory("smoke")
    let sim = try Simulation(venue: arcade(), configuration: SimulationConfiguration(seed: 7, duration: 600, visitors: 40, staff: 2))
    let summary = try sim.run(writingTo: dir)
    print(summary.report())
    print(dir)
}
