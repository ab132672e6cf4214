import Testing
import MallGateIdentify

/// Purity and fragmentation on groupings small enough to count by hand.
struct GroupingScoreTests {
    @Test func perfectGrouping() {
        let s = GroupingScore([(1, "a"), (1, "a"), (2, "b")].map { (predicted: $0.0, truth: $0.1) })
        #expect(s.purity == 1 && s.inversePurity == 1 && s.fragmentation == 1 && s.countError == 0)
    }

    @Test func aMergeLowersPurityAndASplitRaisesFragmentation() {
        // Predicted 1 holds a,a,b (majority 2 of 3); predicted 2 and 3 split c.
        let s = GroupingScore([(1, "a"), (1, "a"), (1, "b"), (2, "c"), (3, "c"), (3, "c")].map { (predicted: $0.0, truth: $0.1) })
        #expect(s.frames == 6 && s.predictedDevices == 3 && s.trueDevices == 3)
        #expect(s.purity == 5.0 / 6.0)  // 2 (a in 1) + 1 (c in 2) + 2 (c in 3)
        #expect(s.inversePurity == 5.0 / 6.0)  // a: 2, b: 1, c: 2 (in 3)
        #expect(s.fragmentation == 4.0 / 3.0)  // a in {1}, b in {1}, c in {2, 3}
    }
}
