internal import MallGateLocalize
internal import MallGateState
internal import MallGateSimulator
internal import MallGateVenue

/// Training from the page: a model from the venue's layout plus the recorded calibration
/// windows, trained in the background, reported, and installed only when accepted.
///
/// The previous model is kept beside the installed one (`STATE/models/previous.mgm`), so a
/// worse model is one click away from being undone.
actor TrainingJob {
    /// The cross-validated report the page shows.
    struct Report: Sendable, Codable, Equatable {
        struct Confusion: Sendable, Codable, Equatable { var actual: String; var predicted: String; var count: Int }
        var samples: Int
        var calibrationWindows: Int
        var zones: Int
        var chosen: String
        /// Held-out accuracy (0–1) of the chosen model: the floor, the store (zone), inside or outside a store.
        var floorAccuracy: Float
        var storeAccuracy: Float
        var insideOutsideAccuracy: Float
        var confused: [Confusion]
        var modelBytes: Int
    }

    struct State: Sendable, Codable {
        /// idle, running, done, failed.
        var phase: String
        var progress: Int
        var message: String
        var report: Report?
        var installed: Bool
        var canRollback: Bool
    }

    /// Calibration windows count this many times next to the synthesized ones (as `mallgate train --calibration-weight`).
    static let calibrationWeight = 3

    private var phase = "idle"
    private var progress = 0
    private var message = ""
    private var report: Report?
    private var candidate: [UInt8]?
    private var installed = false
    private var task: Task<Void, Never>?
    let options: TrainingOptions
    let layoutSamples: Int

    /// - Parameters:
    ///   - options: the trainer's options (candidates, folds); the venue id and hash are set per run.
    ///   - layoutSamples: synthesized windows per zone.
    init(options: TrainingOptions = TrainingJob.defaultOptions, layoutSamples: Int = 200) {
        self.options = options
        self.layoutSamples = layoutSamples
    }

    /// Three folds and two compact candidates: a cross-validated report within minutes on a gateway's core.
    static var defaultOptions: TrainingOptions {
        var o = TrainingOptions()
        o.candidates = [.mlp, .trees]
        o.folds = 3
        return o
    }

    static func previousPath(_ layout: WebLayout) -> String { layout.stateDirectory + "/models/previous.mgm" }

    func state(layout: WebLayout) -> State {
        State(phase: phase, progress: progress, message: message, report: report, installed: installed,
              canRollback: WebFiles.exists(Self.previousPath(layout)))
    }

    /// Starts training unless it is already running.
    func start(layout: WebLayout, calibrationFile: String) {
        guard phase != "running" else { return }
        phase = "running"
        progress = 0
        message = "preparing the training windows"
        report = nil
        candidate = nil
        installed = false
        let options = self.options
        let samples = layoutSamples
        let job = self
        // On a thread of its own (see TrainingThread), so the pipeline keeps the pool's threads.
        task = Task.detached(executorPreference: TrainingThread.shared, priority: .background) {
            do {
                let (_, bytes, report) = try await Self.train(layout: layout, calibrationFile: calibrationFile, options: options, layoutSamples: samples) { p in
                    Task { await job.update(p) }
                }
                await job.finish(bytes: bytes, report: report)
            } catch {
                await job.fail("\(error)")
            }
        }
    }

    private func update(_ p: TrainingProgress) {
        guard phase == "running" else { return }
        // Reports arrive through separate tasks, not necessarily in order: the bar never goes back.
        let percent = p.total > 0 ? min(99, 100 * p.done / p.total) : 0
        guard percent >= progress else { return }
        progress = percent
        message = p.message
    }

    private func finish(bytes: [UInt8], report: Report) {
        phase = "done"
        progress = 100
        message = "trained; accept to install it"
        candidate = bytes
        self.report = report
    }

    private func fail(_ reason: String) {
        phase = "failed"
        message = reason
    }

    /// Installs the trained model over the agent's model (the old one becomes the previous) and reloads.
    /// - Returns: nil when installed and reloaded, else why not.
    func accept(layout: WebLayout, backend: any WebBackend) async -> String? {
        guard let candidate, phase == "done" else { return "train a model first" }
        // A second accept would make the new model its own "previous" and lose the old one.
        guard !installed else { return "this model is already installed" }
        do {
            try WebFiles.makeDirectory(layout.stateDirectory + "/models")
            if let current = WebFiles.read(layout.modelPath) {
                try WebFiles.replace(Self.previousPath(layout), with: current)
            }
            try WebFiles.replace(layout.modelPath, with: candidate)
            // An installed model artifact (pulled from the collector, or `mallgate artifacts
            // install`) runs before the configuration's file: cleared, so the accepted model is
            // the one that runs. It stays the store's previous and is not pulled again.
            try ArtifactStore(stateDirectory: layout.stateDirectory).clear(.model)
        } catch {
            return "\(error)"
        }
        installed = true
        message = "installed"
        return await backend.reload()
    }

    /// Puts the previous model back and reloads.
    func rollback(layout: WebLayout, backend: any WebBackend) async -> String? {
        guard let previous = WebFiles.read(Self.previousPath(layout)) else { return "no previous model to restore" }
        do {
            let current = WebFiles.read(layout.modelPath)
            try WebFiles.replace(layout.modelPath, with: previous)
            if let current { try WebFiles.replace(Self.previousPath(layout), with: current) }
        } catch {
            return error.description
        }
        installed = false
        message = "previous model restored"
        return await backend.reload()
    }

    /// Layout windows plus calibration windows → a cross-validated model and its report.
    static func train(
        layout: WebLayout, calibrationFile: String, options: TrainingOptions, layoutSamples: Int,
        progress: @escaping @Sendable (TrainingProgress) -> Void
    ) async throws -> (LocalizationModel, [UInt8], Report) {
        let venue = layout.venue
        var o = LayoutFingerprints.Options()
        o.samplesPerZone = layoutSamples
        var set = try LayoutFingerprints(venue: venue, options: o).set
        var calibrationCount = 0
        if let bytes = WebFiles.read(calibrationFile), let first = String(decoding: bytes.prefix(4096), as: UTF8.self).split(separator: "\n").first,
           let sensors = CalibrationFiles.headerSensors(first) {
            let calibration = try FingerprintCSV.parse(bytes, file: calibrationFile, options: CalibrationFiles.fingerprintOptions(sensors: sensors))
            if calibration.count > 0 {
                guard let aligned = calibration.aligned(to: set.sensorNames) else {
                    throw WebFiles.Failure(description: "\(calibrationFile): its sensors (\(sensors.joined(separator: ", "))) are not the venue's")
                }
                calibrationCount = aligned.count
                for _ in 0..<calibrationWeight {
                    set.samples += aligned.samples
                    set.labels += aligned.labels
                }
            }
        }
        var options = options
        options.venueID = venue.id
        options.layoutHash = layout.layoutHash
        let (model, heldOut) = try await Trainer.trainWithHeldOut(set, options: options, progress: progress)
        let bytes = ModelFile.encode(model)
        return (model, bytes, report(model: model, set: set, heldOut: heldOut, calibrationWindows: calibrationCount, venue: venue, modelBytes: bytes.count))
    }

    /// Floor, store and inside/outside accuracy of the held-out predictions, counted here from
    /// the probabilities (not taken from the trainer's summary), and the most confused stores.
    static func report(model: LocalizationModel, set: FingerprintSet, heldOut: [Float]?, calibrationWindows: Int, venue: Venue, modelBytes: Int) -> Report {
        let kinds = Dictionary(venue.zones.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let classes = model.classes.classes
        let c = classes.count
        var floorRight = 0, storeRight = 0, insideRight = 0, n = 0
        var confusion: [String: Int] = [:]
        if let heldOut, heldOut.count == set.count * c {
            for i in 0..<set.count {
                let row = heldOut[(i * c)..<((i + 1) * c)]
                guard let best = row.indices.max(by: { row[$0] < row[$1] }) else { continue }
                let predicted = classes[best - i * c]
                let truth = set.labels[i]
                n += 1
                let truthZone = kinds[truth[0]], predictedZone = kinds[predicted[0]]
                if truthZone?.floor == predictedZone?.floor { floorRight += 1 }
                if truth[0] == predicted[0] { storeRight += 1 } else if truthZone?.kind == .store {
                    confusion["\(truth[0])\u{1F}\(predicted[0])", default: 0] += 1
                }
                if (truthZone?.kind == .store) == (predictedZone?.kind == .store) { insideRight += 1 }
            }
        }
        let confused = confusion.map { key, count -> Report.Confusion in
            let parts = key.split(separator: "\u{1F}").map(String.init)
            return .init(actual: parts[0], predicted: parts[1], count: count)
        }.sorted { ($0.count, $1.actual) > ($1.count, $0.actual) }
        func ratio(_ k: Int) -> Float { n > 0 ? Float(k) / Float(n) : 0 }
        return Report(
            samples: set.count, calibrationWindows: calibrationWindows, zones: c, chosen: model.report.chosen,
            floorAccuracy: ratio(floorRight), storeAccuracy: ratio(storeRight), insideOutsideAccuracy: ratio(insideRight),
            confused: Array(confused.prefix(5)), modelBytes: modelBytes)
    }
}
