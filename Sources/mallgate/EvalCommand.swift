import ArgumentParser
import MallGateLocalize

/// `mallgate eval`: a model file against labelled fingerprints.
struct EvalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate a model file on labelled fingerprints: accuracy per label, calibration, confusions.",
        discussion: """
            The label and RSSI columns default to the names the model was trained with,
            so a file with the training file's header needs only --model and --csv.
            Sensors are matched by name; sensors the model knows but the file lacks count
            as not heard.

            Example:
              mallgate eval --model uji.mgm --csv validationData.csv
            """)

    @Option(help: ArgumentHelp("The model file.", valueName: "file"))
    var model: String

    @Option(help: ArgumentHelp("Labelled fingerprints (.gz is decompressed).", valueName: "file"))
    var csv: String

    @OptionGroup var input: FingerprintInput

    func run() async throws {
        let loaded: LocalizationModel
        do { loaded = try ModelFile.load(path: model) } catch {
            printError("mallgate eval: \(error)")
            throw ExitCode(2)
        }
        let set: FingerprintSet
        do {
            set = try input.load(csv, defaultLabels: loaded.classes.labelNames, defaultRSS: loaded.features.sensorNames)
        } catch let e as FingerprintCSVError {
            printError("mallgate eval: \(e)")
            throw ExitCode(2)
        }
        guard set.labelNames.count == loaded.classes.labelNames.count else {
            printError("mallgate eval: the model predicts \(loaded.classes.labelNames.joined(separator: ",")); give as many --label columns")
            throw ExitCode(2)
        }
        print("model: \(model) — \(loaded.report.chosen), \(loaded.classes.count) classes, \(loaded.features.sensorCount) sensors, trained on \(loaded.report.sampleCount) samples")
        guard let (e, _, probabilities) = await loaded.evaluate(set) else {
            printError("mallgate eval: \(csv) shares no sensor name with the model")
            throw ExitCode(2)
        }
        print(ReportText.evaluation(e, title: "per sample (\(csv))"), terminator: "")
        if let s = input.smoothed(set: set, probabilities: probabilities, classes: loaded.classes) {
            print(ReportText.evaluation(s, title: "smoothed per --sequence over time (forward filter, switch probability \(input.switchProbability))"), terminator: "")
        }
    }
}
