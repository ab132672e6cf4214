import MallGateSystem
import ArgumentParser
import MallGateCapture
import MallGateDecode
import MallGateIdentify
import MallGateLocalize
import MallGateSimulator
import MallGateVenue
import MallGateVisits
#if canImport(Glibc)
import Glibc
#endif

/// Capture files named after their sensors, and the venue they belong to; shared by `train`
/// (calibration captures) and `locate`.
enum CaptureInput {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// The capture files in `arguments`: files as given, directories expanded to their
    /// `.pcap`/`.pcapng`/`.cap` files (sorted). The sensor of a file is its base name.
    static func files(_ arguments: [String]) throws(Failure) -> [(path: String, sensor: String)] {
        var paths: [String] = []
        for a in arguments {
            if let dir = opendir(a) {
                var names: [String] = []
                while let entry = readdir(dir) {
                    let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
                    if name.hasSuffix(".pcap") || name.hasSuffix(".pcapng") || name.hasSuffix(".cap") { names.append(name) }
                }
                closedir(dir)
                guard !names.isEmpty else { throw Failure(description: "\(a): no .pcap, .pcapng or .cap file in this directory") }
                paths += names.sorted().map { a.hasSuffix("/") ? a + $0 : a + "/" + $0 }
            } else {
                paths.append(a)
            }
        }
        return paths.map { path in
            let base = path.split(separator: "/").last.map(String.init) ?? path
            let sensor = base.split(separator: ".", omittingEmptySubsequences: false).dropLast().joined(separator: ".")
            return (path, sensor.isEmpty ? base : sensor)
        }
    }

    /// Checks that every file's sensor is one of the venue's and returns, per file, the
    /// sensor's position in `sensorNames`.
    static func positions(_ files: [(path: String, sensor: String)], sensorNames: [String], venueID: String) throws(Failure) -> [String: Int] {
        var position: [String: Int] = [:]
        for (i, n) in sensorNames.enumerated() { position[n] = i }
        var seen: Set<String> = []
        for f in files {
            guard position[f.sensor] != nil else {
                throw Failure(description: "\(f.path): sensor \"\(f.sensor)\" (the file's base name) is not a sensor of venue \(venueID) (its sensors: \(sensorNames.joined(separator: ", "))); name each capture file after its sensor id")
            }
            guard seen.insert(f.sensor).inserted else {
                throw Failure(description: "\(f.path): a second capture for sensor \"\(f.sensor)\"; give one file per sensor")
            }
        }
        return position
    }

    /// The bytes of a file (the venue, whose exact bytes the layout hash covers).
    static func readBytes(_ path: String) throws(Failure) -> [UInt8] {
        do {
            return try WholeFile.read(path)
        } catch {
            throw Failure(description: "\(path): cannot \(error.step.rawValue) (\(error.reason))")
        }
    }

    /// The venue at `path` and the hash of its bytes.
    static func venue(_ path: String) throws -> (Venue, UInt64) {
        let bytes = try readBytes(path)
        return (try VenueFile.decode(bytes, fileName: path), LayoutHash.fnv1a64(bytes))
    }

    /// Replays the captures in time order, windows every probe request with a plausible RSSI
    /// whose MAC `keep` accepts, and hands each window to `body` (in completion order).
    /// - Returns: capture errors, if any.
    static func windows(
        files: [(path: String, sensor: String)], positions: [String: Int], sensorCount: Int, options: WindowOptions,
        keep: (MACAddress, Int64) -> Bool, key: (MACAddress) -> UInt64 = { $0.rawValue },
        deviceKey: ((ProbeRequest, Int64, Int) -> UInt64)? = nil, body: (WindowedSample) -> Void
    ) async throws -> [CaptureError] {
        let source: any FrameSource = files.count == 1
            ? try PcapFileSource(path: files[0].path, sensor: SensorID(files[0].sensor))
            : try MergedReplaySource(files: files.map { ($0.path, SensorID($0.sensor)) })
        let session = CaptureSession(sources: [(source, false)])
        let map = session.sensors.map { positions[$0.rawValue] ?? -1 }
        var windows = FingerprintWindows(sensorCount: sensorCount, options: options)
        for await batch in session.start() {
            for o in batch {
                guard case .probeRequest(let p) = o.event, let rssi = p.radio.plausibleSignalDBm else { continue }
                guard keep(p.source, o.timestampNanoseconds) else { continue }
                let device = deviceKey?(p, o.timestampNanoseconds, map[o.sensor]) ?? key(p.source)
                for w in windows.add(device: device, sensor: map[o.sensor], timeNanoseconds: o.timestampNanoseconds, rssi: Float(rssi)) {
                    body(w)
                }
            }
        }
        for w in windows.flush() { body(w) }
        return session.errors()
    }
}

/// The technician's labels of a calibration walk: `mac,start,end,zone`, times RFC 3339.
struct CalibrationLabels {
    struct Interval {
        var start: Int64
        var end: Int64
        var zone: String
        var index: Int
    }

    var byMAC: [MACAddress: [Interval]] = [:]
    /// Labels recorded by the web UI name the phone by its keyed device id (`id:<16 hex>`), not its MAC.
    var byID: [UInt64: [Interval]] = [:]
    /// The keyed ids a captured MAC may have at a time (set when ``byID`` is not empty).
    var keyedIDs: ((MACAddress, Int64) -> [UInt64])?
    var count = 0

    init(path: String, zones: Set<String>) throws(CaptureInput.Failure) {
        let bytes = try CaptureInput.readBytes(path)
        var lineNumber = 0
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            let text = line.hasSuffix("\r") ? String(line.dropLast()) : String(line)
            if text.isEmpty { continue }
            let f = text.split(separator: ",", omittingEmptySubsequences: false).map { String($0) }
            if lineNumber == 1 && f.first == "mac" { continue }
            guard f.count == 4 else { throw .init(description: "\(path):\(lineNumber): expected 4 fields mac,start,end,zone (got \(f.count))") }
            let keyedID = f[0].hasPrefix("id:") && f[0].count == 19 ? UInt64(f[0].dropFirst(3), radix: 16) : nil
            let mac = MACAddress(string: f[0])
            guard mac != nil || keyedID != nil else { throw .init(description: "\(path):\(lineNumber): \"\(f[0])\" is not a MAC address (nor a device id id:<16 hex digits>)") }
            guard let start = Instant(rfc3339: f[1]), let end = Instant(rfc3339: f[2]) else {
                throw .init(description: "\(path):\(lineNumber): start and end must be RFC 3339 times, e.g. 2026-11-29T10:00:00Z")
            }
            guard start <= end else { throw .init(description: "\(path):\(lineNumber): end \(f[2]) is before start \(f[1])") }
            guard zones.contains(f[3]) else { throw .init(description: "\(path):\(lineNumber): zone \"\(f[3])\" is not in the venue; use the zone ids of the venue file") }
            let interval = Interval(start: start.microseconds * 1000, end: end.microseconds * 1000, zone: f[3], index: count)
            if let mac { byMAC[mac, default: []].append(interval) } else if let keyedID { byID[keyedID, default: []].append(interval) }
            count += 1
        }
        guard count > 0 else { throw .init(description: "\(path): no labels") }
    }

    /// The label interval holding time `t` for `mac`, if any.
    func interval(_ mac: MACAddress, _ t: Int64) -> Interval? {
        if let found = byMAC[mac]?.first(where: { $0.start <= t && t <= $0.end }) { return found }
        guard !byID.isEmpty, let keyedIDs else { return nil }
        for id in keyedIDs(mac, t) {
            if let found = byID[id]?.first(where: { $0.start <= t && t <= $0.end }) { return found }
        }
        return nil
    }
}

extension LocateCommand {
    /// `mac` → device index, and the device names, from a CSV with `mac` and `device` columns.
    static func loadDeviceMap(_ path: String) throws -> ([MACAddress: UInt64], [String]) {
        let lines = String(decoding: try CaptureInput.readBytes(path), as: UTF8.self).split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        guard let header = lines.first, let m = header.firstIndex(of: "mac"), let d = header.firstIndex(of: "device") else {
            throw CaptureInput.Failure(description: "\(path): the first line must name a mac and a device column")
        }
        var index: [String: UInt64] = [:]
        var names: [String] = []
        var map: [MACAddress: UInt64] = [:]
        for (n, f) in lines.dropFirst().enumerated() where f.count > max(m, d) {
            guard let mac = MACAddress(string: f[m]) else { throw CaptureInput.Failure(description: "\(path):\(n + 2): \"\(f[m])\" is not a MAC address") }
            if index[f[d]] == nil {
                index[f[d]] = UInt64(names.count)
                names.append(f[d])
            }
            map[mac] = index[f[d]]!
        }
        return (map, names)
    }
}

/// `mallgate locate`: captures → one position per device and window.
struct LocateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "locate",
        abstract: "Localize every device in captures: one line per device window with zone, floor, kind and confidence.",
        discussion: """
            Reads one capture per sensor (the file's base name is the sensor id),
            cuts each device's probe requests into sliding windows, classifies
            every window with the model and, unless --no-smoothing, filters each
            device's sequence over the venue's connections (no jumps through
            walls or between floors). Devices are printed as their MAC address:
            like `parse`, this is a tool for installers. Each line also says
            whether the device is inside a store, outside one (in a walkway a
            shop door opens onto) or elsewhere.

            With --visits and --counts, the placed windows go through the visits
            stage: store visits (entry and exit halfway between readings), passers-by
            (in front of a store's door without going in) and, per store and
            --interval, footfall, passers-by, capture rate (visitors per passer-by)
            and a dwell histogram.

            Example:
              mallgate locate --model demo.mgm --venue demo-mall.json sim2/ --format csv
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case json, csv
    }

    @Option(help: ArgumentHelp("The model file (from `mallgate train`).", valueName: "file"))
    var model: String

    @Option(help: ArgumentHelp("The venue layout the model was trained for.", valueName: "file"))
    var venue: String

    @Argument(help: ArgumentHelp("Capture files, or directories of them, one file per sensor.", valueName: "captures"))
    var captures: [String]

    @Option(help: "Window length, seconds.")
    var window: Double = 10

    @Option(help: "Seconds between window ends.")
    var step: Double = 5

    @Flag(name: .customLong("no-smoothing"), help: "Print the model's per-window answer, without the venue-graph filter.")
    var noSmoothing = false

    @Flag(name: .customLong("floor-first"), inversion: .prefixedNo, help: "Decide the floor first (the floor holding the most probability), then the zone on it, instead of the single most likely zone.")
    var floorFirst = false

    @Option(name: .customLong("move-probability"), help: "Smoothing: probability per 5 s step that a device moves to a connected zone.")
    var moveProbability: Float = 0.05

    @Option(help: ArgumentHelp("Also write store visits and passers-by (from the smoothed zones) to this CSV: device,store,enter,exit,dwell_seconds,kind (visit or passer-by).", valueName: "file"))
    var visits: String?

    @Option(help: ArgumentHelp("Also write counts per store and interval to this CSV: footfall, passers-by, capture rate, dwell histogram.", valueName: "file"))
    var counts: String?

    @Option(help: "Counts: interval length, seconds.")
    var interval: Double = StoreVisitTracker.Options().intervalSeconds

    @Option(name: .customLong("min-dwell"), help: "Visits: shortest stay reported, seconds.")
    var minDwell: Double = StoreVisitTracker.Options().minimumDwellSeconds

    @Option(name: .customLong("exit-timeout"), help: "Visits: seconds placed outside the store before the visit ends.")
    var exitTimeout: Double = StoreVisitTracker.Options().exitTimeoutSeconds

    @Option(name: .customLong("silence-timeout"), help: "Visits: seconds unheard before a visit ends (an idle phone probes rarely).")
    var silenceTimeout: Double = StoreVisitTracker.Options().silenceTimeoutSeconds

    @Option(name: .customLong("enter-windows"), help: "Visits: consecutive windows in a new zone before the device counts as moved there …")
    var enterWindows: Int = StoreVisitTracker.Options().enterWindows

    @Option(name: .customLong("enter-confidence"), help: "Visits: … or once their summed confidence reaches this.")
    var enterConfidence: Float = StoreVisitTracker.Options().enterConfidence

    @Option(name: .customLong("walk-seconds"), help: "Visits: a door crossing is placed at most this many seconds from the walkway reading around it (default: halfway between the readings).")
    var walkSeconds: Double?

    @Option(name: .customLong("silent-exit-max"), help: "Visits: a device falling silent after a visit of at least the minimum dwell leaves half its usual gap between probe bursts after its last reading inside, at most this many seconds (default 120).")
    var silentExitMax: Double?

    @Option(name: .customLong("capture-end"), help: "Visits: a device still in a store and heard within this many seconds of the end of the captures was there when they stop: its visit ends there (default 240; 0: never).")
    var captureEndSeconds: Double?

    @Option(name: .customLong("device-map"), help: ArgumentHelp("Group MACs into devices with a CSV holding mac and device columns (e.g. the simulator's truth-macs.csv): a stand-in for pseudo-device grouping, to measure visits with perfect grouping.", valueName: "file"))
    var deviceMap: String?

    @Flag(name: .customLong("pseudo-devices"), help: "Group randomized MACs into pseudo-devices (IE fingerprint, sequence numbers, timing) and name devices by keyed id, as the daemon does.")
    var pseudoDevices = false

    @Option(name: .customLong("pseudo-device-map"), help: ArgumentHelp("With --pseudo-devices: also write which MACs each pseudo-device holds to this CSV (mac,device,frames), so visits on pseudo-devices can be scored against a simulation's truth (scripts/eval/compare-visits.py --pseudo-map).", valueName: "file"))
    var pseudoDeviceMap: String?

    @Option(help: "Output format: json (JSON lines) or csv.")
    var format: Format = .json

    func validate() throws {
        guard window > 0, step > 0 else { throw ValidationError("--window and --step must be positive") }
        guard moveProbability > 0 && moveProbability < 1 else { throw ValidationError("--move-probability must be in (0, 1)") }
        guard interval >= 1 else { throw ValidationError("--interval must be at least 1 second") }
        guard enterWindows >= 1 else { throw ValidationError("--enter-windows must be at least 1") }
        if let walkSeconds, walkSeconds < 0 { throw ValidationError("--walk-seconds must not be negative") }
        guard minDwell >= 0, exitTimeout > 0, silenceTimeout > 0 else { throw ValidationError("--min-dwell, --exit-timeout and --silence-timeout must be positive") }
        if pseudoDevices && deviceMap != nil { throw ValidationError("give --pseudo-devices or --device-map, not both") }
        if pseudoDeviceMap != nil && !pseudoDevices { throw ValidationError("--pseudo-device-map needs --pseudo-devices") }
    }

    func run() async throws {
        let v: Venue
        let loaded: LocalizationModel
        let files: [(path: String, sensor: String)]
        let positions: [String: Int]
        do {
            let (venue, hash) = try CaptureInput.venue(venue)
            v = venue
            loaded = try ModelFile.load(path: model, venue: (venue.id, hash))
            files = try CaptureInput.files(captures)
            positions = try CaptureInput.positions(files, sensorNames: loaded.features.sensorNames, venueID: venue.id)
        } catch {
            printError("mallgate locate: \(error)")
            throw ExitCode(2)
        }
        guard loaded.classes.labelNames.first == "zone" else {
            printError("mallgate locate: \(model) was not trained on a venue's zones (labels \(loaded.classes.labelNames.joined(separator: ","))); train it with --venue and --captures")
            throw ExitCode(2)
        }
        var grouped: [MACAddress: UInt64] = [:]
        var deviceNames: [String] = []
        if let deviceMap {
            do { (grouped, deviceNames) = try Self.loadDeviceMap(deviceMap) } catch {
                printError("mallgate locate: \(error)")
                throw ExitCode(2)
            }
        }
        let groupBit: UInt64 = 1 << 63
        var identifier = DeviceIdentifier(key: .random())
        var grouper = PseudoDeviceGrouper()
        let pseudo = pseudoDevices
        // Frames per MAC and pseudo-device, for --pseudo-device-map (this tool prints MACs anyway).
        var assigned: [MACAddress: [UInt64: Int]] = [:]
        let mapAssignments = pseudoDeviceMap != nil
        let name = { (key: UInt64) -> String in
            if pseudo { return "pd-" + String(key, radix: 16) }
            return key & groupBit != 0 ? deviceNames[Int(key & ~groupBit)] : MACAddress(rawValue: key).description
        }
        let zoneInfo = Dictionary(v.zones.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        var filterOptions = VenueGraphFilter.Options()
        filterOptions.moveProbability = moveProbability
        filterOptions.floorFirst = floorFirst
        let floorDecision = floorFirst && noSmoothing ? FloorFirstDecision(floors: VenueTransitions(venue: v, classes: loaded.classes).floors) : nil
        var filter = noSmoothing ? nil : VenueGraphFilter(transitions: VenueTransitions(venue: v, classes: loaded.classes), options: filterOptions)
        let out = OutputBuffer()
        if format == .csv { out.append("device,time,zone,floor,kind,confidence,place\n") }
        var probabilities = [Float](repeating: 0, count: loaded.classes.count)
        var visitOptions = StoreVisitTracker.Options()
        visitOptions.minimumDwellSeconds = minDwell
        visitOptions.exitTimeoutSeconds = exitTimeout
        visitOptions.silenceTimeoutSeconds = silenceTimeout
        visitOptions.enterWindows = enterWindows
        visitOptions.enterConfidence = enterConfidence
        if let walkSeconds { visitOptions.walkSeconds = walkSeconds }
        if let silentExitMax { visitOptions.silentExitMaxSeconds = silentExitMax }
        if let captureEndSeconds { visitOptions.captureEndSeconds = captureEndSeconds }
        var lastWindowEnd = Int64.min
        visitOptions.intervalSeconds = interval
        let layout = VisitLayout(venue: v, classZones: loaded.classes.classes.map { $0[0] })
        var tracker = StoreVisitTracker(layout: layout, options: visitOptions)
        let visitsOut: VisitsOutput?
        do { visitsOut = try VisitsOutput(visits: visits, counts: counts, layout: layout, name: name) } catch {
            printError("mallgate locate: \(error)")
            throw ExitCode(1)
        }
        var events: [VisitEvent] = []
        // Counts of an interval are closed once late events can no longer arrive for it: a visit
        // is confirmed at most a silence timeout plus the minimum dwell after its entry (an entry
        // moved back by up to the silent-exit maximum when first heard inside).
        let settle = Int64((silenceTimeout + minDwell + visitOptions.silentExitMaxSeconds) * 1e9)
        let intervalNs = Int64(interval * 1e9)
        var nextClose = Int64.min
        let errors = try await CaptureInput.windows(
            files: files, positions: positions, sensorCount: loaded.features.sensorCount,
            options: WindowOptions(lengthSeconds: window, stepSeconds: step), keep: { _, _ in true },
            key: { mac in grouped[mac].map { $0 | groupBit } ?? mac.rawValue },
            deviceKey: pseudoDevices ? { p, t, sensor in
                // An opted-out MAC cannot occur: the throwaway key has an empty opt-out list.
                let id = identifier.deviceID(p.source, unixNanoseconds: t) ?? 0
                let device = grouper.assign(GroupingInput(probe: p, deviceID: id, timeNanoseconds: t, sensor: sensor))
                if mapAssignments { assigned[p.source, default: [:]][device, default: 0] += 1 }
                return device
            } : nil
        ) { w in
            var (best, confidence) = probabilities.withUnsafeMutableBufferPointer { loaded.predict(w.sample, probabilities: $0) }
            if filter != nil { (best, confidence) = filter!.update(device: w.device, timeNanoseconds: w.endNanoseconds, probabilities: probabilities) }
            if let floorDecision {
                best = floorDecision.choose(probabilities)
                confidence = probabilities[best]
            }
            var place = layout.status(ofClass: best)
            if let visitsOut {
                lastWindowEnd = max(lastWindowEnd, w.endNanoseconds)
                place = tracker.update(
                    device: w.device, windowEnd: w.endNanoseconds, firstReading: w.firstReadingNanoseconds,
                    lastReading: w.lastReadingNanoseconds, classIndex: best, confidence: confidence, into: &events)
                if nextClose == .min { nextClose = (w.endNanoseconds / intervalNs + 1) * intervalNs + settle }
                if w.endNanoseconds >= nextClose {
                    visitsOut.write(counts: tracker.closeInterval(at: w.endNanoseconds - settle, events: &events))
                    nextClose += intervalNs
                }
                visitsOut.write(events: events)
                events.removeAll(keepingCapacity: true)
            }
            let zone = loaded.classes.classes[best][0]
            let z = zoneInfo[zone]
            let floor = z?.floor ?? (loaded.classes.classes[best].count > 1 ? loaded.classes.classes[best][1] : "")
            let kind = z?.kind.rawValue ?? (loaded.classes.classes[best].count > 2 ? loaded.classes.classes[best][2] : "")
            let mac = name(w.device)
            let time = TextEncoding.timestamp(nanoseconds: w.endNanoseconds)
            let conf = String((confidence * 1000).rounded() / 1000)
            switch format {
            case .json:
                out.append("{\"device\":\"\(mac)\",\"time\":\"\(time)\",\"zone\":" + jsonQuoted(zone)
                    + ",\"floor\":" + jsonQuoted(floor) + ",\"kind\":\"\(kind)\",\"confidence\":\(conf),\"place\":\"\(place.word)\"}\n")
            case .csv:
                out.append("\(mac),\(time),\(zone),\(floor),\(kind),\(conf),\(place.word)\n")
            }
        }
        out.flush()
        if let visitsOut {
            let last = tracker.flush(captureEnd: lastWindowEnd == .min ? nil : lastWindowEnd, into: &events)
            visitsOut.write(events: events)
            visitsOut.write(counts: last)
            do { try visitsOut.close() } catch {
                printError("mallgate locate: \(error)")
                throw ExitCode(1)
            }
            if let visits { printError("mallgate locate: \(visitsOut.visitCount) store visits and \(visitsOut.passCount) passers-by written to \(visits)") }
            if let counts { printError("mallgate locate: \(visitsOut.countRows) store-interval rows written to \(counts)") }
        }
        if let pseudoDeviceMap {
            var text = "mac,device,frames\n"
            for (mac, devices) in assigned.sorted(by: { $0.key.description < $1.key.description }) {
                for (device, frames) in devices.sorted(by: { $0.key < $1.key }) { text += "\(mac),\(name(device)),\(frames)\n" }
            }
            do { try VisitsOutput.write(text, to: pseudoDeviceMap) } catch {
                printError("mallgate locate: \(error)")
                throw ExitCode(1)
            }
        }
        for e in errors { printError("mallgate locate: \(e)") }
        if !errors.isEmpty { throw ExitCode(1) }
    }
}
