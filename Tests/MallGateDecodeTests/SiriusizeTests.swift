import Testing
@testable import MallGateDecode

/// siriusize_assoc: 615 real 5 GHz probe requests as IE hex, 76 of them labelled with
/// 10 ground-truth devices in GT.csv (`pkt_chain` = row indices into sample_input.csv).
@Suite(.enabled(if: capturesDirectory != nil, "../shared/captures is absent: dataset tests skipped"))
struct SiriusizeTests {
    struct Row { var txAddress: String; var elements: [UInt8] }

    static func loadRows() throws -> [Row] {
        let dir = try #require(capturesDirectory)
        let text = String(decoding: try #require(readFile(dir + "/siriusize_assoc/sample_input.csv")), as: UTF8.self)
        var lines = text.split(whereSeparator: \.isNewline)
        let header = lines.removeFirst().split(separator: ",", omittingEmptySubsequences: false)
        let ieColumn = try #require(header.firstIndex(of: "info_element"))
        let txColumn = try #require(header.firstIndex(of: "tx_addr"))
        return try lines.map { line in
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            #expect(fields.count == header.count)
            let hexText = String(fields[ieColumn])
            #expect(hexText.utf8.count % 2 == 0)
            return Row(txAddress: String(fields[txColumn]), elements: hex(hexText))
        }
    }

    static func loadTruth() throws -> [(device: String, rows: [Int])] {
        let dir = try #require(capturesDirectory)
        let text = String(decoding: try #require(readFile(dir + "/siriusize_assoc/GT.csv")), as: UTF8.self)
        return try text.split(whereSeparator: \.isNewline).dropFirst().map { line in
            let device = String(line.split(separator: ",")[1])
            let list = try #require(line.split(separator: "[").last?.split(separator: "]").first)
            return (device, list.split(separator: ",").compactMap { Int($0.filter { $0 != " " }) })
        }
    }

    @Test func everyElementListParses() throws {
        let rows = try Self.loadRows()
        #expect(rows.count == 615)
        var malformed = 0
        var withHT = 0
        var withVHT = 0
        var withHE = 0
        for row in rows {
            let elements = row.elements.withUnsafeBytes { ProbeRequestElements(parsing: $0) }
            if elements.hasMalformedElements { malformed += 1 }
            if elements.htCapabilities != nil { withHT += 1 }
            if elements.vhtCapabilities != nil { withVHT += 1 }
            if elements.heCapabilities != nil { withHE += 1 }
            // A walk that is not malformed consumed exactly the whole list.
            var end = 0
            row.elements.withUnsafeBytes { raw in
                for element in InformationElements(raw) { end = element.offset + 2 + element.body.count }
            }
            #expect(elements.hasMalformedElements || end == row.elements.count)
        }
        // A Python walk over the same hex finds no element running past its list.
        #expect(malformed == 0)
        // Counted by a Python walk over the same hex: 559 lists with HT and VHT, 244 with HE.
        #expect(withHT == 559 && withVHT == 559 && withHE == 244)
        print("siriusize: \(rows.count) lists, \(malformed) malformed, HT \(withHT), VHT \(withVHT), HE \(withHE)")
    }

    @Test func fingerprintGroupsDevices() throws {
        let rows = try Self.loadRows()
        let truth = try Self.loadTruth()
        #expect(truth.count == 10)
        var labelled: [(device: String, fingerprint: IEFingerprint)] = []
        for (device, indices) in truth {
            for index in indices {
                let row = try #require(rows.indices.contains(index) ? rows[index] : nil)
                labelled.append((device, IEFingerprint(elements: row.elements.withUnsafeBytes { $0 })))
            }
        }
        #expect(labelled.count == 76)
        var samePairs = 0, sameEqual = 0, differentPairs = 0, differentDistinct = 0
        for a in labelled.indices {
            for b in labelled.indices where b > a {
                if labelled[a].device == labelled[b].device {
                    samePairs += 1
                    if labelled[a].fingerprint == labelled[b].fingerprint { sameEqual += 1 }
                } else {
                    differentPairs += 1
                    if labelled[a].fingerprint != labelled[b].fingerprint { differentDistinct += 1 }
                }
            }
        }
        let sameRate = Double(sameEqual) / Double(samePairs)
        let differentRate = Double(differentDistinct) / Double(differentPairs)
        print("siriusize fingerprint: same-device pairs equal \(sameEqual)/\(samePairs) = \(sameRate); different-device pairs distinct \(differentDistinct)/\(differentPairs) = \(differentRate)")
        // Floors, not exact values: identical phone models legitimately share a fingerprint.
        #expect(sameRate >= 0.95)
        #expect(differentRate >= 0.75)
    }
}
