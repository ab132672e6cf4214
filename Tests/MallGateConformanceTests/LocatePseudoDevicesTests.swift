import Glibc
import MallGateTestSupport
import Testing

/// `mallgate locate --pseudo-devices --pseudo-device-map FILE`: the map says which MACs each
/// pseudo-device holds, so visits on pseudo-devices can be scored against a simulation's truth.
/// Checked against the simulator's own count of frames heard per MAC.
@Suite struct LocatePseudoDevicesTests {
    static let arcade = packageRoot + "/firmware-configs/venues/small-arcade.json"

    /// Rows of a CSV file with a header, as dictionaries (no quoted fields in these files).
    static func rows(_ path: String) -> [[String: String]] {
        let lines = (readText(path) ?? "").split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        guard let header = lines.first else { return [] }
        return lines.dropFirst().map { Dictionary(uniqueKeysWithValues: zip(header, $0)) }
    }

    @Test func theMapAccountsForEveryFrameOfEveryMAC() throws {
        try #require(access(mallgateBinary, X_OK) == 0, "swift test builds mallgate next to the tests: \(mallgateBinary)")
        let dir = makeTemporaryDirectory("locate-pseudo")
        let m = sh(mallgateBinary)
        let sim = shell("\(m) simulate --venue \(sh(Self.arcade)) --out \(sh(dir + "/sim")) --duration 4m --visitors 5 --staff 0 --seed 4 2>&1")
        try #require(sim.status == 0, "\(sim.output)")
        let train = shell("\(m) train --venue \(sh(Self.arcade)) --captures \(sh(dir + "/sim")) --labels \(sh(dir + "/sim/labels.csv")) --models mlp --folds 0 --quiet --output \(sh(dir + "/m.mgm")) 2>&1")
        try #require(train.status == 0, "\(train.output)")

        let locate = shell("\(m) locate --model \(sh(dir + "/m.mgm")) --venue \(sh(Self.arcade)) \(sh(dir + "/sim")) --format csv --pseudo-devices"
            + " --pseudo-device-map \(sh(dir + "/map.csv")) --visits \(sh(dir + "/visits.csv")) > \(sh(dir + "/located.csv"))", mergeStderr: true)
        try #require(locate.status == 0, "\(locate.output)")
        #expect(readText(dir + "/map.csv")?.hasPrefix("mac,device,frames\n") == true)
        let map = Self.rows(dir + "/map.csv")

        // Every frame the simulator wrote, MAC by MAC, is in the map once; no MAC it did not write.
        var mapped: [String: Int] = [:]
        for row in map { mapped[row["mac"] ?? "", default: 0] += Int(row["frames"] ?? "") ?? -1_000_000 }
        let truth = Self.rows(dir + "/sim/truth-macs.csv").filter { $0["frames_heard"] != "0" }
        #expect(!truth.isEmpty)
        #expect(mapped == Dictionary(uniqueKeysWithValues: truth.map { ($0["mac"]!, Int($0["frames_heard"]!)!) }))

        // Pseudo-devices, named as locate names them everywhere, and fewer than the MACs (18 of
        // the 19 MACs are randomized).
        let devices = Set(map.compactMap { $0["device"] })
        #expect(devices.allSatisfy { $0.hasPrefix("pd-") }, "\(devices)")
        #expect(devices.count < mapped.count, "\(devices.count) pseudo-devices for \(mapped.count) MACs")
        let located = Set(Self.rows(dir + "/located.csv").compactMap { $0["device"] })
        #expect(!located.isEmpty && located.isSubset(of: devices), "\(located.subtracting(devices))")
        let visiting = Set(Self.rows(dir + "/visits.csv").compactMap { $0["device"] })
        #expect(visiting.isSubset(of: devices), "\(visiting.subtracting(devices))")
    }

    @Test func theMapNeedsPseudoDevices() {
        let run = shell("\(sh(mallgateBinary)) locate --model m.mgm --venue v.json c.pcap --pseudo-device-map map.csv", mergeStderr: true)
        #expect(run.status != 0)
        #expect(run.output.hasPrefix("Error: --pseudo-device-map needs --pseudo-devices\n"), "\(run.output)")
    }
}
