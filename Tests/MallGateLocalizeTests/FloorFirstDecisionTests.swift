import MallGateLocalize
import Testing

/// Floor first, then zone: worked by hand on small probability vectors.
@Suite struct FloorFirstDecisionTests {
    @Test func theFloorWithMostProbabilityWinsOverTheSingleBestZone() {
        // Classes 0–2 on floor "0" (0.25 + 0.25 + 0.2 = 0.7), class 3 on floor "1" with 0.3,
        // the largest single value: the plain argmax says class 3, the floor vote says floor "0"
        // and its best class is the first 0.25 (class 0, ties going to the lower index).
        let d = FloorFirstDecision(floors: ["0", "0", "0", "1"])
        #expect(d.floorCount == 2)
        #expect(d.choose([0.25, 0.25, 0.2, 0.3]) == 0)
        // When the best zone's floor also holds the most probability, it is the answer.
        #expect(d.choose([0.1, 0.1, 0.1, 0.7]) == 3)
    }

    @Test func floorsMayComeInAnyOrder() {
        // Floor "B" holds 0.2 + 0.35 = 0.55 against 0.45 for floor "A".
        let d = FloorFirstDecision(floors: ["A", "B", "A", "B"])
        #expect(d.floorOfClass == [0, 1, 0, 1])
        #expect(d.choose([0.05, 0.2, 0.4, 0.35]) == 3)
    }

    @Test func oneFloorIsThePlainArgmax() {
        let d = FloorFirstDecision(floors: ["0", "0", "0"])
        #expect(d.choose([0.2, 0.5, 0.3]) == 1)
    }
}
