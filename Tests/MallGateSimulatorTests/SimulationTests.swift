import MallGateTestSupport
import Glibc
import Testing
import MallGateCapture
import MallGateDecode
import MallGateVenue
@testable import MallGateSimulator

/// One run shared by the output checks (simulating is the slow part).
final class ArcadeRun: @unchecked Sendable {
    static let shared = ArcadeRun()
    let venue = arcade()
    let configuration = SimulationConfiguration(seed: 11, duration: 900, visitors: 60, staff: 2)
    let directory: String
    let summary: SimulationSummary?
    let error: String?

    private init() {
        directory = makeTemporaryDirectory("arcade")
        // The shared run's files are read by several tests; remove them when the process ends.
        atexit { removeTree(ArcadeRun.shared.directory) }
        do {
            let simulation = try Simulation(venue: venue, configuration: configuration)
            summary = try simulation.run(writingTo: directory)
            error = nil
        } catch {
            summary = nil
            self.error = "\(error)"
        }
    }

    func path(_ sensor: Sensor) -> String { directory + "/" + sensor.id + ".pcap" }
}

let tsharkPresent = shell("command -v tshark").status == 0

@Suite(.serialized) struct SimulationOutputTests {
    let run = ArcadeRun.shared

    @Test func sameSeedGivesByteIdenticalFiles() throws {
        let venue = arcade()
        let configuration = SimulationConfiguration(seed: 5, duration: 300, visitors: 25, staff: 1, calibrationWalk: false)
        let a = makeTemporaryDirectory("det-a"), b = makeTemporaryDirectory("det-b"), c = makeTemporaryDirectory("det-c")
        defer { [a, b, c].forEach { removeTree($0) } }
        _ = try Simulation(venue: venue, configuration: configuration).run(writingTo: a)
        var serial = configuration
        serial.parallel = false
        _ = try Simulation(venue: venue, configuration: serial).run(writingTo: b)
        var other = configuration
        other.seed = 6
        _ = try Simulation(venue: venue, configuration: other).run(writingTo: c)
        var differs = false
        for name in venue.sensors.map({ $0.id + ".pcap" }) + ["truth-positions.csv", "truth-visits.csv", "truth-macs.csv", "summary.json"] {
            let fa = try #require(readFile(a + "/" + name)), fb = try #require(readFile(b + "/" + name))
            let same = fa == fb
            #expect(same, "\(name) differs between two runs with seed 5 (one parallel, one serial)")
            if readFile(c + "/" + name) != fa { differs = true }
            #expect(!fa.isEmpty)
        }
        #expect(differs, "seed 6 wrote the same files as seed 5")
    }

    @Test(.enabled(if: tsharkPresent, "tshark is not installed (apt-get install tshark): the captures cannot be cross-checked"))
    func tsharkReadsEveryCaptureCleanlyAndCountsWhatTheSimulatorCounted() throws {
        let summary = try #require(run.summary, "simulation failed: \(run.error ?? "")")
        #expect(summary.probeRequestsWritten > 1000)
        for (i, sensor) in run.venue.sensors.enumerated() {
            let path = run.path(sensor)
            // Every frame: subtype, dBm values, frequency, FCS status, expert severities, malformed marker, DS channel.
            let r = shell("LC_ALL=C tshark -n -o wlan.check_checksum:TRUE -r '\(path)' -T fields -E occurrence=a "
                + "-e wlan.fc.type_subtype -e radiotap.dbm_antsignal -e radiotap.channel.freq -e wlan.fcs.status "
                + "-e _ws.expert.severity -e _ws.malformed -e wlan.ds.current_channel 2>&1")
            #expect(r.status == 0)
            let lines = r.output.split(separator: "\n").filter { !$0.hasPrefix("Running as user") }
            let rows = lines.map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
            #expect(rows.allSatisfy { $0.count == 7 }, "tshark said something else: \(lines.first { $0.split(separator: "\t").count != 7 } ?? "")")
            let probes = rows.filter { $0.count == 7 && Int($0[0].dropFirst(2), radix: 16) == 4 }.count
            #expect(probes == summary.sensors[i].probeRequests, "\(sensor.id): tshark counts \(probes) probe requests, the simulator \(summary.sensors[i].probeRequests)")
            #expect(rows.count == summary.sensors[i].probeRequests)
            for row in rows where row.count == 7 {
                #expect(row[3] == "1", "\(sensor.id): FCS status '\(row[3])'")
                #expect(row[4].isEmpty && row[5].isEmpty, "\(sensor.id): expert info '\(row[4])' malformed '\(row[5])'")
                // A sensor only hears frames sent on a channel it listens on, and the DS element agrees.
                let mhz = Int(row[2]) ?? 0
                #expect(sensor.channels.channels.map { 2407 + 5 * $0 }.contains(mhz), "\(sensor.id) wrote a frame on \(mhz) MHz")
                #expect(Int(row[6]) == (mhz - 2407) / 5, "DS channel \(row[6]) vs \(mhz) MHz")
            }
            // Expert summary: no warnings or errors at all.
            let expert = shell("LC_ALL=C tshark -n -o wlan.check_checksum:TRUE -r '\(path)' -q -z expert,warn 2>&1")
            #expect(!expert.output.contains("Warnings") && !expert.output.contains("Errors"), "\(sensor.id): \(expert.output)")
        }
    }

    @Test func decoderSeesEveryFrameAsAProbeRequestWithTheWrittenRSSI() throws {
        let summary = try #require(run.summary, "simulation failed: \(run.error ?? "")")
        for (i, sensor) in run.venue.sensors.enumerated() {
            let source = try PcapFileSource(path: run.path(sensor), sensor: SensorID(sensor.id))
            var decoder = FrameDecoder(linkType: source.linkTypes[0], options: DecodeOptions(fcsPolicy: .verify))
            var probes = 0
            var rssiSum: Int64 = 0
            var previous: Int64 = .min
            var ordered = true
            var randomizedOK = true
            while case .frames = try source.read(maxFrames: 4096, { frame in
                if frame.timestampNanoseconds < previous { ordered = false }
                previous = frame.timestampNanoseconds
                if case .probeRequest(let p) = decoder.decode(frame.bytes) {
                    probes += 1
                    rssiSum += Int64(p.radio.signalDBm ?? 0)
                    if p.source.isGroup { randomizedOK = false }
                }
            }) {}
            #expect(decoder.counters.frames == UInt64(summary.sensors[i].probeRequests))
            #expect(probes == summary.sensors[i].probeRequests, "\(sensor.id): decoder found \(probes) probe requests")
            #expect(rssiSum == summary.sensors[i].rssiSum, "\(sensor.id): RSSI sum \(rssiSum) vs written \(summary.sensors[i].rssiSum)")
            #expect(ordered, "\(sensor.id): frames out of time order")
            #expect(randomizedOK, "\(sensor.id): a source MAC with the group bit set")
        }
        // The decoder's RSSI agrees with tshark's, frame by frame, on one sensor.
        if tsharkPresent {
            let sensor = run.venue.sensors[0]
            let t = shell("LC_ALL=C tshark -n -r '\(run.path(sensor))' -T fields -e radiotap.dbm_antsignal 2>/dev/null")
            let fromTshark = t.output.split(separator: "\n").map { Int($0.split(separator: ",")[0]) ?? 999 }
            let source = try PcapFileSource(path: run.path(sensor), sensor: SensorID(sensor.id))
            var decoder = FrameDecoder(linkType: source.linkTypes[0])
            var fromDecoder: [Int] = []
            while case .frames = try source.read(maxFrames: 4096, { frame in
                if case .probeRequest(let p) = decoder.decode(frame.bytes) { fromDecoder.append(Int(p.radio.signalDBm ?? 0)) }
            }) {}
            #expect(fromDecoder == fromTshark)
        }
    }

    @Test func hoppingSensorsHearEachChannelOnlyDuringItsDwell() throws {
        _ = try #require(run.summary)
        for sensor in run.venue.sensors where sensor.channels.hop != nil {
            let hop = sensor.channels.hop!
            let dwell = Int64(sensor.channels.dwellMs!) * 1000
            let cycle = dwell * Int64(hop.count)
            let source = try PcapFileSource(path: run.path(sensor), sensor: SensorID(sensor.id))
            var decoder = FrameDecoder(linkType: source.linkTypes[0])
            var heard: [(micros: Int64, slot: Int)] = []
            while case .frames = try source.read(maxFrames: 4096, { frame in
                if case .probeRequest(let p) = decoder.decode(frame.bytes), let c = p.radio.channel {
                    heard.append((frame.timestampNanoseconds / 1000, hop.firstIndex(of: Int(c)) ?? -1))
                }
            }) {}
            #expect(heard.count > 50)
            #expect(heard.allSatisfy { $0.slot >= 0 })
            // Some phase of the hop cycle (unknown here) explains every frame: at time t the radio
            // was on hop[((t + phase) / dwell) mod count]. Each frame allows an arc of phases; if
            // they share a point, the start of one of the arcs is in all of them.
            func mod(_ x: Int64) -> Int64 { ((x % cycle) + cycle) % cycle }
            var explained = false
            for candidate in heard where !explained {
                let phase = mod(Int64(candidate.slot) * dwell - candidate.micros)
                explained = heard.allSatisfy { Int(mod($0.micros + phase) / dwell) == $0.slot }
            }
            #expect(explained, "\(sensor.id): no hop phase explains which channel each frame was heard on")
        }
    }

    @Test func macsInCapturesAreTheTruthMACsAndRandomizedOnesAreLocallyAdministered() throws {
        _ = try #require(run.summary)
        let rows = csvRows(run.directory + "/truth-macs.csv").dropFirst()
        var truth: [String: (device: String, randomized: Bool, heard: Int)] = [:]
        for r in rows { truth[r[1]] = (r[0], r[5] == "1", Int(r[7]) ?? -1) }
        #expect(!truth.isEmpty)
        for (mac, t) in truth {
            let first = UInt8(mac.prefix(2), radix: 16)!
            #expect((first & 0x02 != 0) == t.randomized, "\(mac): locally administered bit vs randomized column")
            #expect(first & 0x01 == 0, "\(mac) is a group address")
        }
        // Devices that do not randomize keep one MAC.
        let devices = csvRows(run.directory + "/truth-devices.csv").dropFirst()
        for d in devices where d[4] == "0" && d[3] == "1" && d[2] != "none" {
            #expect(truth.values.filter { $0.device == d[0] }.count <= 1, "\(d[0]) does not randomize but used several MACs")
        }
        // Every MAC in a capture is in the truth, and MACs heard there are marked heard.
        guard tsharkPresent else { return }
        var seen = Set<String>()
        for sensor in run.venue.sensors {
            let t = shell("LC_ALL=C tshark -n -r '\(run.path(sensor))' -T fields -e wlan.sa 2>/dev/null")
            for line in t.output.split(separator: "\n") { seen.insert(String(line)) }
        }
        for mac in seen {
            #expect(truth[mac] != nil, "\(mac) is in a capture but not in truth-macs.csv")
            #expect((truth[mac]?.heard ?? 0) > 0)
        }
        #expect(seen.count == truth.values.filter { $0.heard > 0 }.count)
    }

    @Test func everyDeviceKeepsOneIEFingerprintAcrossItsMACsAndSequenceNumbersAdvance() throws {
        _ = try #require(run.summary)
        var deviceOf: [String: String] = [:]
        var modelOf: [String: String] = [:]
        for r in csvRows(run.directory + "/truth-macs.csv").dropFirst() {
            deviceOf[r[1]] = r[0]
            modelOf[r[0]] = r[4]
        }
        var fingerprints: [String: Set<UInt64>] = [:]
        var unknown = 0
        var backwards = 0
        var pairs = 0
        for sensor in run.venue.sensors {
            let source = try PcapFileSource(path: run.path(sensor), sensor: SensorID(sensor.id))
            var decoder = FrameDecoder(linkType: source.linkTypes[0])
            var lastSequence: [UInt64: UInt16] = [:]
            while case .frames = try source.read(maxFrames: 4096, { frame in
                guard case .probeRequest(let p) = decoder.decode(frame.bytes) else { return }
                let mac = p.source.description
                guard let device = deviceOf[mac] else { unknown += 1; return }
                fingerprints[device, default: []].insert(p.fingerprint.rawValue)
                // One MAC's frames, as one sensor hears them in time order, count up (mod 4096).
                if let last = lastSequence[p.source.rawValue] {
                    pairs += 1
                    let step = (Int(p.sequenceNumber) - Int(last) + 4096) % 4096
                    if step == 0 || step >= 2048 { backwards += 1 }
                }
                lastSequence[p.source.rawValue] = p.sequenceNumber
            }) {}
        }
        #expect(unknown == 0)
        #expect(pairs > 100)
        #expect(backwards == 0, "\(backwards) of \(pairs) consecutive frames of one MAC did not advance the sequence number")
        for (device, set) in fingerprints {
            #expect(set.count == 1, "\(device) (\(modelOf[device] ?? "")) shows \(set.count) IE fingerprints")
        }
        // Models with a WPS element carry a per-unit UUID: their fingerprints are device-unique.
        var owners: [UInt64: Set<String>] = [:]
        for (device, set) in fingerprints { for f in set { owners[f, default: []].insert(device) } }
        for (device, set) in fingerprints where ["samsung-s22", "samsung-a5x", "oppo-vht"].contains(modelOf[device] ?? "") {
            #expect(owners[set.first!]!.count == 1, "\(device)'s fingerprint is shared")
        }
    }

    @Test func calibrationLabelsCoverEveryStoreAndCorridorSegment() throws {
        _ = try #require(run.summary)
        let labels = Array(csvRows(run.directory + "/labels.csv"))
        #expect(labels.first == ["mac", "start", "end", "zone"])
        let zones = Set(labels.dropFirst().map { $0[3] })
        for zone in run.venue.zones where zone.kind == .store || zone.kind == .corridor {
            #expect(zones.contains(zone.id), "no calibration label for \(zone.id)")
        }
        let mac = macText(run.configuration.calibration.mac)
        #expect(labels.dropFirst().allSatisfy { $0[0] == mac })
        // While a label says the technician stood in a zone, the truth has them there.
        let positions = csvRows(run.directory + "/truth-positions.csv").dropFirst().filter { $0[0] == "tech" }
        var checked = 0
        for label in labels.dropFirst() {
            let start = Instant(rfc3339: label[1])!, end = Instant(rfc3339: label[2])!
            #expect(end.microseconds - start.microseconds >= 10_000_000, "label shorter than 10 s: \(label)")
            for p in positions {
                let t = Instant(rfc3339: p[1])!
                if t >= start && t <= end {
                    #expect(p[3] == label[3], "technician at \(p[1]) is in \(p[3]), labelled \(label[3])")
                    checked += 1
                }
            }
        }
        #expect(checked >= labels.count)
    }

    @Test func visitsInTruthMatchThePositions() throws {
        _ = try #require(run.summary)
        let visits = csvRows(run.directory + "/truth-visits.csv").dropFirst()
        let positions = csvRows(run.directory + "/truth-positions.csv").dropFirst()
        var byDevice: [String: [(store: String, enter: Int64, exit: Int64)]] = [:]
        for v in visits {
            byDevice[v[0], default: []].append((v[2], Instant(rfc3339: v[3])!.microseconds, Instant(rfc3339: v[4])!.microseconds))
        }
        var inside = 0
        for p in positions {
            let t = Instant(rfc3339: p[1])!.microseconds
            let covering = (byDevice[p[0]] ?? []).filter { $0.enter <= t && t <= $0.exit }
            if p[4] == "inside" {
                inside += 1
                #expect(covering.contains { $0.store == p[3] }, "\(p[0]) inside \(p[3]) at \(p[1]) without a visit")
            } else {
                #expect(covering.allSatisfy { $0.enter == t || $0.exit == t }, "\(p[0]) at \(p[1]) in \(p[3]) during a visit")
            }
        }
        #expect(inside > 100)
        // Visits only name stores, and exits follow entries.
        let stores = Set(run.venue.zones.filter { $0.kind == .store }.map(\.id))
        for v in visits {
            #expect(stores.contains(v[2]))
            #expect(Instant(rfc3339: v[3])! <= Instant(rfc3339: v[4])!)
        }
    }
}

@Suite struct MobilityTests {
    @Test func peopleStayInWalkableZonesAndChangeZoneOnlyThroughConnections() throws {
        let venue = arcade()
        let simulation = try Simulation(venue: venue, configuration: SimulationConfiguration(seed: 21, duration: 1800, visitors: 150, staff: 3))
        let map = simulation.map
        let crowd = simulation.makeCrowd()
        var linked = Set<[Int]>()
        for c in venue.connections {
            let a = map.zone(id: c.from)!, b = map.zone(id: c.to)!
            linked.insert([a, b])
            linked.insert([b, a])
        }
        var floorsUsed = Set<Int>()
        var storesEntered = 0
        for person in crowd.people {
            let legs = person.trajectory.legs
            #expect(!legs.isEmpty)
            for (i, leg) in legs.enumerated() {
                #expect(leg.end >= leg.start)
                #expect(map.zoneFloor[leg.zone] == leg.floor)
                floorsUsed.insert(leg.floor)
                let polygon = venue.zones[leg.zone].polygon
                // Every point of the leg is in its zone (or on its boundary: doors are on it).
                for k in 0...10 {
                    let p = leg.from + (leg.to - leg.from) * (Double(k) / 10)
                    #expect(polygon.distance(to: p) < 0.05, "\(person.id) leaves zone \(venue.zones[leg.zone].id) at (\(p.x), \(p.y))")
                }
                if i > 0 {
                    let previous = legs[i - 1]
                    #expect(abs(previous.end - leg.start) < 1e-6, "\(person.id): a gap in time")
                    if previous.zone != leg.zone {
                        #expect(linked.contains([previous.zone, leg.zone]),
                                "\(person.id) goes from \(venue.zones[previous.zone].id) to \(venue.zones[leg.zone].id) without a connection")
                        if map.zones[leg.zone].kind == .store { storesEntered += 1 }
                    }
                    if previous.floor == leg.floor {
                        #expect(previous.to.distance(to: leg.from) < 1e-6, "\(person.id) jumps")
                    }
                }
                // Walking speed within the configured range (standing legs have no length).
                let length = leg.from.distance(to: leg.to)
                if length > 0.01 && leg.floor == map.zoneFloor[leg.zone] && map.zones[leg.zone].kind != .escalator {
                    let speed = length / (leg.end - leg.start)
                    #expect(speed <= 1.5 + 1e-6 && speed >= 0.59, "\(person.id): \(speed) m/s")
                }
            }
        }
        #expect(floorsUsed.count == 2, "nobody changed floors")
        #expect(storesEntered > 100)
        // Visitors start and end at an entrance.
        for person in crowd.people where person.role == .visitor {
            #expect(map.zones[person.trajectory.legs.first!.zone].kind == .entrance)
            #expect(map.zones[person.trajectory.legs.last!.zone].kind == .entrance)
        }
        // Staff stay in one store all along.
        for person in crowd.people where person.role == .staff {
            #expect(Set(person.trajectory.legs.map(\.zone)).count == 1)
            #expect(person.trajectory.end >= 1800)
        }
    }
}

@Suite struct TransmitPowerTests {
    /// Phones 8 dB louder: the same frames (same seed, same crowd, same fading) arrive exactly
    /// 8 dB stronger, and frames too weak before may now be heard.
    @Test func louderPhonesAreHeardExactlyThatMuchLouder() throws {
        let venue = arcade()
        var base = SimulationConfiguration(seed: 9, duration: 300, visitors: 30, staff: 0, calibrationWalk: false)
        base.parallel = false
        var louder = base
        louder.phones.txOffsetMeanDB = 8
        let a = makeTemporaryDirectory("tx-a"), b = makeTemporaryDirectory("tx-b")
        defer { [a, b].forEach { removeTree($0) } }
        let sa = try Simulation(venue: venue, configuration: base).run(writingTo: a)
        let sb = try Simulation(venue: venue, configuration: louder).run(writingTo: b)
        func frames(_ dir: String, _ sensor: Sensor) throws -> [String: Int] {
            let source = try PcapFileSource(path: dir + "/" + sensor.id + ".pcap", sensor: SensorID(sensor.id))
            var decoder = FrameDecoder(linkType: source.linkTypes[0])
            var out: [String: Int] = [:]
            while case .frames = try source.read(maxFrames: 4096, { frame in
                if case .probeRequest(let p) = decoder.decode(frame.bytes) {
                    out["\(frame.timestampNanoseconds) \(p.source) \(p.sequenceNumber)"] = Int(p.radio.signalDBm ?? 0)
                }
            }) {}
            return out
        }
        var compared = 0
        for sensor in venue.sensors {
            let quiet = try frames(a, sensor), loud = try frames(b, sensor)
            #expect(loud.count >= quiet.count)
            for (key, rssi) in quiet {
                guard let louderRSSI = loud[key] else {
                    Issue.record("\(sensor.id): a frame heard from the quieter phone is missing: \(key)")
                    continue
                }
                #expect(louderRSSI == min(rssi + 8, -1), "\(sensor.id) \(key): \(rssi) → \(louderRSSI)")
                compared += 1
            }
        }
        #expect(compared > 200)
        #expect(sb.probeRequestsWritten > sa.probeRequestsWritten)
    }
}
