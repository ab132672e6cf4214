/// Picks a class in two steps: first the floor with the most probability summed over its
/// classes, then the most likely class on that floor.
///
/// Why: a floor is what many classes share. When the evidence is split among several zones of
/// one floor (a phone between stores) and one zone of another floor happens to be the single most
/// likely class, the plain argmax puts the device on the wrong floor although most of the
/// probability says otherwise. Deciding the floor by its marginal first is the "separate floor
/// head" of a hierarchical classifier, computed from the same probabilities.
public struct FloorFirstDecision: Sendable, Equatable {
    /// Per class, the index of its floor (0 ..< floorCount).
    public let floorOfClass: [Int32]
    public let floorCount: Int

    /// - Parameter floors: per class, its floor id (e.g. ``VenueTransitions/floors``).
    public init(floors: [String]) {
        var index: [String: Int32] = [:]
        var order: [Int32] = []
        for f in floors {
            if let i = index[f] {
                order.append(i)
            } else {
                let i = Int32(index.count)
                index[f] = i
                order.append(i)
            }
        }
        floorOfClass = order
        floorCount = index.count
    }

    /// The chosen class for `probabilities` (one per class, any non-negative scale); with a
    /// single floor, the plain argmax. Does not allocate for up to 64 floors.
    public func choose(_ probabilities: UnsafeBufferPointer<Float>) -> Int {
        let c = floorOfClass.count
        precondition(probabilities.count == c, "probabilities for \(probabilities.count) classes, decision has \(c)")
        if floorCount <= 1 || floorCount > 64 { return Self.argmax(probabilities) }
        return withUnsafeTemporaryAllocation(of: Float.self, capacity: floorCount) { mass in
            for f in 0..<floorCount { mass[f] = 0 }
            floorOfClass.withUnsafeBufferPointer { floorOf in
                for j in 0..<c { mass[Int(floorOf[j])] += probabilities[j] }
            }
            var bestFloor = 0
            for f in 1..<floorCount where mass[f] > mass[bestFloor] { bestFloor = f }
            return floorOfClass.withUnsafeBufferPointer { floorOf in
                var best = -1
                for j in 0..<c where Int(floorOf[j]) == bestFloor && (best < 0 || probabilities[j] > probabilities[best]) { best = j }
                return max(best, 0)
            }
        }
    }

    /// ``choose(_:)`` over an array.
    public func choose(_ probabilities: [Float]) -> Int {
        probabilities.withUnsafeBufferPointer { choose($0) }
    }

    static func argmax(_ p: UnsafeBufferPointer<Float>) -> Int {
        var best = 0
        for j in 0..<p.count where p[j] > p[best] { best = j }
        return best
    }
}
