import Testing
@testable import MallGateVenue

// The fixture (scripts/venues/make-imdf-fixture.py): two levels; on level 0 a walkway W0
// (lon 4.0000–4.0006, lat 52.0000–52.0001) with a street door on its west side, rooms A and
// B south of it, room C, an elevator and a restroom north of it, and a structure unit; on
// level 1 a walkway, rooms D and E and an elevator above the first. Occupants named
// "Corner Coffee" (A), "Book Nook" (B), "Shoe Box" (D), {"nl": "Speelgoedwinkel"} (E).

@Test(arguments: ["imdf-two-levels", "imdf-two-levels.zip", "imdf-two-levels-stored.zip"])
func importsTheFixture(_ name: String) throws {
    let venue = try IMDFImporter.importVenue(from: fixture(name))
    #expect(venue.name == "Fixture Mall")
    #expect(venue.origin == GeoReference(latitude: 52.0, longitude: 4.0))

    #expect(venue.floors.map(\.id) == ["L0", "L1"])
    #expect(venue.floors.map(\.index) == [0, 1])
    // "en" when given, else the first language.
    #expect(venue.floors.map(\.name) == ["Ground Floor", "Eerste verdieping"])
    #expect(venue.floors[1].elevation == 5)

    let stores = venue.zones.filter { $0.kind == .store }
    #expect(stores.count == 5)
    #expect(stores.filter { $0.floor == "L0" }.count == 3)
    #expect(Set(stores.map(\.name)) == ["Corner Coffee", "Book Nook", "Unit C", "Shoe Box", "Speelgoedwinkel"])
    #expect(stores.first { $0.name == "Corner Coffee" }?.category == "coffee")
    // The walkway with the street door became the entrance; the structure unit is skipped.
    #expect(venue.zones.filter { $0.kind == .entrance }.count == 1)
    #expect(venue.zones.filter { $0.kind == .corridor }.map(\.floor) == ["L1"])
    #expect(venue.zones.filter { $0.kind == .lift }.count == 2)
    #expect(venue.zones.filter { $0.kind == .area }.map(\.name) == ["restroom"])
    #expect(venue.zones.count == 10)

    let doors = venue.connections.filter { $0.kind == .door }
    #expect(doors.count == 5)
    #expect(venue.connections.filter { $0.kind == .open }.count == 3)
    #expect(venue.connections.filter { $0.kind == .vertical }.count == 1)

    // Room A spans lon 4.0000–4.0002, lat 51.9999–52.0000. Its corner (4.0002, 51.9999) in
    // metres from (4.0, 52.0), by hand: 6371008.8 m · π/180 = 111195.08 m per degree;
    // x = 0.0002° · 111195.08 · cos 52° (0.615661) = 13.6917 m, y = −0.0001° · 111195.08 = −11.1195 m.
    let coffee = try #require(stores.first { $0.name == "Corner Coffee" })
    let box = coffee.polygon.boundingBox
    #expect(abs(box.maxX - 13.6917) < 0.01)
    #expect(abs(box.minY - -11.1195) < 0.01)
    #expect(abs(box.minX) < 0.01 && abs(box.maxY) < 0.01)
    // A's door: the opening from lon 4.00008 to 4.00012 on lat 52.0 → centred at x = 6.846 m, 2.74 m wide.
    let door = try #require(doors.first { $0.from == coffee.id })
    #expect(abs(door.at!.x - 6.846) < 0.01 && abs(door.at!.y) < 0.01)
    #expect(abs(door.width! - 2.74) < 0.01)
    #expect(door.to == venue.zones.first { $0.kind == .entrance }?.id)

    // Short ids from the IMDF ids: "u-" and their first 8 characters.
    #expect(coffee.id == "u-9287988a")
    // What the importer writes reads back equal.
    #expect(try VenueFile.decode(VenueFile.encode(venue)) == venue)
    // Only the expected warning: no sensors yet.
    #expect(VenueValidator.validate(venue).map(\.code) == [.noSensors])
}

@Test func foldersAndZipsGiveTheSameVenue() throws {
    let folder = try IMDFImporter.importVenue(from: fixture("imdf-two-levels"))
    #expect(try IMDFImporter.importVenue(from: fixture("imdf-two-levels.zip")) == folder)
}

@Test func missingArchiveAndMissingMember() {
    let missing = #expect(throws: VenueError.self) { try IMDFImporter.importVenue(from: "/nonexistent.zip") }
    #expect(missing?.message.contains("No such file") == true)
    // The fixture folder's parent holds no venue.geojson.
    let empty = #expect(throws: VenueError.self) { try IMDFImporter.importVenue(from: fixture("")) }
    #expect(empty?.message.contains("no venue.geojson in the archive") == true)
}

@Test func notAZip() {
    let error = #expect(throws: VenueError.self) {
        try IMDFImporter.importVenue(from: fixture("imdf-two-levels/venue.geojson"))
    }
    #expect(error?.message.contains("not a zip archive") == true)
}

@Test func projectionIsEquirectangular() {
    let origin = GeoReference(latitude: 0, longitude: 0)
    // At the equator 0.001° is 111.195 m both ways.
    let p = IMDFImporter.project(longitude: 0.001, latitude: 0.001, origin: origin)
    #expect(abs(p.x - 111.195) < 0.001 && abs(p.y - 111.195) < 0.001)
}

// Inflate against streams written by Python's zlib (wbits = -15, raw DEFLATE). Dynamic
// Huffman blocks are exercised by the deflated fixture archive above.
@Test func inflatesFixedAndStoredBlocks() throws {
    // zlib.compressobj(9, DEFLATED, -15) of b"hello hello hello hello": one fixed-Huffman
    // block, literals "hello h" then a back-reference of length 16 at distance 6.
    let fixed: [UInt8] = [0xcb, 0x48, 0xcd, 0xc9, 0xc9, 0x57, 0xc8, 0x40, 0x27, 0x01]
    let out = try Inflate.decompress(fixed, limit: 100)
    #expect(String(decoding: out, as: UTF8.self) == "hello hello hello hello")
    // A stored block: BFINAL=1, BTYPE=00, LEN=3, NLEN=~3, "abc".
    let stored: [UInt8] = [0x01, 0x03, 0x00, 0xfc, 0xff, 0x61, 0x62, 0x63]
    #expect(try Inflate.decompress(stored, limit: 3) == Array("abc".utf8))
    #expect(throws: InflateError.self) { try Inflate.decompress(stored, limit: 2) }
    #expect(throws: InflateError.self) { try Inflate.decompress(Array(fixed.dropLast(3)), limit: 100) }
    // Block type 3 is reserved.
    #expect(throws: InflateError.self) { try Inflate.decompress([0x07], limit: 100) }
}

@Test func crc32OfTheCheckString() {
    // The standard check value of CRC-32/ISO-HDLC for "123456789".
    #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
}
