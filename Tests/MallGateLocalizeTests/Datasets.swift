import MallGateLocalize

/// The public datasets under `../shared/datasets/` (read in place, never copied), found from
/// this file's path: Tests/MallGateLocalizeTests → package root → ../shared.
enum Datasets {
    static let root: String = {
        var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)  // Datasets.swift, MallGateLocalizeTests, Tests
        return parts.joined(separator: "/") + "/../shared/datasets"
    }()

    static func path(_ relative: String) -> String { root + "/" + relative }

    /// Whether the shared folder is there; tests skip with this message when it is not.
    static var available: Bool { FileCheck.exists(root) }
    static let skipMessage = "../shared/datasets is absent: dataset tests need the shared folder next to the package"
}

/// Accuracy over held-out predictions, for one label (or the whole class when `label` is nil).
func heldOutAccuracy(_ model: LocalizationModel, _ set: FingerprintSet, _ probabilities: [Float]) -> Float {
    let c = model.classes.count
    var correct = 0
    for i in 0..<set.count {
        var best = 0
        for j in 0..<c where probabilities[i * c + j] > probabilities[i * c + best] { best = j }
        if model.classes.classes[best] == set.labels[i] { correct += 1 }
    }
    return Float(correct) / Float(set.count)
}
