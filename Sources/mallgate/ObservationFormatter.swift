import MallGateVenue
import MallGateCapture
import MallGateDecode

/// How `parse` prints what it decoded.
enum OutputFormat: String, CaseIterable {
    case json, csv, table, none
}

/// Turns observations into JSON lines, CSV rows or an aligned table.
///
/// One line per frame, in the order sensors heard them; the fields are those an
/// installer checks on site: who (MAC, randomized), how loud (RSSI per chain),
/// where (sensor, channel), and what (sequence number, SSID, IE fingerprint).
struct ObservationFormatter {
    let format: OutputFormat
    let sensors: [String]

    func header() -> String? {
        switch format {
        case .csv:
            return "sensor,time,frame,kind,mac,randomized,rssi_dbm,chains_dbm,noise_dbm,freq_mhz,channel,seq,ssid,ssid_hex,fingerprint\n"
        case .table:
            return pad("TIME", 15) + " " + pad("SENSOR", 12) + " " + pad("MAC", 17) + " R " + padLeft("RSSI", 4) + " "
                + pad("CHAINS", 11) + " " + padLeft("CH", 3) + " " + padLeft("SEQ", 4) + " " + pad("FINGERPRINT", 16) + " SSID\n"
        case .json, .none:
            return nil
        }
    }

    func line(_ observation: Observation) -> String {
        let radio = observation.radio
        let sensor = sensors[observation.sensor]
        let kind: String
        var sequence: UInt16?
        var probe: ProbeRequest?
        switch observation.event {
        case .probeRequest(let p):
            kind = "probe-request"
            sequence = p.sequenceNumber
            probe = p
        case .deviceFrame(let frame):
            kind = frame.kind.rawValue
            sequence = frame.sequenceNumber
        }
        let chains = radio.chainSignals.map { String($0.dBm) }
        switch format {
        case .json:
            var fields: [String] = [
                "\"sensor\":" + jsonQuoted(sensor),
                "\"time\":\"" + TextEncoding.timestamp(nanoseconds: observation.timestampNanoseconds) + "\"",
                "\"frame\":\(observation.frameNumber)",
                "\"kind\":\"\(kind)\"",
                "\"mac\":\"\(observation.source)\"",
                "\"randomized\":\(observation.source.isLocallyAdministered)",
                "\"rssi_dbm\":" + (radio.signalDBm.map { String($0) } ?? "null"),
                "\"chains_dbm\":[" + chains.joined(separator: ",") + "]",
            ]
            // What the radio wrote is printed as is; a value no receiver can measure is flagged.
            if radio.hasImplausibleSignal { fields.append("\"rssi_implausible\":true") }
            if let noise = radio.noiseDBm { fields.append("\"noise_dbm\":\(noise)") }
            fields.append("\"freq_mhz\":" + (radio.channelMHz.map { String($0) } ?? "null"))
            fields.append("\"channel\":" + (radio.channel.map { String($0) } ?? "null"))
            fields.append("\"seq\":" + (sequence.map { String($0) } ?? "null"))
            if let probe {
                fields.append("\"ssid\":" + jsonQuoted(probe.ssid.description))
                fields.append("\"ssid_hex\":\"" + hex(probe.ssid) + "\"")
                fields.append("\"fingerprint\":\"\(probe.fingerprint)\"")
                if probe.hasMalformedElements { fields.append("\"malformed_elements\":true") }
            }
            return "{" + fields.joined(separator: ",") + "}\n"
        case .csv:
            let columns: [String] = [
                TextEncoding.csvField(sensor),
                TextEncoding.timestamp(nanoseconds: observation.timestampNanoseconds),
                String(observation.frameNumber), kind, observation.source.description,
                observation.source.isLocallyAdministered ? "1" : "0",
                radio.signalDBm.map { String($0) } ?? "",
                TextEncoding.csvField(chains.joined(separator: ",")),
                radio.noiseDBm.map { String($0) } ?? "",
                radio.channelMHz.map { String($0) } ?? "",
                radio.channel.map { String($0) } ?? "",
                sequence.map { String($0) } ?? "",
                probe.map { TextEncoding.csvField($0.ssid.description) } ?? "",
                probe.map { hex($0.ssid) } ?? "",
                probe.map { $0.fingerprint.description } ?? "",
            ]
            return columns.joined(separator: ",") + "\n"
        case .table:
            let time = TextEncoding.timestamp(nanoseconds: observation.timestampNanoseconds)
            // HH:MM:SS.mmmmmm is enough on a screen; the date is the same for a whole capture.
            let clock = String(time.dropFirst(11).prefix(15))
            let ssid: String
            if let probe { ssid = probe.ssid.isWildcard ? "(wildcard)" : probe.ssid.description } else { ssid = "(\(kind))" }
            return pad(clock, 15) + " " + pad(sensor, 12) + " " + observation.source.description
                + (observation.source.isLocallyAdministered ? " * " : "   ")
                + padLeft(radio.signalDBm.map { String($0) } ?? "-", 4) + " "
                + pad(chains.isEmpty ? "-" : chains.joined(separator: ","), 11) + " "
                + padLeft(radio.channel.map { String($0) } ?? "-", 3) + " "
                + padLeft(sequence.map { String($0) } ?? "-", 4) + " "
                + pad(probe.map { $0.fingerprint.description } ?? "-", 16) + " " + ssid + "\n"
        case .none:
            return ""
        }
    }

    private func hex(_ ssid: SSID) -> String {
        ssid.withUnsafeBytes { bytes in bytes.map(TextEncoding.hex).joined() }
    }

    private func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s : s + String(repeating: " ", count: width - s.count)
    }

    private func padLeft(_ s: String, _ width: Int) -> String {
        s.count >= width ? s : String(repeating: " ", count: width - s.count) + s
    }
}
