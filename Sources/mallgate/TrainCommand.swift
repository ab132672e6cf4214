import ArgumentParser
import MallGateDecode
import MallGateIdentify
import MallGateLocalize
import MallGateState
import MallGateSimulator
import MallGateVenue
#if canImport(Glibc)
import Glibc
#endif

/// Where fingerprints come from and how to read them; shared by `train` and `eval`.
struct FingerprintInput: ParsableArguments {
    @Option(name: .customLong("label"), help: ArgumentHelp("Label column(s), by header name or 0-based index; several (BUILDINGID,FLOOR) make one class per combination.", valueName: "column[,column]"))
    var label: String?

    @Option(name: .customLong("labels-csv"), help: ArgumentHelp("Take the label columns from this file instead, row by row (datasets that keep positions apart, e.g. UJI *crd.csv).", valueName: "file"))
    var labelsCSV: String?

    @Option(name: .customLong("rss-columns"), help: ArgumentHelp("RSSI columns: a range 0-6, a header prefix WAP, a list a,b,c, or 'rest' (every column not otherwise used).", valueName: "range|prefix"))
    var rssColumns: String?

    @Option(name: .customLong("not-heard"), help: "The value that means \"not heard\" (100 in UJI files).")
    var notHeard: Float = 100

    @Option(name: .customLong("not-heard-below"), help: "Also take readings below this many dBm as not heard.")
    var notHeardBelow: Float?

    @Flag(name: .customLong("no-header"), help: "The first line is data, not column names.")
    var noHeader = false

    @Option(help: "Field separator: comma, tab, semicolon (default: guessed from the first line).")
    var separator: String?

    @Option(help: ArgumentHelp("Column naming the device of each row, to smooth over its sequence (see --smooth).", valueName: "column"))
    var sequence: String?

    @Option(help: ArgumentHelp("Time column for --sequence (rows are ordered by it).", valueName: "column"))
    var time: String?

    @Flag(help: "Also report accuracy after smoothing each --sequence over time (a sticky forward filter; held-out folds in train).")
    var smooth = false

    @Option(name: .customLong("switch-probability"), help: "With --smooth: probability per sample that the device changed class.")
    var switchProbability: Float = 0.02

    /// --smooth needs a device per sample: a --sequence column, or windows cut from captures (each knows its phone).
    func validateSmoothing(samplesFromCaptures: Bool) throws {
        if smooth && sequence == nil && !samplesFromCaptures { throw ValidationError("--smooth needs --sequence (and usually --time)") }
    }

    /// The evaluation after smoothing, when --smooth was asked for.
    func smoothed(set: FingerprintSet, probabilities: [Float], classes: ClassList) -> Evaluation? {
        guard smooth, let seq = set.sequence else { return nil }
        let s = SequenceSmoother(switchProbability: switchProbability)
            .smooth(probabilities: probabilities, classCount: classes.count, sequence: seq, time: set.time)
        return Evaluation(classes: classes, truth: set.labels, predicted: s.predicted, confidence: s.confidence)
    }

    func options(defaultLabels: [String]? = nil, defaultRSS: [String]? = nil) throws -> FingerprintCSV.Options {
        var labels = label.map { $0.split(separator: ",").map { FingerprintCSV.Column(String($0)) } } ?? defaultLabels?.map { FingerprintCSV.Column($0) }
        if labelsCSV != nil { labels = [] }
        let rss = rssColumns.map { FingerprintCSV.Columns($0) } ?? defaultRSS.map { .list($0.map { FingerprintCSV.Column($0) }) } ?? .rest
        var o = FingerprintCSV.Options(labelColumns: labels ?? [], rssColumns: rss)
        if labels == nil && labelsCSV == nil { throw ValidationError("name the label column(s) with --label") }
        o.hasHeader = !noHeader
        o.notHeardValue = notHeard
        o.notHeardBelow = notHeardBelow
        o.sequenceColumn = sequence.map { FingerprintCSV.Column($0) }
        o.timeColumn = time.map { FingerprintCSV.Column($0) }
        switch separator {
        case nil: o.separator = nil
        case "comma", ",": o.separator = UInt8(ascii: ",")
        case "tab", "\t": o.separator = 0x09
        case "semicolon", ";": o.separator = UInt8(ascii: ";")
        case let s?: throw ValidationError("--separator must be comma, tab or semicolon (got \(s))")
        }
        return o
    }

    /// Loads `path` (and the labels file, if any).
    func load(_ path: String, labelsPath: String? = nil, defaultLabels: [String]? = nil, defaultRSS: [String]? = nil) throws -> FingerprintSet {
        let o = try options(defaultLabels: defaultLabels, defaultRSS: defaultRSS)
        var set = try FingerprintCSV.load(path: path, options: o)
        if let labelsPath = labelsPath ?? labelsCSV {
            guard let label else { throw ValidationError("with --labels-csv, name the label column(s) of that file with --label") }
            var lo = FingerprintCSV.Options(labelColumns: label.split(separator: ",").map { FingerprintCSV.Column(String($0)) }, rssColumns: .list([]))
            lo.hasHeader = !noHeader
            lo.separator = o.separator
            let labels = try FingerprintCSV.load(path: labelsPath, options: lo)
            set = try set.withLabels(from: labels, file: labelsPath)
        }
        return set
    }
}

/// `mallgate train`: fingerprints → a cross-validated model file.
struct TrainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a localization model from labelled fingerprints and print a cross-validated report.",
        discussion: """
            Reads a fingerprint CSV (one row per sample: label columns plus one RSSI
            column per sensor), cross-validates the candidate models (weighted kNN, a
            compact MLP with 8-bit weights, extremely randomized trees over 8-bit
            features, and the MLP and trees averaged), keeps the most accurate,
            calibrates its confidence on the held-out folds, trains it on all rows and
            writes the model file.

            With --venue, --captures and --labels it trains from a calibration walk
            instead: one capture per sensor (the file's base name is the sensor id), the
            technician's labels (mac,start,end,zone; RFC 3339 times; the web UI's labels
            name the phone id:<hex>, matched with --state-directory); frames of the
            labelled MACs inside their intervals are cut into sliding windows, each
            labelled with its zone (windows that straddle two labels are dropped), and
            the model records the venue id and layout hash.

            The calibration windows are added to fingerprints synthesized from the layout
            (--from-layout, the default with --captures): the model then knows every zone,
            near walls and doors too, where a walk of two or three spots per zone never
            stands. On the simulated venues that places 5–15 points more windows in the
            right store than the walk alone, 9–22 points in a building whose radio differs
            from the layout's constants (docs/accuracy.md). --no-from-layout trains on the
            walk alone.

            Examples:
              mallgate train --csv trainingData.csv.gz --label BUILDINGID,FLOOR \\
                  --rss-columns WAP --test validationData.csv --output uji.mgm
              mallgate train --venue demo-mall.json --captures sim/ \\
                  --labels sim/labels.csv --output demo.mgm
              mallgate train --csv wifi_localization.txt --no-header --label 7 \\
                  --rss-columns 0-6 --features all --output rooms.mgm
            """)

    @Option(help: ArgumentHelp("Training fingerprints (.csv, .txt; .gz is decompressed).", valueName: "file"))
    var csv: String?

    @Option(help: ArgumentHelp("Instead of --csv, a synthetic venue for benchmarks: ZONESxSENSORSxSAMPLES_PER_ZONE, e.g. 200x64x15.", valueName: "shape"))
    var synthetic: String?


    @OptionGroup var walk: WalkOptions
    var venue: String? { walk.venue }
    var captures: [String] { walk.captures }

    @Flag(name: .customLong("from-layout"), inversion: .prefixedNo, help: "With --venue: train on fingerprints synthesized from the layout (sensor positions, walls, floors, the venue's radio constants), so a fresh install localizes before calibration; with --captures the calibration windows are added to them (the default with --captures; --no-from-layout: the calibration walk alone).")
    var fromLayout: Bool?

    /// Whether layout fingerprints are part of the training set: asked for, or by default with captures.
    var usesLayout: Bool { fromLayout ?? !captures.isEmpty }

    @Option(name: .customLong("layout-samples"), help: "With --from-layout: synthesized samples per zone.")
    var layoutSamples: Int = 200

    @Option(name: .customLong("layout-phone-range"), help: ArgumentHelp("With --from-layout: synthesized phones transmit up to this many dB louder or quieter than a typical one (uniform).", valueName: "dB"))
    var layoutPhoneRange: Double = 12

    @Option(name: .customLong("calibration-weight"), help: "With --from-layout and --captures: how many times each calibration window counts next to the synthesized ones.")
    var calibrationWeight: Int = 3

    @Option(name: .customLong("calibration-shift"), help: ArgumentHelp("With --from-layout and --captures: of the --calibration-weight copies of each calibration window, the second is heard this many dB louder and the third this many dB quieter (readings falling under the sensors' sensitivity become not heard), so the calibration phone does not pull the model back to one phone's loudness (0: plain copies).", valueName: "dB"))
    var calibrationShift: Double = 0

    @OptionGroup var input: FingerprintInput

    @Option(help: ArgumentHelp("Also evaluate on this held-out file (same columns).", valueName: "file"))
    var test: String?

    @Option(name: .customLong("test-labels-csv"), help: ArgumentHelp("Labels of --test, when --labels-csv is used.", valueName: "file"))
    var testLabelsCSV: String?

    @Option(help: "Cross-validation folds for model selection (0 or 1: no selection, train the first of --models).")
    var folds: Int = 5

    @Option(help: "Seed for folds, initialisation and shuffling.")
    var seed: UInt64 = 0

    @Option(help: ArgumentHelp("Candidate models, comma-separated: knn, mlp, trees, and averages of their probabilities mlp+trees, knn+trees, knn+mlp+trees; ties go to the later one.", valueName: "kinds"))
    var models: String = "knn,mlp,trees"

    @Option(help: ArgumentHelp("Feature channels: robust (relative+heard, phone-independent), all, or a + list of relative, heard, absolute.", valueName: "channels"))
    var features: String = "robust"

    @Option(name: .customLong("relative-span"), help: ArgumentHelp("Relative features: a sensor this many dB below the strongest one counts as 0 (weaker ones too).", valueName: "dB"))
    var relativeSpan: Int = Int(FeatureSpec.defaultRelativeSpanDB)

    @Option(help: "RSSI statistic of a window: median or strongest.")
    var statistic: String = "median"

    @Option(help: "Neighbours for kNN.")
    var k: Int = 5

    @Option(help: "MLP hidden units (0: automatic, up to 128).")
    var hidden: Int = 0

    @Option(help: "MLP training steps.")
    var steps: Int = 3000

    @Option(help: "MLP sensor dropout probability.")
    var dropout: Float = 0.1

    @Option(name: .customLong("learning-rate"), help: "MLP Adam learning rate.")
    var learningRate: Float = 0.003

    @Option(help: "Trees in the tree ensemble (fewer if the 40,000-node budget runs out).")
    var trees: Int = 100

    @Option(help: ArgumentHelp("Where to write the model file.", valueName: "file"))
    var output: String?

    @Flag(help: "No progress bar on standard error.")
    var quiet = false

    @Flag(name: .customLong("time-inference"), help: "Also time the final model's inference per window on one core, over the training samples: feature encoding + classifier + softmax, then the venue-graph forward filter (the --venue's connections, or the --synthetic grid's).")
    var timeInference = false

    func validate() throws {
        try input.validateSmoothing(samplesFromCaptures: !captures.isEmpty)
        if fromLayout == false && captures.isEmpty { throw ValidationError("--no-from-layout needs --captures DIR|FILES (a calibration walk to train on)") }
        guard [csv != nil, synthetic != nil, !captures.isEmpty || fromLayout == true].filter({ $0 }).count == 1 else {
            throw ValidationError("give one of --csv FILE, --synthetic ZONESxSENSORSxSAMPLES, --captures DIR|FILES or --from-layout")
        }
        if fromLayout == true && venue == nil { throw ValidationError("--from-layout needs --venue FILE") }
        guard layoutSamples >= 1, calibrationWeight >= 1 else { throw ValidationError("--layout-samples and --calibration-weight must be at least 1") }
        guard calibrationShift >= 0 else { throw ValidationError("--calibration-shift must not be negative") }
        if synthetic != nil && syntheticShape() == nil { throw ValidationError("--synthetic: three numbers, e.g. 200x64x15") }
        guard folds >= 0 else { throw ValidationError("--folds must be 0 or more (got \(folds))") }
        guard k >= 1 else { throw ValidationError("--k must be at least 1") }
        guard FeatureSpec.Channels(features) != nil else { throw ValidationError("--features: robust, all, or a + list of relative, heard, absolute (got \(features))") }
        for m in models.split(separator: ",") where LocalizationModel.Kind(rawValue: String(m)) == nil {
            throw ValidationError("--models: knn, mlp, trees, or averages mlp+trees, knn+trees, knn+mlp+trees (got \(m))")
        }
        guard relativeSpan >= 1 && relativeSpan <= 100 else { throw ValidationError("--relative-span must be 1…100 dB (got \(relativeSpan))") }
        guard statistic == "median" || statistic == "strongest" else { throw ValidationError("--statistic: median or strongest") }
        guard trees >= 1 && trees <= 10_000 else { throw ValidationError("--trees must be 1…10000 (got \(trees))") }
        guard (0..<1).contains(dropout) else { throw ValidationError("--dropout must be in [0, 1)") }
    }

    func trainingOptions() -> TrainingOptions {
        var o = TrainingOptions()
        o.channels = FeatureSpec.Channels(features)!
        o.statistic = statistic == "median" ? .median : .strongest
        o.relativeSpanDB = Float(relativeSpan)
        o.candidates = models.split(separator: ",").map { LocalizationModel.Kind(rawValue: String($0))! }
        o.folds = folds
        o.seed = seed
        o.knnK = k
        o.mlp.hiddenCount = hidden
        o.mlp.targetSteps = steps
        o.mlp.sensorDropout = dropout
        o.mlp.learningRate = learningRate
        o.trees.treeCount = trees
        return o
    }

    /// Fingerprints synthesized from the venue's layout, with the calibration windows (if any)
    /// added `--calibration-weight` times each.
    func layoutSet(_ v: Venue, calibration: FingerprintSet) throws -> FingerprintSet {
        var o = LayoutFingerprints.Options()
        o.samplesPerZone = layoutSamples
        o.phoneOffsetRangeDB = layoutPhoneRange
        o.seed = seed &+ 1
        var set = try LayoutFingerprints(venue: v, options: o).set
        let synthesized = set.count
        let sensitivity = Float(v.radio.sensitivityDBm)
        for copy in 0..<calibrationWeight {
            // Copies 1 and 2 as other phones would be heard: louder, and quieter with the
            // readings a quieter phone would not reach the sensor with dropped.
            let shift: Float = calibrationShift == 0 ? 0 : copy == 1 ? Float(calibrationShift) : copy == 2 ? -Float(calibrationShift) : 0
            if shift == 0 {
                set.samples += calibration.samples
            } else {
                set.samples += calibration.samples.map { sample in
                    Sample(sensors: sample.shifted(by: shift).sensors.map { $0.isHeard && $0.strongest < sensitivity ? .notHeard : $0 })
                }
            }
            set.labels += calibration.labels
        }
        printError("mallgate train: \(synthesized) windows synthesized from the layout" + (calibration.count > 0 ? ", \(calibration.count) calibration windows × \(calibrationWeight)" : ""))
        return set
    }

    func syntheticShape() -> (Int, Int, Int)? {
        guard let parts = synthetic?.split(separator: "x").compactMap({ Int($0) }), parts.count == 3, parts.allSatisfy({ $0 > 0 }) else { return nil }
        return (parts[0], parts[1], parts[2])
    }

    func run() async throws {
        var set: FingerprintSet
        var options = trainingOptions()
        var layout: Venue? = nil
        do {
            if !captures.isEmpty || usesLayout {
                let (v, hash) = try CaptureInput.venue(venue!)
                layout = v
                set = captures.isEmpty ? FingerprintSet(sensorNames: v.sensors.map(\.id), labelNames: ["zone", "floor", "kind"]) : try await walk.windows(v, command: "train")
                if usesLayout { set = try layoutSet(v, calibration: set) }
                options.venueID = v.id
                options.layoutHash = hash
            } else if let (z, s, n) = syntheticShape() {
                set = SyntheticFingerprints.make(zones: z, sensors: s, samplesPerZone: n, seed: seed)
            } else {
                set = try input.load(csv!)
            }
        } catch let e as ExitCode {
            throw e
        } catch {
            printError("mallgate train: \(error)")
            throw ExitCode(2)
        }
        printError("mallgate train: \(set.count) samples, \(set.sensorNames.count) sensors, labels \(set.labelNames.joined(separator: ","))")
        let bar = quiet ? nil : ProgressBar()
        let model: LocalizationModel
        let heldOut: [Float]?
        var progress: (@Sendable (TrainingProgress) -> Void)? = nil
        if let bar { progress = { bar.show($0) } }
        do {
            let result = try await Trainer.trainWithHeldOut(set, options: options, progress: progress)
            model = result.model
            heldOut = result.heldOut
        } catch {
            printError("mallgate train: \(error)")
            throw ExitCode(1)
        }
        bar?.finish()
        let bytes = ModelFile.encode(model)
        print(ReportText.training(model, fileSize: bytes.count), terminator: "")
        if let heldOut, let aligned = set.aligned(to: model.features.sensorNames),
           let s = input.smoothed(set: aligned, probabilities: heldOut, classes: model.classes) {
            print(ReportText.evaluation(s, title: "held-out folds smoothed per --sequence over time (forward filter, switch probability \(input.switchProbability))"), terminator: "")
        }
        if timeInference {
            let transitions = layout.map { VenueTransitions(venue: $0, classes: model.classes) }
                ?? (synthetic != nil ? InferenceTimer.gridTransitions(model.classes) : nil)
            print(InferenceTimer.measure(model, samples: set.aligned(to: model.features.sensorNames)?.samples ?? [], transitions: transitions))
        }
        if let test {
            let testSet: FingerprintSet
            do { testSet = try input.load(test, labelsPath: testLabelsCSV) } catch let e as FingerprintCSVError {
                printError("mallgate train: \(e)")
                throw ExitCode(2)
            }
            guard let (e, _, _) = await model.evaluate(testSet) else {
                printError("mallgate train: \(test) shares no sensor name with the training file")
                throw ExitCode(2)
            }
            print(ReportText.evaluation(e, title: "held-out test (\(test))"), terminator: "")
        }
        if let output {
            do { try ModelFile.save(model, to: output) } catch {
                printError("mallgate train: \(error)")
                throw ExitCode(1)
            }
            print("model written to \(output) (\(bytes.count) bytes)")
        }
    }
}

/// A one-line progress bar on standard error, redrawn in place.
final class ProgressBar: Sendable {
    func show(_ p: TrainingProgress) {
        let width = 30
        let filled = p.total > 0 ? width * p.done / p.total : 0
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        var line = "\r[\(bar)] \(p.done)/\(p.total) \(p.message)"
        line += String(repeating: " ", count: max(0, 60 - line.count))
        line.withUTF8 { bytes in _ = write(STDERR_FILENO, bytes.baseAddress, bytes.count) }
    }

    func finish() {
        "\r\u{1B}[K".withCString { _ = write(STDERR_FILENO, $0, strlen($0)) }
    }
}

/// Human-readable reports for `train` and `eval`.
enum ReportText {
    static func percent(_ v: Float) -> String {
        let tenths = Int((v * 1000).rounded())
        return "\(tenths / 10).\(tenths % 10)%"
    }

    static func percent2(_ v: Float) -> String {
        let h = Int((v * 10000).rounded())
        let frac = h % 100
        return "\(h / 100).\(frac < 10 ? "0" : "")\(frac)%"
    }

    static func seconds(_ s: Double) -> String {
        let ms = Int((s * 1000).rounded())
        return "\(ms / 1000).\(String(repeating: "0", count: 3 - String(ms % 1000).count))\(ms % 1000) s"
    }

    static func training(_ model: LocalizationModel, fileSize: Int) -> String {
        let r = model.report
        let labels = model.classes.labelNames
        var out = "samples: \(r.sampleCount), classes: \(model.classes.count), sensors: \(model.features.sensorCount), features: \(model.features.featureCount) (\(model.features.channels.description))\n"
        if r.folds > 0 {
            out += "\(r.folds)-fold stratified cross-validation, seed \(r.seed):\n"
            let header = ["model"] + labels + (labels.count > 1 ? ["class"] : []) + ["ECE", "time"]
            let widths = header.map { max(12, $0.count + 2) }
            out += "  " + zip(header, widths).map { pad($0, $1) }.joined() + "\n"
            for c in r.candidates {
                var row = [c.kind + (c.kind == r.chosen ? " *" : "")]
                row += c.accuracy.prefix(labels.count).map(percent2)
                if labels.count > 1 { row.append(percent2(c.classAccuracy)) }
                row.append(percent(c.calibrationError))
                row.append(seconds(c.seconds))
                out += "  " + zip(row, widths).map { pad($0, $1) }.joined() + "\n"
            }
            if !r.confusions.isEmpty {
                out += "most confused (actual → predicted, held-out count):\n"
                for c in r.confusions.prefix(5) {
                    out += "  \(model.classes.name(c.actual)) → \(model.classes.name(c.predicted)): \(c.count)\n"
                }
            }
        }
        out += "chosen: \(r.chosen), temperature \(Int((model.temperature * 100).rounded()))/100, model file \(fileSize) bytes, training time \(seconds(r.trainingSeconds))\n"
        return out
    }

    static func evaluation(_ e: Evaluation, title: String) -> String {
        var out = "\(title): \(e.sampleCount) samples\n"
        for (i, name) in e.labelNames.enumerated() { out += "  \(pad(name, 14))\(percent2(e.accuracy[i]))\n" }
        if e.labelNames.count > 1 { out += "  \(pad("class", 14))\(percent2(e.classAccuracy))\n" }
        out += "  \(pad("ECE", 14))\(percent(e.calibrationError))\n"
        if !e.confusions.isEmpty {
            out += "  most confused: " + e.confusions.prefix(3).map { "\($0.actual) → \($0.predicted) (\($0.count))" }.joined(separator: ", ") + "\n"
        }
        return out
    }

    static func pad(_ s: String, _ n: Int) -> String {
        s.count >= n ? s + " " : s + String(repeating: " ", count: n - s.count)
    }
}

/// Times ``LocalizationModel/predict(_:probabilities:)`` and, given the venue's transitions,
/// ``VenueGraphFilter/update(device:timeNanoseconds:probabilities:)`` on one thread: the per-window
/// work of the daemon, for the benchmark scripts.
enum InferenceTimer {
    /// 500 devices take turns, each seen every 5 s, so the filter holds realistic state.
    static let devices = 500

    static func measure(_ model: LocalizationModel, samples: [Sample], transitions: VenueTransitions? = nil) -> String {
        guard !samples.isEmpty else { return "inference: no samples" }
        var probabilities = [Float](repeating: 0, count: model.classes.count)
        var filter = transitions.map { VenueGraphFilter(transitions: $0) }
        let clock = ContinuousClock()
        var calls = 0
        var checksum = 0
        let cpuStart = threadCPUSeconds()
        let start = clock.now
        var elapsed = Duration.zero
        // At least one pass and one second, so the figure is stable.
        repeat {
            for s in samples {
                let best = probabilities.withUnsafeMutableBufferPointer { model.predict(s, probabilities: $0).classIndex }
                checksum &+= best
                if filter != nil {
                    let t = Int64(calls / devices) * 5_000_000_000
                    checksum &+= filter!.update(device: UInt64(calls % devices), timeNanoseconds: t, probabilities: probabilities).classIndex
                }
                calls += 1
            }
            elapsed = clock.now - start
        } while elapsed < .seconds(1)
        let cpu = threadCPUSeconds() - cpuStart
        let (sec, atto) = elapsed.components
        let micros = (Double(sec) * 1e6 + Double(atto) * 1e-12) / Double(calls)
        let cpuMicros = cpu * 1e6 / Double(calls)
        func r2(_ v: Double) -> Double { (v * 100).rounded() / 100 }
        let what = filter == nil ? "inference" : "inference + smoothing (\(model.classes.count) zones, \(devices) devices)"
        return "\(what): \(r2(cpuMicros)) µs CPU per window, \(r2(micros)) µs wall (\(model.report.chosen), \(calls) windows on one thread, checksum \(checksum % 1000))"
    }

    /// CPU time of the calling thread: on a machine shared with other builds, wall time
    /// measures the neighbours as much as the code.
    static func threadCPUSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }

    /// The `--synthetic` venue's walking graph: cells "zN" on a grid 20 wide, each connected to
    /// the cells left, right, above and below.
    static func gridTransitions(_ classes: ClassList) -> VenueTransitions {
        var indexOf: [Int: Int] = [:]
        for (i, c) in classes.classes.enumerated() { if let z = Int(c[0].dropFirst()) { indexOf[z] = i } }
        let columns = min(20, classes.count)
        let neighbours = classes.classes.map { c -> [Int] in
            guard let z = Int(c[0].dropFirst()) else { return [] }
            var n: [Int] = []
            if z % columns > 0, let j = indexOf[z - 1] { n.append(j) }
            if z % columns < columns - 1, let j = indexOf[z + 1] { n.append(j) }
            if let j = indexOf[z - columns] { n.append(j) }
            if let j = indexOf[z + columns] { n.append(j) }
            return n.sorted()
        }
        return VenueTransitions(neighbours: neighbours, floors: classes.classes.map { _ in "0" })
    }
}
