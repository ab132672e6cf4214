/// How a ``Sample`` becomes the fixed-length vector a model reads; stored in the model file
/// so training and inference cannot disagree.
///
/// Phones differ by several dB in what they transmit and how they are held, so the default
/// describes each sensor *relative to the strongest sensor that heard the device*, plus a
/// heard/not-heard flag: adding the same offset to every reading changes neither. Absolute
/// RSSI is optional, for datasets and venues with too few sensors for ratios alone (two
/// receivers give a single difference). Every feature lies in [0, 1].
public struct FeatureSpec: Sendable, Equatable {
    /// Which per-sensor features the vector holds, each a block of `sensorCount` values.
    public struct Channels: OptionSet, Sendable, Hashable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        /// `1 + (rssi − strongest) / relativeSpanDB`, clipped to [0, 1]; 0 when not heard.
        public static let relative = Channels(rawValue: 1)
        /// 1 when heard, 0 when not.
        public static let heard = Channels(rawValue: 2)
        /// `(rssi − absoluteFloorDBm) / (absoluteCeilingDBm − absoluteFloorDBm)`, clipped; 0 when not heard.
        public static let absolute = Channels(rawValue: 4)

        /// The phone-independent default.
        public static let robust: Channels = [.relative, .heard]
        public static let all: Channels = [.relative, .heard, .absolute]

        /// Parses `relative+heard`, `robust`, `all`, `absolute` …
        public init?(_ text: String) {
            var result: Channels = []
            for part in text.split(separator: "+") {
                switch part {
                case "relative": result.insert(.relative)
                case "heard": result.insert(.heard)
                case "absolute": result.insert(.absolute)
                case "robust": result.formUnion(.robust)
                case "all": result.formUnion(.all)
                default: return nil
                }
            }
            guard !result.isEmpty else { return nil }
            self = result
        }

        public var description: String {
            [(Channels.relative, "relative"), (.heard, "heard"), (.absolute, "absolute")]
                .filter { contains($0.0) }.map(\.1).joined(separator: "+")
        }

        var blockCount: Int { rawValue.nonzeroBitCount }
    }

    /// Which statistic of a window stands for a sensor's RSSI.
    public enum Statistic: UInt8, Sendable {
        case strongest = 0
        case median = 1
    }

    /// Sensor (or access point) names, one per position in ``Sample/sensors``.
    public var sensorNames: [String]
    public var channels: Channels
    public var statistic: Statistic
    /// A sensor this many dB below the strongest maps to 0 in the relative block.
    public var relativeSpanDB: Float
    /// The span new models are trained with: 30 dB.
    ///
    /// A narrower span spends the block's range on the sensors near the phone, which say which
    /// store it is in, and less on far ones near the radios' sensitivity, which a quieter phone
    /// loses. Chosen on simulator seed 2 of the three venues (25–40 dB all beat 50 dB; 30 dB had
    /// the best mean store accuracy over phones 0 / +8 / −8 dB), then checked on the public
    /// datasets: the chosen models equal or better there (UJIIndoorLoc floor +1.6 points), kNN
    /// 0.65 points lower on UCI rooms (docs/accuracy.md, session 10). Models keep the span they
    /// were trained with (it is in the model file).
    public static let defaultRelativeSpanDB: Float = 30
    public var absoluteFloorDBm: Float
    public var absoluteCeilingDBm: Float

    public init(
        sensorNames: [String], channels: Channels = .robust, statistic: Statistic = .median,
        relativeSpanDB: Float = FeatureSpec.defaultRelativeSpanDB, absoluteFloorDBm: Float = -110, absoluteCeilingDBm: Float = -20
    ) {
        self.sensorNames = sensorNames
        self.channels = channels
        self.statistic = statistic
        self.relativeSpanDB = relativeSpanDB
        self.absoluteFloorDBm = absoluteFloorDBm
        self.absoluteCeilingDBm = absoluteCeilingDBm
    }

    public var sensorCount: Int { sensorNames.count }
    public var featureCount: Int { sensorCount * channels.blockCount }

    /// Writes the feature vector of `sample` into `out` (``featureCount`` values); no allocation.
    /// - Precondition: `sample.sensors.count == sensorCount`, `out.count >= featureCount`.
    public func encode(_ sample: Sample, into out: UnsafeMutableBufferPointer<Float>) {
        let n = sensorCount
        precondition(sample.sensors.count == n && out.count >= featureCount, "sample has \(sample.sensors.count) sensors, spec \(n)")
        var strongest = -Float.infinity
        for s in sample.sensors where s.isHeard { strongest = max(strongest, value(s)) }
        var block = 0
        if channels.contains(.relative) {
            let inv = 1 / relativeSpanDB
            for i in 0..<n {
                let s = sample.sensors[i]
                out[block + i] = s.isHeard ? min(1, max(0, 1 + (value(s) - strongest) * inv)) : 0
            }
            block += n
        }
        if channels.contains(.heard) {
            for i in 0..<n { out[block + i] = sample.sensors[i].isHeard ? 1 : 0 }
            block += n
        }
        if channels.contains(.absolute) {
            let inv = 1 / (absoluteCeilingDBm - absoluteFloorDBm)
            for i in 0..<n {
                let s = sample.sensors[i]
                out[block + i] = s.isHeard ? min(1, max(0, (value(s) - absoluteFloorDBm) * inv)) : 0
            }
        }
    }

    /// The feature vector of `sample`, allocated.
    public func encode(_ sample: Sample) -> [Float] {
        [Float](unsafeUninitializedCapacity: featureCount) { buffer, count in
            encode(sample, into: buffer)
            count = featureCount
        }
    }

    @inline(__always) private func value(_ s: SensorSummary) -> Float {
        statistic == .median ? s.median : s.strongest
    }
}
