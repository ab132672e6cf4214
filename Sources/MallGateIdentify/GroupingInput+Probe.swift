public import MallGateDecode

extension GroupingInput {
    /// The grouper's view of a decoded probe request: everything but its MAC, which stays behind.
    /// - Parameters:
    ///   - deviceID: the frame's keyed id from ``DeviceIdentifier``.
    @inlinable
    public init(probe: ProbeRequest, deviceID: UInt64, timeNanoseconds: Int64, sensor: Int) {
        self.init(deviceID: deviceID, isRandomized: probe.isRandomized, fingerprint: probe.fingerprint.rawValue,
                  sequenceNumber: probe.sequenceNumber, timeNanoseconds: timeNanoseconds, sensor: sensor,
                  rssi: probe.radio.plausibleSignalDBm.map(Float.init))
    }
}
