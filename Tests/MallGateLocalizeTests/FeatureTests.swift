import Testing
@testable import MallGateLocalize

@Suite struct FeatureTests {
    /// Three sensors, heard at −50, −70, not heard; median statistic.
    private let sample = Sample(sensors: [.init(rssi: -50), .init(rssi: -70), .notHeard])

    @Test func robustFeaturesAreRelativeToTheStrongestAndFlagNotHeard() {
        let spec = FeatureSpec(sensorNames: ["a", "b", "c"], relativeSpanDB: 50)  // relative + heard
        // relative: 1 + (−50+50)/50 = 1, 1 + (−70+50)/50 = 0.6, not heard 0; heard: 1, 1, 0.
        #expect(spec.encode(sample) == [1, 0.6, 0, 1, 1, 0])
    }

    @Test func byDefaultASensor30dBBelowTheStrongestIsRelativeZero() {
        let spec = FeatureSpec(sensorNames: ["a", "b", "c"])
        #expect(spec.relativeSpanDB == 30 && TrainingOptions().relativeSpanDB == 30)
        // −65 dBm: 1 + (−15)/30 = 0.5; −80 dBm and −90 dBm: 30 and 40 dB below, both 0, but heard.
        let v = spec.encode(Sample(sensors: [.init(rssi: -50), .init(rssi: -65), .init(rssi: -80)]))
        #expect(v == [1, 0.5, 0, 1, 1, 1])
        #expect(spec.encode(Sample(sensors: [.init(rssi: -50), .init(rssi: -65), .init(rssi: -90)])) == v)
    }

    @Test func notHeardDiffersFromWeak() {
        let spec = FeatureSpec(sensorNames: ["a", "b", "c"])
        // −100 dBm is 50 dB below the strongest: relative 0, like not heard; the flag tells them apart.
        let weak = Sample(sensors: [.init(rssi: -50), .init(rssi: -70), .init(rssi: -100)])
        #expect(spec.encode(weak) != spec.encode(sample))
        #expect(spec.encode(weak)[5] == 1 && spec.encode(sample)[5] == 0)
    }

    @Test func absoluteChannelIsScaledBetweenFloorAndCeiling() {
        let spec = FeatureSpec(sensorNames: ["a", "b", "c"], channels: .absolute)
        // (−50 + 110) / 90, (−70 + 110) / 90, 0.
        let v = spec.encode(sample)
        #expect(abs(v[0] - 60.0 / 90) < 1e-6 && abs(v[1] - 40.0 / 90) < 1e-6 && v[2] == 0)
    }

    @Test func shiftedSampleGivesTheSameRobustFeaturesButNotAbsoluteOnes() {
        let robust = FeatureSpec(sensorNames: ["a", "b", "c"])
        let absolute = FeatureSpec(sensorNames: ["a", "b", "c"], channels: .all)
        for d: Float in [-8, 8] {
            #expect(robust.encode(sample.shifted(by: d)) == robust.encode(sample))
            #expect(absolute.encode(sample.shifted(by: d)) != absolute.encode(sample))
        }
    }

    /// A phone 8 dB louder or quieter than the calibration phone: with the robust spec every
    /// prediction and probability is unchanged (not "nearly": the features are identical).
    @Test(arguments: [LocalizationModel.Kind.mlp, .knn])
    func predictionsSurviveEightDecibels(kind: LocalizationModel.Kind) async throws {
        let set = SyntheticFingerprints.make(zones: 8, sensors: 10, samplesPerZone: 15, seed: 7)
        var t = TrainingOptions()
        t.folds = 0
        t.candidates = [kind]
        t.mlp.targetSteps = 300
        let model = try await Trainer.train(set, options: t)
        let probe = SyntheticFingerprints.make(zones: 8, sensors: 10, samplesPerZone: 5, seed: 8)
        for s in probe.samples {
            let base = model.predict(s)
            #expect(model.predict(s.shifted(by: 8)) == base)
            #expect(model.predict(s.shifted(by: -8)) == base)
        }
    }

    @Test func channelNamesParse() {
        #expect(FeatureSpec.Channels("robust") == [.relative, .heard])
        #expect(FeatureSpec.Channels("relative+absolute") == [.relative, .absolute])
        #expect(FeatureSpec.Channels("all") == .all)
        #expect(FeatureSpec.Channels("loud") == nil)
    }
}
