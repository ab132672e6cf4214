import Glibc
import Testing
@testable import MallGateVenue

@Test func planHasEveryStoreAndSensorOfItsFloor() throws {
    let venue = try VenueFile.load(path: exampleVenue("demo-mall.json"))
    for floor in venue.floors {
        let svg = try #require(VenueSVG.render(venue, floor: floor.id))
        for zone in venue.zones where zone.kind == .store {
            #expect(svg.contains(">\(zone.id)</text>") == (zone.floor == floor.id), "\(zone.id) on \(floor.id)")
        }
        for sensor in venue.sensors {
            #expect(svg.contains("id=\"sensor-\(sensor.id)\"") == (sensor.floor == floor.id))
        }
        // One door mark per door whose store is on this floor.
        let doors = venue.connections.filter { c in c.kind == .door && venue.zones.first { $0.id == c.from }?.floor == floor.id }
        #expect(svg.split(separator: "<title>door ").count - 1 == doors.count)
        #expect(svg.contains("MallGate Demo Mall — \(xml(floor.name)) (\(floor.id))"))
        try expectWellFormed(svg)
    }
    #expect(VenueSVG.render(venue, floor: "L9") == nil)
}

@Test func namesAreEscaped() throws {
    // "Gold & Grain" is on the demo mall's ground floor.
    let venue = try VenueFile.load(path: exampleVenue("demo-mall.json"))
    let svg = try #require(VenueSVG.render(venue, floor: "L0"))
    #expect(svg.contains("Gold &amp; Grain"))
    #expect(!svg.contains("Gold & Grain"))
}

@Test func northIsUp() throws {
    // s1 (y 4–10) lies north of c1 (y 0–4): in the SVG, whose y grows downwards, s1's label is higher.
    let svg = try #require(VenueSVG.render(minimalVenue(), floor: "G"))
    func labelY(_ id: String) throws -> Double {
        let marker = ">\(id)</text>"
        let range = try #require(svg.firstRange(of: marker))
        let before = svg[..<range.lowerBound]
        let yAttribute = try #require(before.ranges(of: " y=\"").last)
        let digits = before[yAttribute.upperBound...].prefix { $0 != "\"" }
        return try #require(Double(String(digits)))
    }
    #expect(try labelY("s1") < labelY("c1"))
    try expectWellFormed(svg)
}

/// Checks the document with xmllint when it is installed (libxml2-utils), else by a
/// minimal tag-balance check of our own.
func expectWellFormed(_ svg: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let candidates: [String] = ["/usr/bin/xmllint", "/usr/local/bin/xmllint"]
    let xmllint = candidates.first { access($0, X_OK) == 0 }
    if let xmllint {
        let path = "/tmp/mallgate-venue-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).svg"
        try writeFile(path, Array(svg.utf8))
        defer { unlink(path) }
        let status = system("\(xmllint) --noout \(path) 2>/dev/null")
        #expect(status == 0, "xmllint rejects the SVG", sourceLocation: sourceLocation)
        return
    }
    var stack: [Substring] = []
    var rest = Substring(svg)
    while let open = rest.firstIndex(of: "<") {
        guard let close = rest[open...].firstIndex(of: ">") else {
            Issue.record("unterminated tag", sourceLocation: sourceLocation)
            return
        }
        let tag = rest[rest.index(after: open)..<close]
        rest = rest[rest.index(after: close)...]
        if tag.hasPrefix("?") || tag.hasPrefix("!") || tag.hasSuffix("/") { continue }
        let name = tag.prefix { $0 != " " && $0 != "\n" }
        if name.hasPrefix("/") {
            #expect(stack.popLast() == name.dropFirst(), sourceLocation: sourceLocation)
        } else {
            stack.append(name)
        }
    }
    #expect(stack.isEmpty, sourceLocation: sourceLocation)
}
