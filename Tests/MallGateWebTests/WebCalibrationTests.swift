import Hummingbird
import HummingbirdTesting
import MallGateDecode
import MallGateIdentify
import MallGateLocalize
import MallGateTestSupport
import MallGateVenue
@testable import MallGateWeb
import Synchronization
import Testing

/// Calibration and "where am I" end to end against a stand-in agent: what is recorded, in
/// which format, and that the typed MAC goes nowhere.
struct WebCalibrationTests {
    /// The technician's phone, written the ways people write it.
    static let mac = "3c:22:fb:12:34:56"
    static let macForms = ["3c:22:fb:12:34:56", "3C:22:FB:12:34:56", "3c22fb123456", "3C22FB123456", "3c-22-fb-12-34-56", "3C-22-FB-12-34-56"]

    static func json(_ text: String) -> (HTTPFields, ByteBuffer) { ([.contentType: "application/json"], ByteBuffer(string: text)) }

    @Test func aCalibrationWalkRecordsLabelsAndWindowsUnderTheKeyedID() async throws {
        let logs = LogStore()
        let (ui, backend) = try WebAuthTests.makeUI("calibration", logs: logs)
        let consumer = Task { await ui.consumeWindows() }
        // The keyed id the identify stage gives this MAC, from a separate identifier with the same key.
        var reference = DeviceIdentifier(key: backend.key)
        let typed = try #require(MACAddress(string: Self.mac))
        let referenceID = reference.deviceID(typed, unixNanoseconds: backend.now)
        let expectedID = try #require(referenceID)
        // Every response body and the labels recorded, handed out of the (sendable) test closure.
        let (bodies, expectedLabels) = try await ui.application().test(.router) { client -> ([String], [(String, Int64, Int64)]) in
            var bodies: [String] = []
            let cookie = try await WebAuthTests.logIn(client)
            func call(_ uri: String, _ method: HTTPRequest.Method = .get, _ body: String? = nil) async throws -> TestResponse {
                let r = try await client.execute(uri: uri, method: method, headers: [.cookie: cookie, .contentType: "application/json"], body: body.map { ByteBuffer(string: $0) })
                bodies.append(String(buffer: r.body))
                return r
            }
            // Recording before a phone is set is refused (a zone of the venue: the phone is what is missing).
            let firstStore = backend.venue.zones.first { $0.kind == .store }?.id ?? ""
            #expect(try await call("/api/calibration/start", .post, "{\"zone\":\"\(firstStore)\"}").status == .conflict)
            #expect(try await call("/api/calibration/start", .post, "{\"zone\":\"no-such-zone\"}").status == .badRequest)
            #expect(try await call("/api/calibration/phone", .post, "{\"mac\":\"not a mac\"}").status == .badRequest)
            #expect(try await call("/api/calibration/phone", .post, "{\"mac\":\"\(Self.mac)\"}").status == .ok)
            #expect(backend.watched == [expectedID])

            let zones = backend.venue.zones.filter { $0.kind == .store }.prefix(2).map(\.id)
            var expectedLabels: [(String, Int64, Int64)] = []
            for zone in zones {
                let start = backend.now
                #expect(try await call("/api/calibration/start", .post, "{\"zone\":\"\(zone)\"}").status == .ok)
                // Three windows of 10 s, 5 s apart, the first reading 1 s after the start; then one before the start (not counted).
                for k in 0..<3 {
                    let first = start + Int64(1 + 5 * k) * 1_000_000_000
                    backend.emit(device: expectedID, first: first, last: first + 8_000_000_000, zone: zone)
                }
                backend.emit(device: expectedID, first: start - 3_000_000_000, last: start + 2_000_000_000, zone: zone)
                backend.emit(device: expectedID &+ 1, first: start + 1_000_000_000, last: start + 2_000_000_000, zone: zone)
                backend.advance(seconds: 30)
                // Wait (without a clock) until the consumer has handed the three windows on.
                var state = ""
                for _ in 0..<10_000 {
                    state = String(buffer: try await call("/api/calibration").body)
                    if state.contains("\"\(zone)\":3") { break }
                    await Task.yield()
                }
                #expect(state.contains("\"\(zone)\":3"), "\(state)")
                // Frames: windows 0 and 2 share no reading (1–9 s and 11–19 s); window 1 overlaps both. 2 frames × 2 windows on every other sensor.
                #expect(state.contains("{\"frames\":4,\"sensor\":\"\(backend.venue.sensors[0].id)\"}"), "\(state)")
                #expect(state.contains("{\"frames\":0,\"sensor\":\"\(backend.venue.sensors[1].id)\"}"), "\(state)")
                #expect(try await call("/api/calibration/stop", .post).status == .ok)
                expectedLabels.append((zone, start, start + 30_000_000_000))
                backend.advance(seconds: 5)
            }
            let state = String(buffer: try await call("/api/calibration").body)
            for zone in zones { #expect(!state.contains("{\"id\":\"\(zone)\"")) }  // no longer missing
            #expect(state.contains("\"missing\":[{"))

            // Where am I: the same phone, through a visitor's session.
            #expect(try await call("/api/whereami", .post, "{\"mac\":\"\(Self.mac.uppercased())\"}").status == .ok)
            backend.emit(device: expectedID, first: backend.now, last: backend.now + 5_000_000_000, zone: zones[0])
            var whereami = ""
            for _ in 0..<10_000 {
                whereami = String(buffer: try await call("/api/whereami").body)
                if whereami.contains("\"zone\":\"\(zones[0])\"") { break }
                await Task.yield()
            }
            #expect(whereami.contains("\"zone\":\"\(zones[0])\""), "\(whereami)")
            #expect(whereami.contains("\"confidence\":0.75"))
            _ = try await call("/api/live")
            _ = try await call("/api/dashboard")
            _ = try await call("/calibrate")
            return (bodies, expectedLabels)
        }
        ui.windowSink.finish()
        await consumer.value

        // The labels file: header, then one line per label, the keyed id in the MAC column.
        let directory = backend.stateDirectory + "/calibration"
        let labels = try #require(readText(directory + "/labels.csv"))
        let lines = labels.split(separator: "\n").map(String.init)
        #expect(lines.first == "mac,start,end,zone")
        #expect(lines.count == 3)
        let hex = String(expectedID, radix: 16)
        let idField = "id:" + String(repeating: "0", count: 16 - hex.count) + hex
        // 10:00:00 is the fake clock's start; the second label starts 35 s later.
        #expect(lines.dropFirst().first == "\(idField),2026-11-29T10:00:00.000000Z,2026-11-29T10:00:30.000000Z,\(try #require(backend.venue.zones.filter { $0.kind == .store }.first?.id))")
        #expect(lines.dropFirst(2).first?.hasPrefix("\(idField),2026-11-29T10:00:35.000000Z,2026-11-29T10:01:05.000000Z,") == true)

        // The fingerprint file reads back through the trainer's CSV reader: 3 windows per zone, heard sensors at −60.
        let sensors = backend.venue.sensors.map(\.id)
        let set = try FingerprintCSV.load(path: directory + "/fingerprints.csv", options: CalibrationFiles.fingerprintOptions(sensors: sensors))
        #expect(set.count == 6)
        #expect(set.labels.map { $0[0] } == [String](repeating: expectedLabels[0].0, count: 3) + [String](repeating: expectedLabels[1].0, count: 3))
        #expect(set.samples.allSatisfy { s in s.sensors.enumerated().allSatisfy { i, r in i % 2 == 0 ? r.isHeard && r.median == -60 : !r.isHeard } })

        // The typed MAC is nowhere: not in a response, not in the log, not in a file.
        let files = filesText(backend.stateDirectory)
        #expect(!files.isEmpty)
        for form in Self.macForms {
            for body in bodies { #expect(!body.contains(form), "response: \(body.prefix(200))") }
            #expect(!logs.text.lowercased().contains(form.lowercased()))
            for (path, text) in files { #expect(!text.lowercased().contains(form.lowercased()), "\(path)") }
        }
        // Nor the keyed id, in any response.
        for body in bodies { #expect(!body.contains(hex), "response: \(body.prefix(200))") }
    }

    @Test func anOptedOutPhoneIsRefused() async throws {
        let backend = try FakeBackend(stateDirectory: makeTemporaryDirectory("optout"), optedOut: [try #require(MACAddress(string: Self.mac))])
        let ui = WebUI(options: .init(accessCode: WebAuthTests.code), backend: backend, logger: LogStore().logger, training: TrainingJob(), clock: { 1 })
        try await ui.application().test(.router) { client in
            let cookie = try await WebAuthTests.logIn(client)
            let r = try await client.execute(uri: "/api/whereami", method: .post, headers: [.cookie: cookie, .contentType: "application/json"], body: ByteBuffer(string: "{\"mac\":\"\(Self.mac)\"}"))
            #expect(r.status == .forbidden)
            #expect(backend.watched.isEmpty)
        }
    }
}

/// The label and fingerprint line formats, against hand-written lines.
struct CalibrationFilesTests {
    @Test func aLabelLineIsTheTrainersFormatWithTheKeyedID() {
        // 2026-11-29T10:00:00Z is 1795946400 s (date -u -d 2026-11-29T10:00:00Z +%s).
        let label = CalibrationFiles.Label(device: 0x00ab_cdef_0123_4567, startNanoseconds: 1_795_946_400_000_000_000, endNanoseconds: 1_795_946_445_500_000_000, zone: "S12")
        let line = CalibrationFiles.line(label)
        #expect(line == "id:00abcdef01234567,2026-11-29T10:00:00.000000Z,2026-11-29T10:00:45.500000Z,S12\n")
        #expect(CalibrationFiles.parseLabels("mac,start,end,zone\n" + line + "3c:22:fb:12:34:56,2026-11-29T10:00:00Z,2026-11-29T10:01:00Z,S1\n") == [label])
        // Microseconds, truncated (not rounded): the label never ends after the moment Stop was pressed.
        #expect(CalibrationFiles.timeText(1_795_946_400_123_456_789) == "2026-11-29T10:00:00.123456Z")
        #expect(CalibrationFiles.timeText(1_795_946_459_999_999_999) == "2026-11-29T10:00:59.999999Z")
        #expect(CalibrationFiles.device(fromField: "id:00abcdef01234567") == 0x00ab_cdef_0123_4567)
        #expect(CalibrationFiles.device(fromField: "3c:22:fb:12:34:56") == nil)
        #expect(CalibrationFiles.device(fromField: "id:abc") == nil)
    }

    @Test func aFingerprintRowPutsEachSensorInItsHeaderColumn() {
        let sample = Sample(sensors: [SensorSummary(strongest: -50, median: -55.5, count: 3), .notHeard])
        let row = CalibrationFiles.fingerprintRow(zone: "S1", floor: "L0", kind: "store", endNanoseconds: 1_795_946_400_250_000_000, sample: sample, sampleSensors: ["a", "b"], headerSensors: ["b", "c", "a"])
        #expect(row == "S1,L0,store,1795946400.250,100.0,100.0,-55.5\n")
        #expect(CalibrationFiles.fingerprintHeader(sensors: ["b", "c", "a"]) == "zone,floor,kind,time,b,c,a\n")
        #expect(CalibrationFiles.headerSensors("zone,floor,kind,time,b,c,a") == ["b", "c", "a"])
        #expect(CalibrationFiles.headerSensors("zone,floor,time,b") == nil)
    }
}
