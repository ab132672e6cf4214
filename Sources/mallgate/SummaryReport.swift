import MallGateCapture
import MallGateDecode

/// The end-of-run summary of `parse`: what each sensor read, decoded, skipped and lost.
///
/// Counts are what an installer needs to tell a quiet sensor from a broken one: a
/// sensor with frames but no probe requests has the wrong filter or channel; one
/// with kernel drops needs a bigger buffer; bad FCS means interference or distance.
struct SummaryReport {
    let sensors: [SensorStatistics]

    /// Drop reasons that mean "the frame was cut short", reported together as truncated.
    static let truncationReasons: [DropReason] = [
        .truncatedRadioHeader, .truncatedRadioField, .truncated80211Header, .truncatedTZSP,
    ]

    var text: String {
        var rows: [[String]] = [[
            "sensor", "frames", "probe-req", "device", "other", "bad-fcs", "truncated", "malformed", "kernel-drop", "edge-drop",
        ]]
        var total = SensorStatistics(source: SourceStatistics(sensor: "total"))
        var kernelTotal: UInt64?
        for sensor in sensors {
            rows.append(row(sensor.source.sensor.rawValue, sensor))
            total.decode.add(sensor.decode)
            total.source.framesRead += sensor.source.framesRead
            total.droppedAtEdge += sensor.droppedAtEdge
            if let dropped = sensor.source.kernelDropped { kernelTotal = (kernelTotal ?? 0) + dropped }
        }
        total.source.kernelDropped = kernelTotal
        if sensors.count > 1 { rows.append(row("total", total)) }

        var text = align(rows)
        var details: [String] = []
        for reason in DropReason.allCases where total.decode.dropped(reason) > 0 {
            details.append("\(reason.rawValue) \(total.decode.dropped(reason))")
        }
        if !details.isEmpty { text += "dropped by reason: " + details.joined(separator: ", ") + "\n" }
        for sensor in sensors {
            if let frame = sensor.source.truncatedAtFrame {
                text += "\(sensor.source.sensor): input ends inside frame \(frame); the \(frame - 1) frames before it were read\n"
            }
            if sensor.source.datagramsRejected > 0 {
                text += "\(sensor.source.sensor): \(sensor.source.datagramsRejected) TZSP datagrams from senders not allowed\n"
            }
            if sensor.source.framesCutBySnapshotLength > 0 {
                text += "\(sensor.source.sensor): \(sensor.source.framesCutBySnapshotLength) frames cut by the snapshot length\n"
            }
        }
        return text
    }

    private func row(_ name: String, _ s: SensorStatistics) -> [String] {
        let truncated = Self.truncationReasons.reduce(UInt64(0)) { $0 + s.decode.dropped($1) }
        let otherDrops = s.decode.droppedTotal - truncated - s.decode.dropped(.badFCS)
        return [
            name, String(s.source.framesRead), String(s.decode.probeRequests), String(s.decode.deviceFrames),
            String(s.decode.otherFrames + otherDrops), String(s.decode.dropped(.badFCS)), String(truncated),
            String(s.decode.malformedElementLists),
            s.source.kernelDropped.map { String($0) } ?? "-", String(s.droppedAtEdge),
        ]
    }

    private func align(_ rows: [[String]]) -> String {
        let widths = rows[0].indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            row.indices.map { column in
                let cell = row[column]
                let padding = String(repeating: " ", count: widths[column] - cell.count)
                return column == 0 ? cell + padding : padding + cell
            }.joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
    }
}
