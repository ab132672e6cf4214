import Testing
import MallGateLocalize

/// Each public dataset against the reference figures its README gives (scikit-learn, measured
/// by whoever prepared the folder): MallGate's models are trained and scored here, in the test.
@Suite(.enabled(if: Datasets.available, Comment(rawValue: Datasets.skipMessage)))
struct DatasetAccuracyTests {
    /// UCI wireless indoor localization: 7 APs, 4 rooms, stratified 5-fold CV with seed 0.
    /// README: kNN (k=5) 98.35 %, random forest 98.65 %.
    @Test func uciRoomsCrossValidated() async throws {
        var o = FingerprintCSV.Options(labelColumns: [.index(7)], rssColumns: .range(0...6))
        o.hasHeader = false
        let set = try FingerprintCSV.load(path: Datasets.path("uci_wireless_indoor_localization/wifi_localization.txt"), options: o)
        #expect(set.count == 2000)
        var t = TrainingOptions()
        t.channels = .all
        t.mlp.sensorDropout = 0
        t.candidates = [.knn, .mlp, .trees]
        let model = try await Trainer.train(set, options: t)
        let knn = try #require(model.report.candidates.first { $0.kind == "knn" })
        let mlp = try #require(model.report.candidates.first { $0.kind == "mlp" })
        let trees = try #require(model.report.candidates.first { $0.kind == "trees" })
        let chosen = try #require(model.report.candidates.first { $0.kind == model.report.chosen })
        // The trees, chosen, reach the random forest's 98.65 % (27 errors in 2000; 98.70 % with
        // the 30 dB relative span, one sample more: docs/accuracy.md): every model tried sits at
        // 97.75–98.7 % on this 7-feature set. Held to RF's figure, not above it. kNN and the MLP
        // lost 0.65 and 0.25 points to the narrower span (98.00, 97.75 %).
        #expect(knn.classAccuracy >= 0.9795)
        #expect(trees.classAccuracy >= 0.9865)
        #expect(mlp.classAccuracy > 0.9765)
        #expect(model.report.chosen == "trees")
        #expect(chosen.classAccuracy >= 0.9865)
    }

    /// UCI BLE iTAG (filtered_rssi.csv): 2 receivers, INSIDE / IN_VESTIBULE / OUTSIDE, stratified
    /// 5-fold CV with seed 0. README: kNN (k=5) 66.41 %, random forest 71.71 %.
    @Test func bleInsideOutsideCrossValidated() async throws {
        var o = FingerprintCSV.Options(labelColumns: [.name("locationStatus")], rssColumns: .list([.name("rssiOne"), .name("rssiTwo")]))
        o.sequenceColumn = .name("name")
        o.timeColumn = .name("timestamp")
        let set = try FingerprintCSV.load(path: Datasets.path("uci_ble_itag/filtered_rssi.csv"), options: o)
        #expect(set.count == 9984)
        var t = TrainingOptions()
        t.channels = .all
        t.mlp.sensorDropout = 0
        t.candidates = [.knn, .mlp, .trees]
        let (model, heldOut) = try await Trainer.trainWithHeldOut(set, options: t)
        let mlp = try #require(model.report.candidates.first { $0.kind == "mlp" })
        let trees = try #require(model.report.candidates.first { $0.kind == "trees" })
        // The MLP beats the random forest's 71.71 % and cross-validation keeps it; the trees sit
        // at that figure (71.67 % with the 30 dB relative span, 71.77 % with 50 dB).
        #expect(mlp.classAccuracy > 0.7171)
        #expect(trees.classAccuracy > 0.7150)
        #expect(model.report.chosen == "mlp")
        // Smoothing each tag's sequence over time, from held-out predictions only.
        let probabilities = try #require(heldOut)
        let s = SequenceSmoother(switchProbability: 0.02).smooth(
            probabilities: probabilities, classCount: model.classes.count, sequence: set.sequence!, time: set.time)
        let smoothed = Evaluation(classes: model.classes, truth: set.labels, predicted: s.predicted, confidence: s.confidence)
        #expect(smoothed.classAccuracy > mlp.classAccuracy + 0.1)
    }

    /// UJI long-term library, month 01: train on trn01, test on tst01; floor (3 or 5).
    /// README: 1-NN floor 100 %.
    @Test func ujiLibraryFloor() async throws {
        let dir = "uji_lib_db_v2/month01/"
        func load(_ prefix: String) throws -> FingerprintSet {
            var rss = FingerprintCSV.Options(labelColumns: [], rssColumns: .rest)
            rss.hasHeader = false
            var crd = FingerprintCSV.Options(labelColumns: [.index(2)], rssColumns: .list([]))
            crd.hasHeader = false
            let labels = try FingerprintCSV.load(path: Datasets.path(dir + prefix + "crd.csv"), options: crd)
            return try FingerprintCSV.load(path: Datasets.path(dir + prefix + "rss.csv"), options: rss)
                .withLabels(from: labels, file: prefix + "crd.csv")
        }
        let train = try load("trn01"), test = try load("tst01")
        #expect(train.count == 576 && test.count == 576 && train.sensorNames.count == 620)
        var t = TrainingOptions()
        t.channels = .all
        t.folds = 0
        t.candidates = [.mlp]
        let model = try await Trainer.train(train, options: t)
        let (e, _, _) = try #require(await model.evaluate(test))
        // One test sample of 576 is missed (docs/accuracy.md): 1-NN's 100 % is not reached.
        #expect(e.classAccuracy >= 0.998)
    }

    /// UJIIndoorLoc: train on trainingData, test on validationData. README: floor random
    /// forest 90.91 %, building+floor 90.55 % (all 19,937 training rows; ~6 s).
    @Test func ujiIndoorLocFloor() async throws {
        let o = FingerprintCSV.Options(labelColumns: [.name("BUILDINGID"), .name("FLOOR")], rssColumns: .prefix("WAP"))
        let train = try FingerprintCSV.load(path: Datasets.path("ujiindoorloc/trainingData.csv.gz"), options: o)
        let test = try FingerprintCSV.load(path: Datasets.path("ujiindoorloc/validationData.csv"), options: o)
        #expect(train.count == 19937 && test.count == 1111 && train.sensorNames.count == 520)
        var t = TrainingOptions()
        t.folds = 0
        t.candidates = [.mlp]
        let model = try await Trainer.train(train, options: t)
        let (e, _, _) = try #require(await model.evaluate(test))
        let floor = try #require(e.labelNames.firstIndex(of: "FLOOR"))
        #expect(e.accuracy[floor] > 0.9091)
        #expect(e.classAccuracy > 0.9055)
    }
}
