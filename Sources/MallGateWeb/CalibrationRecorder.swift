internal import MallGateLocalize
internal import MallGateVenue

/// The on-site calibration walk: which phone is recorded, the label being recorded, and the
/// windows of that phone written to the fingerprint file while a label is open.
///
/// Windows reach it from the pipeline (``WebBackend/watch(_:onWindow:)``) in time order;
/// a window counts for a label when its first reading is at or after the label's start and its
/// last reading at or before the label's end, so windows straddling two spots are left out.
actor CalibrationRecorder {
    /// What the calibration page shows (no device id: the page never learns it).
    struct State: Sendable, Codable {
        struct SensorCount: Sendable, Codable { var sensor: String; var frames: Int }
        struct Zone: Sendable, Codable { var id: String; var name: String }
        struct LabelRow: Sendable, Codable { var zone: String; var start: String; var end: String }
        var phoneSet: Bool
        var recording: Bool
        var zone: String?
        var started: String?
        var counts: [SensorCount]
        var missing: [Zone]
        var labels: [LabelRow]
        /// Windows written per zone so far.
        var windows: [String: Int]
        var error: String?
    }

    /// Windows a zone needs before it no longer counts as missing.
    static let windowsPerZone = 3

    let directory: String
    private var device: UInt64?
    private var open: (zone: String, start: Int64)?
    /// Labels of this agent's file, all devices (for the table and the window check).
    private var labels: [CalibrationFiles.Label] = []
    private var counts: [String: Int] = [:]
    private var lastCountedEnd = Int64.min
    private var windowsPerZone: [String: Int] = [:]
    private var headerSensors: [String]?
    private var lastError: String?

    var labelsPath: String { directory + "/" + CalibrationFiles.labelsName }
    var fingerprintsPath: String { directory + "/" + CalibrationFiles.fingerprintsName }

    /// Reads back what earlier sessions recorded in `directory`, so a restart loses nothing.
    init(directory: String) {
        self.directory = directory
        if let bytes = WebFiles.read(directory + "/" + CalibrationFiles.labelsName) {
            labels = CalibrationFiles.parseLabels(String(decoding: bytes, as: UTF8.self))
        }
        if let bytes = WebFiles.read(directory + "/" + CalibrationFiles.fingerprintsName) {
            let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n")
            headerSensors = lines.first.flatMap { CalibrationFiles.headerSensors($0) }
            for line in lines.dropFirst() {
                if let zone = line.split(separator: ",").first { windowsPerZone[String(zone), default: 0] += 1 }
            }
        }
    }

    /// The phone to record: its keyed id (the MAC was hashed before it got here).
    func setDevice(_ id: UInt64?) {
        if open != nil && id != device { open = nil }
        device = id
        counts = [:]
        lastCountedEnd = .min
    }

    var watchedDevice: UInt64? { device }

    /// Opens a label for `zone` at pipeline time `now` (closing an open one first).
    func start(zone: String, now: Int64) throws(WebFiles.Failure) {
        guard device != nil else { throw WebFiles.Failure(description: "enter the phone's MAC address first") }
        if open != nil { try stop(now: now) }
        open = (zone, now)
        counts = [:]
        lastCountedEnd = .min
    }

    /// Closes the open label at `now` and appends it to the labels file.
    func stop(now: Int64) throws(WebFiles.Failure) {
        guard let (zone, start) = open, let device else { return }
        open = nil
        let label = CalibrationFiles.Label(device: device, startNanoseconds: start, endNanoseconds: max(start, now), zone: zone)
        try WebFiles.makeDirectory(directory)
        if !WebFiles.exists(labelsPath) { try WebFiles.append(CalibrationFiles.labelsHeader + "\n", to: labelsPath) }
        try WebFiles.append(CalibrationFiles.line(label), to: labelsPath)
        labels.append(label)
    }

    /// A window of a watched device: counted and written when it lies inside the open label
    /// (or inside a label that closed while the window was still being filled).
    func receive(_ w: WatchedWindow, venue: Venue) {
        guard w.device == device else { return }
        var zone: String?
        if let open, w.firstReadingNanoseconds >= open.start {
            zone = open.zone
            // Windows overlap (length > step): count a window's frames only when it shares no reading with the last counted one.
            if w.firstReadingNanoseconds > lastCountedEnd {
                for (i, name) in w.sensorNames.enumerated() where i < w.sample.sensors.count {
                    counts[name, default: 0] += Int(w.sample.sensors[i].count)
                }
                lastCountedEnd = w.lastReadingNanoseconds
            }
        } else if let label = labels.last(where: { $0.device == w.device && $0.startNanoseconds <= w.firstReadingNanoseconds && w.lastReadingNanoseconds <= $0.endNanoseconds }) {
            zone = label.zone
        }
        guard let zone else { return }
        do {
            try write(w, zone: zone, venue: venue)
            windowsPerZone[zone, default: 0] += 1
        } catch {
            lastError = error.description
        }
    }

    private func write(_ w: WatchedWindow, zone: String, venue: Venue) throws(WebFiles.Failure) {
        try WebFiles.makeDirectory(directory)
        if headerSensors == nil || !WebFiles.exists(fingerprintsPath) {
            let sensors = venue.sensors.map(\.id)
            try WebFiles.append(CalibrationFiles.fingerprintHeader(sensors: sensors), to: fingerprintsPath)
            headerSensors = sensors
        }
        let info = venue.zones.first { $0.id == zone }
        try WebFiles.append(
            CalibrationFiles.fingerprintRow(
                zone: zone, floor: info?.floor ?? "", kind: info?.kind.rawValue ?? "", endNanoseconds: w.endNanoseconds,
                sample: w.sample, sampleSensors: w.sensorNames, headerSensors: headerSensors ?? []),
            to: fingerprintsPath)
    }

    /// The page's view: counts of the current spot, zones still short of windows, the labels.
    func state(layout: WebLayout) -> State {
        let names = Dictionary(layout.venue.zones.map { ($0.id, $0.name) }, uniquingKeysWith: { a, _ in a })
        let zones = layout.modelZones.isEmpty ? layout.venue.zones.map(\.id) : layout.modelZones
        let sensors = layout.venue.sensors.map(\.id)
        return State(
            phoneSet: device != nil, recording: open != nil, zone: open?.zone,
            started: open.map { CalibrationFiles.timeText($0.start) },
            counts: sensors.map { .init(sensor: $0, frames: counts[$0] ?? 0) },
            missing: zones.filter { (windowsPerZone[$0] ?? 0) < Self.windowsPerZone }.map { .init(id: $0, name: names[$0] ?? $0) },
            labels: labels.map { .init(zone: $0.zone, start: CalibrationFiles.timeText($0.startNanoseconds), end: CalibrationFiles.timeText($0.endNanoseconds)) },
            windows: windowsPerZone, error: lastError)
    }
}
