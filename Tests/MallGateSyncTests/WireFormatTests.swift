import MallGateTestSupport
import SwiftProtobuf
@testable import MallGateWire
import Testing

@Suite("Wire format: gzip, envelope, columnar payload")
struct WireFormatTests {
    @Test("gzip from MallGate inflates with Python's gzip module, and Python's gzip inflates here")
    func gzipAgreesWithPython() throws {
        let dir = makeTemporaryDirectory("gzip")
        var generator = RowGenerator(seed: 1)
        let original = (0..<50_000).map { _ in UInt8(truncatingIfNeeded: generator.below(7) + 65) }
        writeFile(dir + "/ours.gz", Gzip.compress(original))
        writeFile(dir + "/plain", original)
        let check = shell("python3 -c 'import gzip,sys; a=gzip.open(sys.argv[1]).read(); b=open(sys.argv[2],\"rb\").read(); print(a==b)' \(sh(dir + "/ours.gz")) \(sh(dir + "/plain"))")
        #expect(check.output == "True\n")
        let made = shell("python3 -c 'import gzip,sys; open(sys.argv[2],\"wb\").write(gzip.compress(open(sys.argv[1],\"rb\").read(), 9))' \(sh(dir + "/plain")) \(sh(dir + "/theirs.gz"))")
        #expect(made.status == 0)
        let theirs = try #require(readFile(dir + "/theirs.gz"))
        #expect(try Gzip.decompress(theirs, limit: original.count) == original)
    }

    @Test("gzip refuses truncation, corruption, trailing bytes and output past the limit")
    func gzipRefusesBadInput() throws {
        let original = Array(repeating: UInt8(ascii: "a"), count: 100_000)
        let packed = Gzip.compress(original)
        #expect(throws: WireError.self) { try Gzip.decompress(Array(packed.dropLast(5)), limit: 1 << 20) }
        var flipped = packed
        flipped[flipped.count / 2] ^= 0xFF
        #expect(throws: WireError.self) { try Gzip.decompress(flipped, limit: 1 << 20) }
        #expect(throws: WireError.self) { try Gzip.decompress(packed + [0, 1, 2], limit: 1 << 20) }
        #expect(throws: WireError.self) { try Gzip.decompress(Array("not gzip at all".utf8), limit: 1 << 20) }
        // 100 kB of one letter compresses to ~100 bytes: a small body that inflates past the limit.
        let error = try #require(throws: WireError.self) { try Gzip.decompress(packed, limit: original.count - 1) }
        #expect(error.isTooLarge)
        #expect(try Gzip.decompress(packed, limit: original.count) == original)
    }

    @Test("rows survive encode → decode (as a multiset), and row order does not change the bytes")
    func rowsRoundTrip() throws {
        var generator = RowGenerator(seed: 7)
        let rows = generator.rows(devices: 40, perDevice: 30, startMs: 1_764_000_000_000)
        let payload = rows.encodedPayload()
        let decoded = try BatchRows(payload: payload)
        #expect(decoded.zoneIDs == rows.zoneIDs)
        #expect(sortedPositions(decoded.positions) == sortedPositions(rows.positions))
        #expect(Set(decoded.visits) == Set(rows.visits))
        #expect(Set(decoded.storeCounts) == Set(rows.storeCounts))
        #expect(decoded.healthEvents == rows.healthEvents)
        var shuffled = rows
        shuffled.positions.reverse()
        shuffled.visits.reverse()
        shuffled.storeCounts.reverse()
        #expect(shuffled.encodedPayload() == payload)
    }

    @Test(
        "protoc --decode (the reference protobuf implementation) reads our envelope and payload",
        .enabled(if: shell("command -v protoc").status == 0, "protoc is not installed (scripts/deps.sh installs protobuf-compiler)"))
    func protocReadsOurBytes() throws {
        let proto = packageRoot + "/Sources/MallGateWire"
        let rows = BatchRows(
            zoneIDs: ["L0-c1", "L0-s01"],
            positions: [
                PositionRow(device: 0xDEAD_BEEF, timeMs: 1_000_500, zone: 1, confidence: 200),
                PositionRow(device: 0xDEAD_BEEF, timeMs: 1_000_000, zone: 0, confidence: 255),
                PositionRow(device: 7, timeMs: 1_002_000, zone: 1, confidence: 10),
            ])
        let batch = WireBatch(gatewayID: "gw-1", venueID: "demo-mall", sequence: 42, createdUnixMs: 1_764_000_000_000, payload: rows.encodedPayload())
        let dir = makeTemporaryDirectory("protoc")
        writeFile(dir + "/envelope.bin", batch.encodedEnvelope())
        writeFile(dir + "/payload.bin", batch.payload)
        let envelope = shell("protoc --proto_path=\(sh(proto)) --decode=mallgate.sync.v1.BatchEnvelope mallgate_sync.proto < \(sh(dir + "/envelope.bin"))")
        #expect(envelope.status == 0)
        #expect(envelope.output.contains("schema_version: 1"))
        #expect(envelope.output.contains("gateway_id: \"gw-1\""))
        #expect(envelope.output.contains("sequence: 42"))
        let payload = shell("protoc --proto_path=\(sh(proto)) --decode=mallgate.sync.v1.BatchPayload mallgate_sync.proto < \(sh(dir + "/payload.bin"))")
        #expect(payload.status == 0)
        // Sorted by device: 7 first (one row), then 0xDEADBEEF = 3735928559 (two rows, 500 ms apart).
        // Base time is the earliest row, 1000000; device 7's row is 2000 ms after it.
        let lines = payload.output.split(separator: "\n").map { $0.trimmingCharacters() }
        #expect(lines.filter { $0.hasPrefix("devices:") } == ["devices: 7", "devices: 3735928559"])
        #expect(lines.filter { $0.hasPrefix("rows_per_device:") } == ["rows_per_device: 1", "rows_per_device: 2"])
        #expect(lines.contains("base_time_ms: 1000000"))
        #expect(lines.filter { $0.hasPrefix("time_delta_ms:") } == ["time_delta_ms: 2000", "time_delta_ms: 0", "time_delta_ms: 500"])
        #expect(lines.filter { $0.hasPrefix("zone:") } == ["zone: 1", "zone: 0", "zone: 1"])
        #expect(lines.filter { $0.hasPrefix("confidence:") } == ["confidence: 10", "confidence: 255", "confidence: 200"])
    }

    @Test("the HTTP body round-trips; a wrong hash, schema version or zero sequence is refused")
    func envelopeChecks() throws {
        var generator = RowGenerator(seed: 3)
        let payload = generator.rows(devices: 3, perDevice: 4, startMs: 5_000_000).encodedPayload()
        let batch = WireBatch(gatewayID: "gw", venueID: "v", sequence: 9, createdUnixMs: 1, payload: payload)
        #expect(batch.contentSHA256 == ContentHash.sha256(payload))
        #expect(try WireBatch(body: batch.encodedBody(), inflatedLimit: 1 << 20) == batch)

        var tampered = batch
        tampered.payload[tampered.payload.count - 1] ^= 1
        let hashError = try #require(throws: WireError.self) { try WireBatch(body: tampered.encodedBody(), inflatedLimit: 1 << 20) }
        #expect(hashError.description.contains("content hash"))

        var future = batch
        future.schemaVersion = 2
        let schemaError = try #require(throws: WireError.self) { try WireBatch(body: future.encodedBody(), inflatedLimit: 1 << 20) }
        #expect(schemaError.description.contains("schema version 2"))

        var zero = batch
        zero.sequence = 0
        #expect(throws: WireError.self) { try WireBatch(body: zero.encodedBody(), inflatedLimit: 1 << 20) }
    }

    @Test("SHA-256 matches sha256sum")
    func sha256MatchesCoreutils() {
        let text = Array("MallGate batch payload\n".utf8)
        let expected = shell("printf 'MallGate batch payload\\n' | sha256sum").output.prefix(64)
        #expect(ContentHash.hex(ContentHash.sha256(text)) == expected)
    }

    @Test("inconsistent columns are refused with a reason, not decoded into wrong rows")
    func inconsistentColumns() throws {
        func payload(_ edit: (inout Mallgate_Sync_V1_BatchPayload) -> Void) throws -> [UInt8] {
            var p = Mallgate_Sync_V1_BatchPayload()
            p.zoneIds = ["a", "b"]
            p.positions.devices = [1, 2]
            p.positions.rowsPerDevice = [1, 1]
            p.positions.timeDeltaMs = [0, 10]
            p.positions.zone = [0, 1]
            p.positions.confidence = [1, 2]
            edit(&p)
            return try p.serializedBytes()
        }
        #expect(try BatchRows(payload: payload { _ in }).positions.count == 2)
        let cases: [(String, (inout Mallgate_Sync_V1_BatchPayload) -> Void)] = [
            ("run lengths", { $0.positions.rowsPerDevice = [1, 2] }),
            ("columns differ", { $0.positions.zone = [0] }),
            ("outside the zone table", { $0.positions.zone = [0, 2] }),
            ("over 255", { $0.positions.confidence = [1, 256] }),
            ("out of range", { $0.positions.timeDeltaMs = [0, UInt64.max] }),
            ("run lengths", { $0.positions.devices = [1] }),
        ]
        for (expected, edit) in cases {
            let error = try #require(throws: WireError.self) { try BatchRows(payload: payload(edit)) }
            #expect(error.description.contains(expected), "\(error)")
        }
        #expect(throws: WireError.self) { try BatchRows(payload: [0xFF, 0xFF, 0xFF]) }
    }
}

extension Substring {
    func trimmingCharacters() -> String {
        var view = self
        while view.first == " " { view.removeFirst() }
        return String(view)
    }
}
