import MallGateTestSupport
import Glibc
import Testing

@Suite struct SimulateCommandTests {
    @Test func simulatesTheSmallArcadeAndSaysWhatItWrote() throws {
        try #require(access(mallgateBinary, X_OK) == 0, "swift test builds mallgate next to the tests: \(mallgateBinary)")
        let parent = makeTemporaryDirectory("cli")
        defer { removeTree(parent) }
        let dir = parent + "/runs/arcade"  // missing parents are created, like mkdir -p
        let venue = packageRoot + "/firmware-configs/venues/small-arcade.json"
        let r = shell("'\(mallgateBinary)' simulate --venue '\(venue)' --out '\(dir)' --duration 2m --visitors 12 --staff 1 --seed 3 --report 2>&1")
        #expect(r.status == 0, "\(r.output)")
        #expect(r.output.contains("simulated small-arcade: 12 visitors, 1 staff"))
        #expect(r.output.contains(dir + "/truth-visits.csv"))
        #expect(r.output.contains("| distance | frames | median dBm |"))
        for name in ["truth-positions.csv", "truth-visits.csv", "truth-macs.csv", "truth-devices.csv", "labels.csv", "summary.json"] {
            #expect(access(dir + "/" + name, R_OK) == 0, "\(name) missing")
        }
    }

    @Test func refusesBadDurationsAndTimesWithAHint() throws {
        try #require(access(mallgateBinary, X_OK) == 0, "swift test builds mallgate next to the tests: \(mallgateBinary)")
        let venue = packageRoot + "/firmware-configs/venues/small-arcade.json"
        let a = shell("'\(mallgateBinary)' simulate --venue '\(venue)' --out /tmp/unused --duration soon 2>&1")
        #expect(a.status != 0)
        #expect(a.output.contains("--duration soon: write e.g. 90s, 30m, 1h, 1h30m or a number of seconds"))
        let b = shell("'\(mallgateBinary)' simulate --venue '\(venue)' --out /tmp/unused --start 2026-11-29 2>&1")
        #expect(b.status != 0)
        #expect(b.output.contains("--start 2026-11-29: write an RFC 3339 time such as 2026-11-29T10:00:00Z"))
        let c = shell("'\(mallgateBinary)' simulate --venue /nonexistent.json --out /tmp/unused 2>&1")
        #expect(c.status != 0)
        #expect(c.output.contains("/nonexistent.json"))
    }
}
