import Testing
@testable import MallGateLocalize

@Suite struct FingerprintCSVTests {
    private func parse(_ text: String, _ options: FingerprintCSV.Options) throws -> FingerprintSet {
        try FingerprintCSV.parse(Array(text.utf8), file: "f.csv", options: options)
    }

    @Test func headerPrefixAndNotHeardValue() throws {
        let text = "WAP001,WAP002,FLOOR,BUILDINGID\n-60,100,2,0\r\n100,-75.5,3,1\n"
        let set = try parse(text, .init(labelColumns: [.name("BUILDINGID"), .name("FLOOR")], rssColumns: .prefix("WAP")))
        #expect(set.sensorNames == ["WAP001", "WAP002"])
        #expect(set.labelNames == ["BUILDINGID", "FLOOR"])
        #expect(set.labels == [["0", "2"], ["1", "3"]])
        #expect(set.samples[0].sensors == [.init(rssi: -60), .notHeard])
        #expect(set.samples[1].sensors == [.notHeard, .init(rssi: -75.5)])
    }

    @Test func tabsWithoutHeaderByIndexRange() throws {
        var o = FingerprintCSV.Options(labelColumns: [.index(3)], rssColumns: .range(0...2))
        o.hasHeader = false
        let set = try parse("-64\t-56\t-61\t1\n-68\t-57\t-61\t2\n", o)
        #expect(set.count == 2 && set.sensorNames == ["0", "1", "2"] && set.labels == [["1"], ["2"]])
        #expect(set.samples[1].sensors[0] == .init(rssi: -68))
    }

    @Test func thresholdAndQuotedLabels() throws {
        var o = FingerprintCSV.Options(labelColumns: [.name("zone")], rssColumns: .rest)
        o.notHeardBelow = -95
        let set = try parse("zone,a,b\n\"shop, north\",-96,-40\n", o)
        #expect(set.labels == [["shop, north"]])
        #expect(set.samples[0].sensors == [.notHeard, .init(rssi: -40)])
    }

    @Test func columnRangeSyntax() {
        #expect(FingerprintCSV.Columns("0-6") == .range(0...6))
        #expect(FingerprintCSV.Columns("3..9") == .range(3...9))
        #expect(FingerprintCSV.Columns("WAP") == .prefix("WAP"))
        #expect(FingerprintCSV.Columns("a,b") == .list([.name("a"), .name("b")]))
    }

    @Test func errorsNameFileLineAndColumn() {
        let o = FingerprintCSV.Options(labelColumns: [.name("room")], rssColumns: .prefix("ap"))
        // "-7x" is the third field of line 3 (1-based line and column, as editors count).
        #expect(throws: FingerprintCSVError(file: "f.csv", line: 3, column: 3, message: "\"-7x\" is not an RSSI number (column ap1)")) {
            try parse("room,ap0,ap1\nA,-50,-60\nB,-55,-7x\n", .init(labelColumns: [.name("room")], rssColumns: .list([.name("ap1")])))
        }
        do {
            _ = try parse("room,ap0,ap1\nA,-50\n", o)
            Issue.record("a short row must fail")
        } catch let e as FingerprintCSVError {
            #expect(e.line == 2 && e.description.hasPrefix("f.csv:2: 2 fields"))
        } catch { Issue.record("\(error)") }
        #expect(throws: FingerprintCSVError.self) { try parse("room,ap0\n", o) }  // no data rows
        #expect(throws: FingerprintCSVError.self) { try parse("room,ap0\nA,1\n", .init(labelColumns: [.name("floor")], rssColumns: .rest)) }
        var noHeader = FingerprintCSV.Options(labelColumns: [.name("room")], rssColumns: .rest)
        noHeader.hasHeader = false
        #expect(throws: FingerprintCSVError.self) { try parse("A,-50\n", noHeader) }
    }

    @Test func separateLabelFileMustAlign() throws {
        var rss = FingerprintCSV.Options(labelColumns: [], rssColumns: .rest)
        rss.hasHeader = false
        var crd = FingerprintCSV.Options(labelColumns: [.index(2)], rssColumns: .list([]))
        crd.hasHeader = false
        let r = try parse("-50,100\n-60,-70\n", rss)
        let labels = try parse("1.5,2.5,3\n1.5,2.5,5\n", crd)
        #expect(try r.withLabels(from: labels, file: "crd.csv").labels == [["3"], ["5"]])
        let short = try parse("1.5,2.5,3\n", crd)
        #expect(throws: FingerprintCSVError.self) { try r.withLabels(from: short, file: "crd.csv") }
    }
}
