extension RadioInfo {
    /// The received signals MallGate believes, in dBm: from the radio's sensitivity floor to a
    /// phone held against the antenna.
    ///
    /// Some sniffers write a dBm field that carries no measurement: 0 dBm in every frame
    /// (zamani_polimi captures), or +15 dBm (Baccichet S21Ultra-M frame 138). tshark prints
    /// them as they are, and so does the decoder (``signalDBm`` is what the radio wrote);
    /// localization must not read them as "right next to the sensor", so it uses
    /// ``plausibleSignalDBm``. Above −5 dBm a phone (≤ 20 dBm EIRP) would have to touch
    /// the antenna; below −110 dBm no 802.11 receiver decodes a frame.
    public static let plausibleSignalRange: ClosedRange<Int8> = -110 ... -5

    /// ``signalDBm`` when it lies in ``plausibleSignalRange``, else nil ("heard, strength unknown").
    public var plausibleSignalDBm: Int8? {
        guard let signal = signalDBm, RadioInfo.plausibleSignalRange.contains(signal) else { return nil }
        return signal
    }

    /// Whether the radio reported a signal that cannot be a real measurement.
    public var hasImplausibleSignal: Bool {
        signalDBm != nil && plausibleSignalDBm == nil
    }
}
