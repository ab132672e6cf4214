import Glibc
import Testing
@testable import MallGateLocalize

/// A small trained model for file tests: 6 zones, 8 sensors (synthetic, trains in well under a second).
private func smallModel(kind: LocalizationModel.Kind = .mlp) async throws -> (LocalizationModel, FingerprintSet) {
    let set = SyntheticFingerprints.make(zones: 6, sensors: 8, samplesPerZone: 20, seed: 3)
    var t = TrainingOptions()
    t.folds = 0
    t.candidates = [kind]
    t.mlp.targetSteps = 200
    t.venueID = "westfield-demo"
    t.layoutHash = LayoutHash.fnv1a64(Array("{\"id\":\"westfield-demo\"}".utf8))
    return (try await Trainer.train(set, options: t), set)
}

private func errorKind(_ bytes: [UInt8], venue: (id: String, layoutHash: UInt64)? = nil) -> ModelFileError.Kind? {
    do {
        _ = try ModelFile.decode(bytes, source: "test.mgm", venue: venue)
        return nil
    } catch let e as ModelFileError {
        return e.kind
    } catch {
        return nil
    }
}

/// Recomputes the trailing CRC-32C after a deliberate edit, so the edit reaches the parser.
private func resealed(_ bytes: [UInt8]) -> [UInt8] {
    var b = Array(bytes.dropLast(4))
    let crc = CRC32C.checksum(b)
    for i in 0..<4 { b.append(UInt8(truncatingIfNeeded: crc >> (8 * i))) }
    return b
}

@Suite struct ModelFileTests {
    @Test(arguments: [LocalizationModel.Kind.mlp, .knn, .trees, .mlpTrees])
    func roundTripKeepsEveryFieldAndPrediction(kind: LocalizationModel.Kind) async throws {
        let (model, set) = try await smallModel(kind: kind)
        let bytes = ModelFile.encode(model)
        let loaded = try ModelFile.decode(bytes, source: "t.mgm", venue: (model.venueID, model.layoutHash))
        #expect(loaded.venueID == "westfield-demo")
        #expect(loaded.layoutHash == model.layoutHash)
        #expect(loaded.features == model.features)
        #expect(loaded.classes == model.classes)
        #expect(loaded.report == model.report)
        #expect(loaded.temperature == model.temperature)
        #expect(loaded.classifier.kind == kind)
        for s in set.samples { #expect(loaded.predict(s) == model.predict(s)) }
        #expect(ModelFile.encode(loaded) == bytes)
    }

    @Test func headerIsMagicVersionLengthAndChecksumTrails() async throws {
        let (model, _) = try await smallModel()
        let b = ModelFile.encode(model)
        #expect(Array(b[0..<4]) == [0x4D, 0x47, 0x4C, 0x4D])  // "MGLM"
        #expect(b[4] == 1 && b[5] == 0)  // format version 1, little-endian
        let length = (0..<8).reduce(UInt64(0)) { $0 | UInt64(b[8 + $1]) << (8 * $1) }
        #expect(Int(length) + 16 + 4 == b.count)
        let stored = (0..<4).reduce(UInt32(0)) { $0 | UInt32(b[b.count - 4 + $1]) << (8 * $1) }
        #expect(stored == CRC32C.checksum(b.dropLast(4)))
    }

    @Test func badMagic() async throws {
        var b = ModelFile.encode(try await smallModel().0)
        b[0] = UInt8(ascii: "X")
        #expect(errorKind(b) == .badMagic)
        #expect(errorKind([]) == .badMagic)
        #expect(errorKind(Array("{\"json\": true}".utf8)) == .badMagic)
    }

    @Test func unsupportedVersion() async throws {
        var b = ModelFile.encode(try await smallModel().0)
        b[4] = 3
        #expect(errorKind(resealed(b)) == .unsupportedVersion)
        b[4] = 0
        #expect(errorKind(resealed(b)) == .unsupportedVersion)
        b[4] = 3
        do {
            _ = try ModelFile.decode(resealed(b), source: "m.mgm")
            Issue.record("a version 3 file loaded")
        } catch let e as ModelFileError {
            #expect(e.description.contains("version 3"))
        }
    }

    /// Version 2 only added classifier kinds: kNN and MLP files keep version 1 (what MallGate
    /// before the trees wrote and reads), trees and ensembles say 2, and a version 1 file that
    /// claims a tree classifier is refused.
    @Test func versionFollowsTheClassifierKind() async throws {
        let mlp = ModelFile.encode(try await smallModel(kind: .mlp).0)
        let trees = ModelFile.encode(try await smallModel(kind: .trees).0)
        let ensemble = ModelFile.encode(try await smallModel(kind: .mlpTrees).0)
        #expect(mlp[4] == 1 && trees[4] == 2 && ensemble[4] == 2)
        var old = trees
        old[4] = 1
        #expect(errorKind(resealed(old)) == .malformed)
        #expect(errorKind(mlp) == nil)
    }

    /// A tree whose right-child distance points past its own nodes, or a leaf naming a class the
    /// model does not have, is refused at load time (inference would read out of bounds).
    @Test func corruptTreesAreRefused() async throws {
        let (model, _) = try await smallModel(kind: .trees)
        guard case .trees(let forest) = model.classifier else { Issue.record("not trees"); return }
        let b = ModelFile.encode(model)
        // The node arrays end the payload: value (u16 × N) is last, threshold (u8 × N) before it,
        // feature (u16 × N) before that.
        let n = forest.nodeCount
        let valueStart = b.count - 4 - 2 * n
        let featureStart = valueStart - n - 2 * n
        let split = try #require(forest.feature.firstIndex { $0 != TreeEnsembleModel.leafMarker })
        var far = b
        far[valueStart + 2 * split] = 0xFF
        far[valueStart + 2 * split + 1] = 0xFF
        #expect(errorKind(resealed(far)) == .malformed)
        let leaf = try #require(forest.feature.firstIndex(of: TreeEnsembleModel.leafMarker))
        var badClass = b
        badClass[valueStart + 2 * leaf] = 200
        #expect(errorKind(resealed(badClass)) == .malformed)
        var badFeature = b
        badFeature[featureStart + 2 * split] = 0xF0
        badFeature[featureStart + 2 * split + 1] = 0x7F
        #expect(errorKind(resealed(badFeature)) == .malformed)
    }

    @Test func everyTruncationIsReported() async throws {
        let b = ModelFile.encode(try await smallModel().0)
        for cut in stride(from: 4, to: b.count, by: max(1, b.count / 97)) {
            #expect(errorKind(Array(b.prefix(cut))) == .truncated, "cut at \(cut)")
        }
    }

    @Test func checksumMismatchOnAnyFlippedPayloadByte() async throws {
        let b = ModelFile.encode(try await smallModel().0)
        for i in stride(from: 16, to: b.count - 4, by: max(1, b.count / 50)) {
            var c = b
            c[i] ^= 0x40
            #expect(errorKind(c) == .checksumMismatch, "byte \(i)")
        }
    }

    @Test func venueMismatch() async throws {
        let (model, _) = try await smallModel()
        let b = ModelFile.encode(model)
        #expect(errorKind(b, venue: ("other-mall", model.layoutHash)) == .venueMismatch)
        #expect(errorKind(b, venue: ("westfield-demo", model.layoutHash ^ 1)) == .venueMismatch)
        #expect(errorKind(b, venue: ("westfield-demo", model.layoutHash)) == nil)
    }

    @Test func malformedPayloadWithValidChecksum() async throws {
        let b = ModelFile.encode(try await smallModel().0)
        // Trailing garbage inside the payload: grow the length by 1 and add one byte.
        var c = Array(b.dropLast(4))
        c.append(0)
        c[8] &+= 1
        #expect(errorKind(resealed(c + [0, 0, 0, 0])) == .malformed)
        // Feature channels byte (first byte after venue id and hash) set to an unknown bit.
        var d = b
        let channelsOffset = 16 + 4 + "westfield-demo".utf8.count + 8
        d[channelsOffset] = 0x80
        #expect(errorKind(resealed(d)) == .malformed)
        // Relative span (f32 after the channels and statistic bytes) set to 0 dB.
        var e = b
        for i in 0..<4 { e[channelsOffset + 2 + i] = 0 }
        #expect(errorKind(resealed(e)) == .malformed)
    }

    @Test func savesAndLoadsFiles() async throws {
        let (model, _) = try await smallModel()
        let path = "/tmp/mallgate-model-test-\(UInt32.random(in: 0...UInt32.max)).mgm"
        defer { unlink(path) }
        try ModelFile.save(model, to: path)
        let loaded = try ModelFile.load(path: path)
        #expect(loaded.report == model.report)
        #expect(throws: ModelFileError.self) { try ModelFile.load(path: path + ".missing") }
    }

    /// The bound from issue 4: ≤ 256 KB for 200 zones × 64 sensors, at the largest hidden
    /// layer the trainer picks on its own (128), with a full report.
    @Test func venueSizedModelFitsIn256KB() {
        let sensors = 64, zones = 200, hidden = 128
        let spec = FeatureSpec(sensorNames: (0..<sensors).map { "sensor-\($0)-entrance-north" })
        let f = spec.featureCount
        var rng = SeededGenerator(seed: 1)
        let mlp = MLPModel(
            featureCount: f, hiddenCount: hidden, classCount: zones,
            w1: (0..<(f * hidden)).map { _ in Int8(truncatingIfNeeded: rng.next()) }, s1: .init(repeating: 0.01, count: f),
            b1: .init(repeating: 0, count: hidden),
            w2: (0..<(hidden * zones)).map { _ in Int8(truncatingIfNeeded: rng.next()) }, s2: .init(repeating: 0.01, count: hidden),
            b2: .init(repeating: 0, count: zones))
        let classes = ClassList(labelNames: ["zone", "floor", "kind"], classes: (0..<zones).map { ["store-\($0)-long-name", "L\($0 % 3)", "store"] })
        let report = TrainingReport(
            sampleCount: 3000, classCounts: .init(repeating: 15, count: zones), folds: 5, seed: 0,
            candidates: [.init(kind: "knn", accuracy: [0.9, 0.99, 0.95, 0.9], calibrationError: 0.02, seconds: 1),
                         .init(kind: "mlp", accuracy: [0.95, 0.995, 0.97, 0.95], calibrationError: 0.01, seconds: 20)],
            chosen: "mlp", confusions: (0..<10).map { .init(actual: $0, predicted: $0 + 1, count: 3) }, trainingSeconds: 25)
        let model = LocalizationModel(venueID: "westfield-demo", layoutHash: 42, features: spec, classes: classes,
                                      classifier: .mlp(mlp), temperature: 1.3, report: report)
        let bytes = ModelFile.encode(model)
        #expect(bytes.count <= 256 * 1024)
        #expect(bytes.count > f * hidden + hidden * zones)  // the weights really are in there
    }

    /// The same bound for the trees and the MLP+trees ensemble, trained with default options on
    /// a synthetic venue of that shape (15 windows per zone, as a 30-minute calibration walk).
    @Test func venueSizedTreesFitIn256KB() async throws {
        let set = SyntheticFingerprints.make(zones: 200, sensors: 64, samplesPerZone: 15, seed: 5)
        var t = TrainingOptions()
        t.folds = 0
        t.candidates = [.mlpTrees]
        t.venueID = "westfield-demo"
        let model = try await Trainer.train(set, options: t)
        guard case .ensemble(let e) = model.classifier, case .trees(let forest) = e.members[1].classifier else {
            Issue.record("expected an MLP+trees ensemble")
            return
        }
        let bytes = ModelFile.encode(model)
        #expect(bytes.count <= 256 * 1024)
        #expect(bytes.count > 5 * forest.nodeCount)
        #expect(forest.treeCount >= 5)  // full-depth trees on 3,000 windows are ~4,000 nodes: the budget holds ~10
    }
}

@Suite struct ChecksumTests {
    @Test func crc32cCheckValue() {
        // RFC 3720 §B.4 / the CRC catalogue's check value for "123456789".
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        // RFC 3720 §B.4: 32 bytes of zeros.
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
    }

    @Test func fnv1a64ReferenceValues() {
        // From the FNV reference test vectors (fnv.c test suite): "" and "a".
        #expect(LayoutHash.fnv1a64([]) == 0xCBF2_9CE4_8422_2325)
        #expect(LayoutHash.fnv1a64(Array("a".utf8)) == 0xAF63_DC4C_8601_EC8C)
        #expect(LayoutHash.fnv1a64(Array("foobar".utf8)) == 0x8594_4171_F739_67E8)
    }
}
