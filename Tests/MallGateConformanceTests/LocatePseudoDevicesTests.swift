import Glibc
import MallGateTestSupport
import Testing

/// `mallgate locate --pseudo-devices --pseudo-device-map FILE`: the map says which MACs each
/// pseudo-device holds, so visits on pseudo-devices can be scored against a simulation's truth.
/// Checked against the simulator's own count of frames heard per MAC.
@Suite struct LocatePseudoDevicesTests {
    static let arcade = TrainFromCapturesTests.arcade

    @Test func theMapAccountsForEveryFrameOfEveryMAC() throws {
        try #require(access(mallgateBinary, X_OK) == 0, "swift test builds mallgate next to the tests: \(mallgateBinary)")
        let dir = makeTemporaryDirectory("locate-pseudo")
        let m = sh(mallgateBinary)
        try TrainFromCapturesTests.simulateArcadeWalk(into: dir + "/sim", seed: 4)
        let train = shell("\(m) train --venue \(sh(Self.arcade)) --captures \(sh(dir + "/sim")) --labels \(sh(dir + "/sim/labels.csv")) --models mlp --folds 0 --quiet --output \(sh(dir + "/m.mgm")) 2>&1")
        try #require(train.status == 0, "\(train.output)")

        let locate = shell("\(m) locate --model \(sh(dir + "/m.mgm")) --venue \(sh(Self.arcade)) \(sh(dir + "/sim")) --format csv --pseudo-devices"
            + " --pseudo-device-map \(sh(dir + "/map.csv")) --visits \(sh(dir + "/visits.csv")) > \(sh(dir + "/located.csv"))", mergeStderr: true)
        try #require(locate.status == 0, "\(locate.output)")
        #expect(readText(dir + "/map.csv")?.hasPrefix("mac,device,frames\n") == true)
        let map = CSVTable(path: dir + "/map.csv").records

        // Every frame the simulator wrote, MAC by MAC, is in the map once; no MAC it did not write.
        var mapped: [String: Int] = [:]
        for row in map { mapped[row["mac"] ?? "", default: 0] += Int(row["frames"] ?? "") ?? -1_000_000 }
        let truth = CSVTable(path: dir + "/sim/truth-macs.csv").records.filter { $0["frames_heard"] != "0" }
        #expect(!truth.isEmpty)
        #expect(mapped == Dictionary(uniqueKeysWithValues: truth.map { ($0["mac"]!, Int($0["frames_heard"]!)!) }))

        // Pseudo-devices, named as locate names them everywhere, and fewer than the MACs (18 of
        // the 19 MACs are randomized).
        let devices = Set(map.compactMap { $0["device"] })
        #expect(devices.allSatisfy { $0.hasPrefix("pd-") }, "\(devices)")
        #expect(devices.count < mapped.count, "\(devices.count) pseudo-devices for \(mapped.count) MACs")
        let located = Set(CSVTable(path: dir + "/located.csv").records.compactMap { $0["device"] })
        #expect(!located.isEmpty && located.isSubset(of: devices), "\(located.subtracting(devices))")
        let visiting = Set(CSVTable(path: dir + "/visits.csv").records.compactMap { $0["device"] })
        #expect(visiting.isSubset(of: devices), "\(visiting.subtracting(devices))")
    }

    @Test func theMapNeedsPseudoDevices() {
        let run = shell("\(sh(mallgateBinary)) locate --model m.mgm --venue v.json c.pcap --pseudo-device-map map.csv", mergeStderr: true)
        #expect(run.status != 0)
        #expect(run.output.hasPrefix("Error: --pseudo-device-map needs --pseudo-devices\n"), "\(run.output)")
    }
}
