/// Several classifiers whose calibrated probabilities are averaged: the MLP and the trees err
/// on different windows (smooth boundaries against axis-aligned cuts), so their mean is often
/// right where either alone is not. Chosen only when cross-validation says so.
public struct EnsembleModel: ZoneModel {
    /// A member and the temperature fitted to its own held-out scores.
    public struct Member: Sendable {
        public var classifier: LocalizationModel.Classifier
        public var temperature: Float
    }

    public let members: [Member]
    public var featureCount: Int { members[0].classifier.featureCount }
    public var classCount: Int { members[0].classifier.classCount }
    /// The ensemble kind with these members, in the order ``LocalizationModel/Kind/members`` lists them.
    public var kind: LocalizationModel.Kind {
        let kinds = members.map(\.classifier.kind)
        return LocalizationModel.Kind.allCases.first { $0.members.count > 1 && $0.members == kinds } ?? .mlpTrees
    }

    init(members: [Member]) {
        precondition(!members.isEmpty && members.allSatisfy {
            $0.classifier.featureCount == members[0].classifier.featureCount && $0.classifier.classCount == members[0].classifier.classCount
        })
        self.members = members
    }

    /// log of the members' mean probability; scratch on the stack, no allocation.
    public func logScores(_ features: UnsafeBufferPointer<Float>, into scores: UnsafeMutableBufferPointer<Float>) {
        let c = classCount
        withUnsafeTemporaryAllocation(of: Float.self, capacity: c) { member in
            for j in 0..<c { scores[j] = 0 }
            for m in members {
                m.classifier.logScores(features, into: member)
                softmaxInPlace(member, temperature: m.temperature)
                for j in 0..<c { scores[j] += member[j] }
            }
            let inv = 1 / Float(members.count)
            for j in 0..<c { scores[j] = Float(log(Double(max(scores[j] * inv, 1e-30)))) }
        }
    }
}
