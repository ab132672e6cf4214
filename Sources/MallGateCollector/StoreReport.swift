internal import MallGateVenue

/// The per-store report as CSV (for spreadsheets) and JSON.
///
/// Written by hand: a flat table of numbers and zone ids, where a Codable round trip through
/// Foundation would add nothing but a dependency.
public enum StoreReport {
    /// Header `store,bucket_start_ms,footfall,passers_by,mean_dwell_seconds`, one line per row (RFC 4180).
    public static func csv(_ rows: [StoreReportRow]) -> String {
        var out = "store,bucket_start_ms,footfall,passers_by,mean_dwell_seconds\r\n"
        for row in rows {
            out += "\(csvField(row.store)),\(row.bucketStartMs),\(row.footfall),\(row.passersBy),\(formatSeconds(row.meanDwellSeconds))\r\n"
        }
        return out
    }

    /// `{"venue":…,"bucket_seconds":…,"rows":[{"store":…,"bucket_start_ms":…,…}]}`.
    public static func json(venue: String, bucketSeconds: Int64, _ rows: [StoreReportRow]) -> String {
        var out = "{\"venue\":\(jsonQuoted(venue)),\"bucket_seconds\":\(bucketSeconds),\"rows\":["
        for (index, row) in rows.enumerated() {
            if index > 0 { out += "," }
            out += "{\"store\":\(jsonQuoted(row.store)),\"bucket_start_ms\":\(row.bucketStartMs),\"footfall\":\(row.footfall),"
            out += "\"passers_by\":\(row.passersBy),\"mean_dwell_seconds\":\(formatSeconds(row.meanDwellSeconds))}"
        }
        return out + "]}\n"
    }

    static func formatSeconds(_ value: Double) -> String {
        // One decimal is the precision dwell is reported with; integers keep the text short.
        let tenths = (value * 10).rounded()
        return tenths.truncatingRemainder(dividingBy: 10) == 0 ? String(Int64(tenths / 10)) : String(tenths / 10)
    }

    static func csvField(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0.isNewline }) else { return text }
        return "\"" + text.replacingAll("\"", with: "\"\"") + "\""
    }
}

extension String {
    func replacingAll(_ target: Character, with replacement: String) -> String {
        var out = ""
        for character in self { if character == target { out += replacement } else { out.append(character) } }
        return out
    }
}
