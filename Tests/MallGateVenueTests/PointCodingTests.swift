import FoundationEssentials
import Testing
@testable import MallGateVenue

@Test func pointsAreWrittenAsPairs() throws {
    let polygon = Polygon([Point(0, 0), Point(10, 0), Point(10, 5.5)])
    let text = String(decoding: try JSONEncoder().encode(polygon), as: UTF8.self)
    #expect(text == "[[0,0],[10,0],[10,5.5]]")
    #expect(try JSONDecoder().decode(Polygon.self, from: Data(text.utf8)) == polygon)
    #expect(throws: DecodingError.self) { try JSONDecoder().decode(Point.self, from: Data("[1,2,3]".utf8)) }
}
