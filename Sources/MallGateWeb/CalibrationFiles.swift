public import MallGateLocalize
internal import MallGateSimulator

/// The calibration walk's files in `STATE/calibration/`: the labels, in the
/// `mac,start,end,zone` format `mallgate train --labels` reads, and the fingerprint windows
/// recorded while they were open, in the fingerprint CSV format `mallgate train --csv` reads.
///
/// The MAC column holds `id:` and the device's keyed id (16 hex digits) instead of the MAC:
/// the phone's address is hashed when it is typed and never written anywhere.
public enum CalibrationFiles {
    public static let directoryName = "calibration"
    public static let labelsName = "labels.csv"
    public static let fingerprintsName = "fingerprints.csv"
    public static let labelsHeader = "mac,start,end,zone"
    /// Label columns of the fingerprint file; then `time` (seconds), then one RSSI column per sensor.
    public static let fingerprintLabels = ["zone", "floor", "kind"]
    /// The RSSI written for a sensor that did not hear the window (the trainer's default "not heard").
    public static let notHeard: Float = 100

    /// One recorded label.
    public struct Label: Sendable, Equatable {
        public var device: UInt64
        public var startNanoseconds: Int64
        public var endNanoseconds: Int64
        public var zone: String
        public init(device: UInt64, startNanoseconds: Int64, endNanoseconds: Int64, zone: String) {
            self.device = device
            self.startNanoseconds = startNanoseconds
            self.endNanoseconds = endNanoseconds
            self.zone = zone
        }
    }

    /// `id:<16 hex digits>`: the keyed device id in the MAC column.
    public static func deviceField(_ device: UInt64) -> String {
        let hex = String(device, radix: 16)
        return "id:" + String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// The id of an `id:` field; nil for anything else (a MAC, a typo).
    public static func device(fromField field: some StringProtocol) -> UInt64? {
        guard field.hasPrefix("id:"), field.count == 19 else { return nil }
        return UInt64(field.dropFirst(3), radix: 16)
    }

    /// RFC 3339 UTC with microseconds (truncated), as the trainer's label parser reads it:
    /// `2026-11-29T10:00:45.500000Z`. Microseconds, not the simulator's milliseconds, so that a
    /// label ends exactly where the technician pressed Stop on the pipeline clock.
    public static func timeText(_ nanoseconds: Int64) -> String {
        var microseconds = nanoseconds / 1000
        if nanoseconds < 0 && nanoseconds % 1000 != 0 { microseconds -= 1 }
        var fraction = microseconds % 1_000_000
        if fraction < 0 { fraction += 1_000_000 }
        let whole = Instant(microsecondsSinceEpoch: microseconds - fraction).rfc3339(fractional: false)
        let digits = String(fraction)
        return whole.dropLast() + "." + String(repeating: "0", count: 6 - digits.count) + digits + "Z"
    }

    /// One line of the labels file (with its newline).
    public static func line(_ label: Label) -> String {
        "\(deviceField(label.device)),\(timeText(label.startNanoseconds)),\(timeText(label.endNanoseconds)),\(label.zone)\n"
    }

    /// The labels of a labels file; lines that are not `id:` labels (a header, a MAC label) are skipped.
    public static func parseLabels(_ text: String) -> [Label] {
        var labels: [Label] = []
        for line in text.split(separator: "\n") {
            let f = line.split(separator: ",", omittingEmptySubsequences: false)
            guard f.count == 4, let device = device(fromField: f[0]),
                  let start = Instant(rfc3339: String(f[1])), let end = Instant(rfc3339: String(f[2])) else { continue }
            labels.append(Label(device: device, startNanoseconds: start.microseconds * 1000, endNanoseconds: end.microseconds * 1000, zone: String(f[3])))
        }
        return labels
    }

    /// The fingerprint file's header for `sensors`.
    public static func fingerprintHeader(sensors: [String]) -> String {
        (fingerprintLabels + ["time"] + sensors).joined(separator: ",") + "\n"
    }

    /// One fingerprint row: the zone's labels, the window's end (s) and each sensor's median RSSI
    /// in the header's order (``notHeard`` when the sensor did not hear the window).
    public static func fingerprintRow(zone: String, floor: String, kind: String, endNanoseconds: Int64, sample: Sample, sampleSensors: [String], headerSensors: [String]) -> String {
        var index: [String: Int] = [:]
        for (i, name) in sampleSensors.enumerated() { index[name] = i }
        var fields = [zone, floor, kind, seconds(endNanoseconds)]
        for name in headerSensors {
            if let i = index[name], i < sample.sensors.count, sample.sensors[i].isHeard {
                fields.append(decimal(sample.sensors[i].median))
            } else {
                fields.append(decimal(notHeard))
            }
        }
        return fields.joined(separator: ",") + "\n"
    }

    /// The options that read a fingerprint file back (``FingerprintCSV``).
    public static func fingerprintOptions(sensors: [String]) -> FingerprintCSV.Options {
        var o = FingerprintCSV.Options(labelColumns: fingerprintLabels.map { .name($0) }, rssColumns: .list(sensors.map { .name($0) }))
        o.notHeardValue = notHeard
        o.timeColumn = .name("time")
        o.separator = UInt8(ascii: ",")
        return o
    }

    /// The sensor columns of a fingerprint file's first line; nil when it is not one of ours.
    public static func headerSensors(_ firstLine: some StringProtocol) -> [String]? {
        let f = String(firstLine).split(separator: ",").map(String.init)
        guard f.count > 4, Array(f.prefix(4)) == fingerprintLabels + ["time"] else { return nil }
        return Array(f.dropFirst(4))
    }

    /// Seconds with millisecond precision, without a trailing exponent.
    static func seconds(_ nanoseconds: Int64) -> String {
        let ms = nanoseconds / 1_000_000
        let frac = Int(ms % 1000)
        return "\(ms / 1000).\(frac < 10 ? "00" : frac < 100 ? "0" : "")\(frac)"
    }

    /// A reading to one decimal place (RSSI medians are halves at most).
    static func decimal(_ v: Float) -> String {
        let tenths = Int((v * 10).rounded())
        let sign = tenths < 0 ? "-" : ""
        return "\(sign)\(abs(tenths) / 10).\(abs(tenths) % 10)"
    }
}
