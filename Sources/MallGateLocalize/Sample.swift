/// What one sensor heard from one device in one window (or one row of a fingerprint
/// dataset): the strongest and median RSSI and how many frames.
///
/// "Not heard" (`count == 0`) is kept apart from "heard weakly": a sensor that never hears a
/// phone says something different about where it is than one that hears it at −90 dBm.
public struct SensorSummary: Sendable, Equatable {
    /// Strongest RSSI in the window, dBm.
    public var strongest: Float
    /// Median RSSI in the window, dBm.
    public var median: Float
    /// Frames heard in the window; 0 means not heard (the RSSI fields are then meaningless).
    public var count: UInt32

    public init(strongest: Float, median: Float, count: UInt32) {
        self.strongest = strongest
        self.median = median
        self.count = count
    }

    /// One reading, as a dataset row gives it.
    public init(rssi: Float) {
        self.init(strongest: rssi, median: rssi, count: 1)
    }

    public static let notHeard = SensorSummary(strongest: 0, median: 0, count: 0)

    public var isHeard: Bool { count > 0 }
}

/// The evidence about one device in one window: one ``SensorSummary`` per sensor, in the
/// order of ``FeatureSpec/sensorNames``.
public struct Sample: Sendable, Equatable {
    public var sensors: [SensorSummary]

    public init(sensors: [SensorSummary]) {
        self.sensors = sensors
    }

    /// A window in which no sensor heard the device yet.
    public init(sensorCount: Int) {
        self.sensors = Array(repeating: .notHeard, count: sensorCount)
    }

    /// The same sample as heard from a phone `dB` louder (or quieter, when negative);
    /// what a different phone model does to every reading.
    public func shifted(by dB: Float) -> Sample {
        Sample(sensors: sensors.map {
            $0.isHeard ? SensorSummary(strongest: $0.strongest + dB, median: $0.median + dB, count: $0.count) : $0
        })
    }
}
