import FoundationEssentials
import Glibc
import Hummingbird
import HummingbirdTesting
import MallGateLocalize
import MallGateState
import MallGateTestSupport
import MallGateVenue
@testable import MallGateWeb
import Synchronization
import Testing

/// Training from the page: it runs in the background with progress, the running model is
/// replaced only on accept, and the previous one comes back with one call.
struct WebTrainingTests {
    /// Small settings (5 windows per zone, 2 folds, the MLP alone): the behaviour, not the accuracy.
    static func smallJob() -> TrainingJob {
        var options = TrainingOptions()
        options.candidates = [.mlp]
        options.folds = 2
        return TrainingJob(options: options, layoutSamples: 5)
    }

    struct Answer: Decodable {
        struct Report: Decodable {
            var samples: Int
            var calibrationWindows: Int
            var zones: Int
            var floorAccuracy: Float
            var storeAccuracy: Float
            var insideOutsideAccuracy: Float
        }
        var phase: String
        var progress: Int
        var message: String
        var report: Report?
        var installed: Bool
        var canRollback: Bool
    }

    @Test func trainingRunsInTheBackgroundAndInstallsOnlyOnAccept() async throws {
        let backend = try FakeBackend(stateDirectory: makeTemporaryDirectory("train"))
        let ui = WebUI(options: .init(accessCode: WebAuthTests.code), backend: backend, logger: LogStore().logger, training: Self.smallJob(), clock: { 1 })
        let modelPath = backend.stateDirectory + "/model.mgm"
        let running = Array("the running model".utf8)
        try #require(writeFile(modelPath, running))
        // Two calibration windows of the walk, in the format the recorder writes.
        let sensors = backend.venue.sensors.map(\.id)
        let store = try #require(backend.venue.zones.first { $0.kind == .store })
        var csv = CalibrationFiles.fingerprintHeader(sensors: sensors)
        for k in 0..<2 {
            let sample = Sample(sensors: sensors.indices.map { $0 < 3 ? SensorSummary(strongest: -50, median: -55, count: 2) : .notHeard })
            csv += CalibrationFiles.fingerprintRow(
                zone: store.id, floor: store.floor, kind: "store", endNanoseconds: Int64(k) * 5_000_000_000, sample: sample, sampleSensors: sensors, headerSensors: sensors)
        }
        try #require(shell("mkdir -p \(sh(backend.stateDirectory + "/calibration"))").status == 0)
        try #require(writeFile(backend.stateDirectory + "/calibration/fingerprints.csv", Array(csv.utf8)))

        try await ui.application().test(.router) { client in
            let cookie = try await WebAuthTests.logIn(client)
            func call(_ uri: String, _ method: HTTPRequest.Method = .get) async throws -> (HTTPResponse.Status, Answer?) {
                let r = try await client.execute(uri: uri, method: method, headers: [.cookie: cookie])
                return (r.status, try? JSONDecoder().decode(Answer.self, from: Data(String(buffer: r.body).utf8)))
            }
            // Nothing trained yet: nothing to accept, nothing to roll back to.
            let idle = try #require(try await call("/api/train").1)
            #expect(idle.phase == "idle" && !idle.canRollback && idle.report == nil)
            #expect(try await call("/api/train/accept", .post).0 == .conflict)
            #expect(try await call("/api/train/rollback", .post).0 == .conflict)

            // Start answers at once, while the job runs on.
            let started = try #require(try await call("/api/train/start", .post).1)
            #expect(started.phase == "running" || started.phase == "done")
            var progress: [Int] = []
            var done: Answer?
            for _ in 0..<6000 {
                let state = try #require(try await call("/api/train").1)
                if progress.last != state.progress { progress.append(state.progress) }
                if state.phase == "done" || state.phase == "failed" {
                    done = state
                    break
                }
                try await Task.sleep(for: .milliseconds(20))
            }
            let finished = try #require(done, "training did not finish in 2 minutes; progress \(progress)")
            #expect(finished.phase == "done", "\(finished.message)")
            #expect(progress == progress.sorted() && progress.last == 100, "\(progress)")
            let report = try #require(finished.report)
            // 5 windows per zone of the layout, plus the 2 calibration windows counted 3 times each.
            #expect(report.samples == 5 * backend.venue.zones.count + 3 * 2)
            #expect(report.calibrationWindows == 2)
            #expect(report.zones == backend.venue.zones.count)
            for accuracy in [report.floorAccuracy, report.storeAccuracy, report.insideOutsideAccuracy] { #expect((0...1).contains(accuracy)) }
            // Trained, not installed: the agent still runs its model, and was not reloaded.
            #expect(readFile(modelPath) == running)
            #expect(backend.reloads.withLock { $0 } == 0)
            #expect(!finished.installed && !finished.canRollback)

            // A model artifact pulled from the collector runs before the configuration's file:
            // accepting must clear it, or the accepted model would not be the one that runs.
            let store = ArtifactStore(stateDirectory: backend.stateDirectory)
            let pulled = try store.install(.model, bytes: running, source: .pulled) { _ in
                ArtifactIdentity(venueID: backend.venue.id, layoutHash: 1)
            }
            #expect(try store.current(.model) == pulled)

            // Accept: the new model is installed (for this venue), the old one kept, the agent reloaded.
            let accepted = try #require(try await call("/api/train/accept", .post).1)
            #expect(try store.current(.model) == nil)
            #expect(try store.declined(.model).contains(pulled.manifest.sha256))
            #expect(accepted.installed && accepted.canRollback)
            let installed = try #require(readFile(modelPath))
            let model = try ModelFile.decode(installed, source: modelPath)
            #expect(model.venueID == backend.venue.id && model.layoutHash == 1)
            #expect(readFile(backend.stateDirectory + "/models/previous.mgm") == running)
            #expect(backend.reloads.withLock { $0 } == 1)
            // Accepting twice installs nothing new.
            #expect(try await call("/api/train/accept", .post).0 == .conflict)

            // Roll back: the running model is back, the trained one kept as the previous.
            let rolledBack = try #require(try await call("/api/train/rollback", .post).1)
            #expect(!rolledBack.installed && rolledBack.canRollback)
            #expect(readFile(modelPath) == running)
            #expect(readFile(backend.stateDirectory + "/models/previous.mgm") == installed)
            #expect(backend.reloads.withLock { $0 } == 2)
        }
    }
}

