import ArgumentParser
import MallGateDecode
import MallGateIdentify
import MallGateLocalize
import MallGateState
import MallGateVenue

/// A walk recorded with labels (`mac,start,end,zone`), as options shared by `train` (the
/// technician's calibration walk) and `eval` (a verification walk).
struct WalkOptions: ParsableArguments {
    @Option(help: ArgumentHelp("With --captures: the venue layout (sensor ids, zones).", valueName: "file"))
    var venue: String?

    @Option(parsing: .upToNextOption, help: ArgumentHelp("Instead of --csv, the captures of a labelled walk: files or directories, one file per sensor.", valueName: "captures"))
    var captures: [String] = []

    @Option(help: ArgumentHelp("With --captures: the walk's labels, mac,start,end,zone.", valueName: "file"))
    var labels: String?

    @Option(name: .customLong("state-directory"), help: ArgumentHelp("With --labels naming phones by device id (id:<hex>, as the web UI records them): the gateway's state directory, whose identity.key hashes each captured MAC to match them.", valueName: "dir"))
    var stateDirectory: String?

    @Option(help: "With --captures: window length, seconds.")
    var window: Double = 10

    @Option(help: "With --captures: seconds between window ends.")
    var step: Double = 5

    /// Checks what the walk's options need of each other (the caller checks --csv against --captures).
    func validate() throws {
        if !captures.isEmpty && (venue == nil || labels == nil) { throw ValidationError("--captures needs --venue FILE and --labels FILE") }
        guard window > 0, step > 0 else { throw ValidationError("--window and --step must be positive") }
    }

    /// The windows of every labelled MAC inside its labelled intervals in ``captures`` (one
    /// file per sensor), each labelled with its zone, floor and kind; windows that straddle two
    /// labels are dropped. `command` names the caller in messages. Needs ``labels``.
    func windows(_ v: Venue, command: String) async throws -> FingerprintSet {
        let labels = labels!
        let sensorNames = v.sensors.map(\.id)
        let files = try CaptureInput.files(captures)
        let positions = try CaptureInput.positions(files, sensorNames: sensorNames, venueID: v.id)
        var walk = try CalibrationLabels(path: labels, zones: Set(v.zones.map(\.id)))
        if !walk.byID.isEmpty {
            guard let stateDirectory else {
                throw CaptureInput.Failure(description: "\(labels): the labels name phones by device id (id:…); give the gateway's state directory with --state-directory so its key can match them")
            }
            let key = try IdentityKeyFile.load(path: stateDirectory + "/" + IdentityKeyFile.fileName)
            // The gateway's rotation is not in the state directory: an id of any rotation matches.
            let schemes = Rotation.allCases.map { DeviceIDScheme(key: key, rotation: $0) }
            walk.keyedIDs = { mac, t in schemes.map { $0.deviceID(mac, epoch: $0.epoch(unixNanoseconds: t)) } }
        }
        let zoneInfo = Dictionary(v.zones.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        var set = FingerprintSet(sensorNames: sensorNames, labelNames: ["zone", "floor", "kind"], sequence: [], time: [])
        var straddling = 0
        let errors = try await CaptureInput.windows(
            files: files, positions: positions, sensorCount: sensorNames.count,
            options: WindowOptions(lengthSeconds: window, stepSeconds: step),
            keep: { walk.interval($0, $1) != nil }
        ) { w in
            let mac = MACAddress(rawValue: w.device)
            guard let a = walk.interval(mac, w.firstReadingNanoseconds), let b = walk.interval(mac, w.lastReadingNanoseconds), a.index == b.index else {
                straddling += 1
                return
            }
            let z = zoneInfo[a.zone]!
            set.samples.append(w.sample)
            set.labels.append([z.id, z.floor, z.kind.rawValue])
            set.sequence!.append(mac.description)
            set.time!.append(Double(w.endNanoseconds) / 1e9)
        }
        for e in errors { printError("mallgate \(command): \(e)") }
        if !errors.isEmpty { throw ExitCode(1) }
        let zones = Set(set.labels.map { $0[0] }).count
        printError("mallgate \(command): \(walk.count) labels, \(set.count) windows in \(zones) zones (\(straddling) straddling two labels dropped)")
        return set
    }
}
