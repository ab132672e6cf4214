import ArgumentParser
import MallGateLocalize
import MallGateVenue

/// `mallgate eval`: a model file against labelled fingerprints, or against a labelled walk.
struct EvalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate a model file on labelled fingerprints or a labelled walk: accuracy per label, calibration, confusions.",
        discussion: """
            The label and RSSI columns default to the names the model was trained with,
            so a file with the training file's header needs only --model and --csv.
            Sensors are matched by name; sensors the model knows but the file lacks count
            as not heard.

            With --venue, --captures and --labels it scores a walk recorded like the
            calibration walk (one capture per sensor, labels mac,start,end,zone) instead:
            a verification walk on other spots or another day, with another phone. Its
            windows are cut as `train` cuts them and scored for zone, floor and kind
            (inside a store or not); --smooth adds the same per phone over time. The
            model must have been trained for this venue's layout.

            Examples:
              mallgate eval --model uji.mgm --csv validationData.csv
              mallgate eval --model demo.mgm --venue demo-mall.json --captures walk2/ \\
                  --labels walk2/labels.csv --smooth
            """)

    @Option(help: ArgumentHelp("The model file.", valueName: "file"))
    var model: String

    @Option(help: ArgumentHelp("Labelled fingerprints (.gz is decompressed).", valueName: "file"))
    var csv: String?

    @OptionGroup var walk: WalkOptions

    @OptionGroup var input: FingerprintInput

    func validate() throws {
        try input.validateSmoothing(samplesFromCaptures: !walk.captures.isEmpty)
        guard (csv != nil) != !walk.captures.isEmpty else { throw ValidationError("give one of --csv FILE or --captures DIR|FILES") }
    }

    func run() async throws {
        let loaded: LocalizationModel
        let set: FingerprintSet
        let source: String
        do {
            if let csv {
                loaded = try ModelFile.load(path: model)
                set = try input.load(csv, defaultLabels: loaded.classes.labelNames, defaultRSS: loaded.features.sensorNames)
                source = csv
            } else {
                let (v, hash) = try CaptureInput.venue(walk.venue!)
                loaded = try ModelFile.load(path: model, venue: (v.id, hash))
                set = try await walk.windows(v, command: "eval")
                source = "the walk of \(walk.labels!)"
            }
        } catch let e as ExitCode {
            throw e
        } catch let e as ValidationError {
            throw e
        } catch {
            printError("mallgate eval: \(error)")
            throw ExitCode(2)
        }
        guard set.labelNames.count == loaded.classes.labelNames.count else {
            printError("mallgate eval: the model predicts \(loaded.classes.labelNames.joined(separator: ",")); give as many --label columns")
            throw ExitCode(2)
        }
        guard set.count > 0 else {
            printError("mallgate eval: \(source) gives no labelled window (are the labels' MACs and times in the captures?)")
            throw ExitCode(2)
        }
        print("model: \(model) — \(loaded.report.chosen), \(loaded.classes.count) classes, \(loaded.features.sensorCount) sensors, trained on \(loaded.report.sampleCount) samples")
        guard let (e, _, probabilities) = await loaded.evaluate(set) else {
            printError("mallgate eval: \(source) shares no sensor name with the model")
            throw ExitCode(2)
        }
        print(ReportText.evaluation(e, title: "per sample (\(source))"), terminator: "")
        if let s = input.smoothed(set: set, probabilities: probabilities, classes: loaded.classes) {
            print(ReportText.evaluation(s, title: "smoothed per --sequence over time (forward filter, switch probability \(input.switchProbability))"), terminator: "")
        }
    }
}
