import Testing
@testable import MallGateVenue

@Test func exampleFilesRoundTripExactly() throws {
    for name in ["demo-mall.json", "small-arcade.json"] {
        let path = exampleVenue(name)
        let text = try readText(path)
        let venue = try VenueFile.load(path: path)
        let encoded = VenueFile.encode(venue)
        // The committed files were written by the encoder: encoding reproduces them byte for byte.
        #expect(encoded == text, "\(name) is not in canonical form; run: mallgate venue format \(name) --in-place")
        let again = try VenueFile.decode(encoded)
        #expect(again == venue)
        #expect(VenueFile.encode(again) == encoded)
    }
}

@Test func encodedVenueReadsBackEqual() throws {
    var venue = minimalVenue()
    venue.origin = GeoReference(latitude: 52.1, longitude: 4.3, bearing: 12.5)
    venue.sensors[0].input = SensorInput(tzsp: .init(port: 37008, sender: "192.0.2.7"))
    venue.sensors[0].rssiOffset = -3.5
    venue.zones[2].name = "Quote \" and backslash \\ and é"
    let text = VenueFile.encode(venue)
    #expect(try VenueFile.decode(text) == venue)
    // Layout: points and polygons stay on one line, short flat objects too.
    #expect(text.contains("\"polygon\": [[0, 4], [10, 4], [10, 10], [0, 10]]"))
    #expect(text.contains("\"channels\": { \"fixed\": 6 }"))
    #expect(text.hasPrefix("{\n  \"formatVersion\": 1,\n  \"id\": \"mini\",\n"))
}

@Test func optionalKeysTakeTheirDocumentedDefaults() throws {
    let text = """
        {"formatVersion": 1, "id": "v", "name": "V",
         "floors": [{"id": "G", "index": 0, "name": "G", "elevation": 0}],
         "zones": [],
         "sensors": [{"id": "s", "floor": "G", "position": [1, 2], "channels": {"fixed": 1}}],
         "radio": {"pathLossExponent": 3.1}}
        """
    let venue = try VenueFile.decode(text)
    #expect(venue.connections == [])
    #expect(venue.sensors[0].height == 3)
    #expect(venue.sensors[0].rssiOffset == 0)
    #expect(venue.radio.pathLossExponent == 3.1)
    #expect(venue.radio.sensitivityDBm == -92)
}

@Test func unknownKeyIsRefusedWithItsLine() {
    let text = """
        {
          "formatVersion": 1,
          "id": "v",
          "name": "V",
          "floors": [{"id": "G", "index": 0, "name": "G", "elevation": 0}],
          "zones": [
            {"id": "a", "kind": "store", "floor": "G", "name": "A",
             "polygon": [[0, 0], [1, 0], [1, 1]]},
            {"id": "b", "kind": "store", "floor": "G", "name": "B",
             "colour": "red",
             "polygon": [[0, 0], [1, 0], [1, 1]]}
          ]
        }
        """
    let error = #expect(throws: VenueError.self) { try VenueFile.decode(text, fileName: "v.json") }
    #expect(error?.line == 10)
    #expect(error?.path == "zones[1].colour")
    #expect(error?.description.hasPrefix("v.json:10: zones[1].colour: unknown key \"colour\"") == true)
    #expect(error?.message.contains("allowed here: id, kind, floor, name, category, polygon") == true)
}

@Test func misspeltKeyGetsASuggestion() {
    let text = #"{"formatVersion": 1, "id": "v", "name": "V", "Floors": []}"#
    let error = #expect(throws: VenueError.self) { try VenueFile.decode(text) }
    #expect(error?.message.contains("did you mean \"floors\"?") == true)
}

@Test func syntaxErrorNamesLineAndColumn() {
    // Line 3 lacks the comma after "v": the parser stops at column 3 of line 4, at "name".
    let text = "{\n  \"formatVersion\": 1,\n  \"id\": \"v\"\n  \"name\": \"V\"\n}"
    let error = #expect(throws: VenueError.self) { try VenueFile.decode(text, fileName: "v.json") }
    #expect(error?.line == 4)
    #expect(error?.column == 3)
    #expect(error?.description.hasPrefix("v.json:4:3: expected ',' or '}'") == true)
}

@Test func truncatedDocumentIsASyntaxError() {
    let error = #expect(throws: VenueError.self) { try VenueFile.decode("{\n\"formatVersion\": 1,\n\"floors\": [") }
    #expect(error?.line == 3)
    #expect(error?.message.contains("ends") == true)
}

@Test func duplicateKeyIsASyntaxError() {
    let error = #expect(throws: VenueError.self) {
        try VenueFile.decode("{\"formatVersion\": 1,\n\"id\": \"a\",\n\"id\": \"b\"}")
    }
    #expect(error?.line == 3)
    #expect(error?.message.contains("appears twice") == true)
}

@Test func otherFormatVersionsAreRefused() {
    let error = #expect(throws: VenueError.self) {
        try VenueFile.decode("{\n  \"formatVersion\": 2,\n  \"id\": \"v\"\n}", fileName: "v.json")
    }
    #expect(error?.line == 2)
    #expect(error?.message.contains("reads format version 1 only; the file says 2") == true)
}

@Test func decodingErrorsNameThePathAndLine() {
    let text = """
        {
          "formatVersion": 1, "id": "v", "name": "V",
          "floors": [{"id": "G", "index": 0, "name": "G", "elevation": 0}],
          "zones": [
            {"id": "a", "kind": "shop", "floor": "G", "name": "A", "polygon": [[0, 0], [1, 0], [1, 1]]}
          ]
        }
        """
    let kind = #expect(throws: VenueError.self) { try VenueFile.decode(text, fileName: "v.json") }
    #expect(kind?.path == "zones[0].kind")
    #expect(kind?.line == 5)
    #expect(kind?.message.contains("use one of: store, corridor, entrance") == true)

    let badPoint = text.replacingFirst("[1, 1]]", with: "[1, 1, 1]]").replacingFirst("\"shop\"", with: "\"store\"")
    let point = #expect(throws: VenueError.self) { try VenueFile.decode(badPoint, fileName: "v.json") }
    #expect(point?.path == "zones[0].polygon[2]")
    #expect(point?.line == 5)

    let missing = """
        {"formatVersion": 1, "id": "v", "name": "V",
         "floors": [
           {"id": "G", "index": 0, "name": "G"}
         ], "zones": []}
        """
    let key = #expect(throws: VenueError.self) { try VenueFile.decode(missing, fileName: "v.json") }
    #expect(key?.path == "floors[0]")
    #expect(key?.line == 3)
    #expect(key?.message == "missing key \"elevation\" in floors[0]")

    let type = #expect(throws: VenueError.self) { try VenueFile.decode(#"{"formatVersion": 1, "id": 7}"#, fileName: "v.json") }
    #expect(type?.path == "id")
    #expect(type?.message == "expected a string here")
}

@Test func missingFileSaysWhy() {
    let error = #expect(throws: VenueError.self) { try VenueFile.load(path: "/nonexistent/venue.json") }
    #expect(error?.description == "/nonexistent/venue.json: cannot open: No such file or directory")
}

@Test func locatorFallsBackToTheEnclosingValue() throws {
    let document = try VenueFile.loadDocument(path: exampleVenue("small-arcade.json"))
    let zones = try #require(document.locator.line(for: "zones"))
    let first = try #require(document.locator.line(for: "zones[0]"))
    #expect(first == zones + 1)
    // No such key in the file: the line of zones[0] itself.
    #expect(document.locator.line(for: "zones[0].category") == first)
}

extension String {
    /// Replaces the first occurrence (test helper; no Foundation).
    func replacingFirst(_ target: String, with replacement: String) -> String {
        guard let range = self.firstRange(of: target) else { return self }
        var copy = self
        copy.replaceSubrange(range, with: replacement)
        return copy
    }
}
