public import MallGateLocalize
public import MallGateStore

/// Watches the windows of a few devices as the engine localizes them: what the web UI's
/// calibration and "where am I" need, without a second pipeline.
///
/// Devices are named by the identify stage's keyed id (before pseudo-device grouping), which
/// is what hashing a typed MAC gives; the engine maps them to its own device once heard.
public struct WindowTap: Sendable {
    public var devices: Set<UInt64>
    /// Called on the engine, for each window of a watched device: keep it short (hand it on).
    public var onWindow: @Sendable (_ watched: UInt64, _ window: WindowedSample, _ position: PositionRow) -> Void

    public init(devices: Set<UInt64>, onWindow: @escaping @Sendable (_ watched: UInt64, _ window: WindowedSample, _ position: PositionRow) -> Void) {
        self.devices = devices
        self.onWindow = onWindow
    }
}
