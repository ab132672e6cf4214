import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif
import MallGateSimulator
import MallGateState
import MallGateVenue

/// `mallgate simulate`: people and phones in a venue → one pcap per sensor plus ground truth.
struct SimulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Simulate visitors with phones in a venue: one pcap per sensor, plus the ground truth.",
        discussion: """
            Visitors enter at the venue's entrances, walk its corridors, visit a few
            stores (minutes inside, moving around), pass others by, ride escalators
            and leave; some only walk through; a few staff stay in one store. Their
            phones send probe request bursts over the 2.4 GHz channels, seconds
            apart with the screen on, minutes apart when idle; most take a new
            random MAC for every scan. Each sensor hears what its channel plan and
            the building (path loss, walls, shopfronts, floor slabs, shadowing,
            fading) let it hear.

            Written into DIR (columns in docs/simulator.md):
              SENSOR.pcap          one pcap per sensor: radiotap + 802.11 + FCS
              truth-positions.csv  every probing device every 5 s: zone, floor,
                                   inside/outside/elsewhere, x, y
              truth-visits.csv     every stay in a store: device, enter, exit
              truth-macs.csv       every MAC a phone used, when, how often heard
              truth-devices.csv    every person: role, phone model, Wi-Fi on
              labels.csv           the calibration technician's mac,start,end,zone
              summary.json         what the simulator wrote, counted by itself

            The same venue, seed and options give byte-identical files: a run
            reads no clock and no system randomness. The capture lasts
            --duration, or longer when the calibration walk needs longer.

            Examples:
              mallgate simulate --venue firmware-configs/venues/demo-mall.json \\
                  --out sim --report
              mallgate simulate --venue small-arcade.json --out sim \\
                  --duration 30m --visitors 200 --seed 7
              mallgate simulate --venue demo-mall.json --out calib \\
                  --visitors 0 --staff 0
            """)

    @Option(help: ArgumentHelp("The venue layout (JSON, docs/venue-format.md).", valueName: "file"))
    var venue: String

    @Option(help: ArgumentHelp("Directory to write captures and truth into (created if missing).", valueName: "dir"))
    var out: String

    @Option(help: "Seed for every random choice; the same seed gives the same files.")
    var seed: UInt64 = 1

    @Option(help: ArgumentHelp("Simulated time: 90s, 30m, 1h, 1h30m or plain seconds.", valueName: "duration"))
    var duration: String = "1h"

    @Option(help: "Visitors arriving over the duration.")
    var visitors: Int = 1000

    @Option(help: "Staff, each in one store for the whole run.")
    var staff: Int = 10

    @Option(help: ArgumentHelp("When the capture starts, RFC 3339 (UTC or with an offset).", valueName: "time"))
    var start: String = "2026-11-29T10:00:00Z"

    @Flag(inversion: .prefixedNo, help: "Walk a technician's calibration phone through every zone and write labels.csv.")
    var calibrationWalk = true

    @Option(name: .customLong("truth-interval"), help: "Seconds between rows of truth-positions.csv.")
    var truthInterval: Double = 5

    @Flag(help: "Print the sanity table (RSSI by distance, frames per sensor, MACs vs devices) as Markdown.")
    var report = false

    @Option(name: .customLong("phone-offset"), help: ArgumentHelp("Added to every visitor's and staff phone's transmit power, dB (not the calibration phone's): e.g. 8 or -8 to test a model against louder or quieter phones.", valueName: "dB"))
    var phoneOffset: Double = 0

    @Option(name: .customLong("calibration-spots"), help: ArgumentHelp("Calibration walk: spots per zone, MIN-MAX (one per --calibration-area m², within the range).", valueName: "min-max"))
    var calibrationSpots: String = "2-3"

    @Option(name: .customLong("calibration-area"), help: ArgumentHelp("Calibration walk: square metres per spot.", valueName: "m2"))
    var calibrationArea: Double = 150

    @Option(name: .customLong("calibration-stand"), help: ArgumentHelp("Calibration walk: seconds standing at each spot.", valueName: "seconds"))
    var calibrationStand: Double = 20

    @Option(name: .customLong("calibration-line"), help: ArgumentHelp("Calibration walk: after the spots, seconds walking a line through each zone (slowly, near walls and shopfronts too); 0: none.", valueName: "seconds"))
    var calibrationLine: Double = 0

    @Option(name: .customLong("path-loss-exponent"), help: ArgumentHelp("Override the venue's path-loss exponent (radio.pathLossExponent), e.g. to test a model trained on the nominal layout against a building that differs from it.", valueName: "n"))
    var pathLossExponent: Double?

    @Option(name: .customLong("wall-loss"), help: ArgumentHelp("Override the venue's wall loss between stores (radio.wallLossDB).", valueName: "dB"))
    var wallLoss: Double?

    @Option(name: .customLong("shopfront-loss"), help: ArgumentHelp("Override the venue's shopfront loss (radio.shopfrontLossDB).", valueName: "dB"))
    var shopfrontLoss: Double?

    @Option(name: .customLong("floor-loss"), help: ArgumentHelp("Override the venue's floor slab loss (radio.floorLossDB).", valueName: "dB"))
    var floorLoss: Double?

    func validate() throws {
        guard Self.seconds(duration) != nil else {
            throw ValidationError("--duration \(duration): write e.g. 90s, 30m, 1h, 1h30m or a number of seconds")
        }
        guard Instant(rfc3339: start) != nil else {
            throw ValidationError("--start \(start): write an RFC 3339 time such as 2026-11-29T10:00:00Z")
        }
        guard visitors >= 0, staff >= 0 else { throw ValidationError("--visitors and --staff cannot be negative") }
        guard truthInterval > 0 else { throw ValidationError("--truth-interval must be positive") }
        guard spotRange() != nil else { throw ValidationError("--calibration-spots \(calibrationSpots): write MIN-MAX, e.g. 2-3 (1 ≤ MIN ≤ MAX)") }
        guard calibrationLine == 0 || calibrationLine > 4 else { throw ValidationError("--calibration-line must be 0 or above 4 seconds") }
        guard calibrationArea > 0, calibrationStand > 4 else {
            throw ValidationError("--calibration-area must be positive and --calibration-stand above 4 seconds")
        }
    }

    /// `--calibration-spots` as a range, or nil when malformed.
    func spotRange() -> ClosedRange<Int>? {
        let parts = calibrationSpots.split(separator: "-").compactMap { Int($0) }
        guard parts.count == 2, parts[0] >= 1, parts[0] <= parts[1] else { return nil }
        return parts[0]...parts[1]
    }

    /// Parses `90s`, `30m`, `1h`, `1h30m`, `2h15m10s` or plain seconds.
    static func seconds(_ text: String) -> Double? {
        if let plain = Double(text), plain > 0 { return plain }
        var total = 0.0
        var number = ""
        var sawUnit = false
        for ch in text {
            if ch.isNumber || ch == "." {
                number.append(ch)
            } else {
                guard let v = Double(number) else { return nil }
                switch ch {
                case "h": total += v * 3600
                case "m": total += v * 60
                case "s": total += v
                default: return nil
                }
                number = ""
                sawUnit = true
            }
        }
        guard number.isEmpty, sawUnit, total > 0 else { return nil }
        return total
    }

    func run() throws {
        var layout = try loadVenue(venue)
        if let pathLossExponent { layout.radio.pathLossExponent = pathLossExponent }
        if let wallLoss { layout.radio.wallLossDB = wallLoss }
        if let shopfrontLoss { layout.radio.shopfrontLossDB = shopfrontLoss }
        if let floorLoss { layout.radio.floorLossDB = floorLoss }
        var phones = PhoneSettings()
        phones.txOffsetMeanDB = phoneOffset
        let spots = spotRange()!
        let calibration = CalibrationSettings(
            standSeconds: calibrationStand, squareMetresPerSpot: calibrationArea, minSpots: spots.lowerBound, maxSpots: spots.upperBound,
            lineSeconds: calibrationLine)
        let configuration = SimulationConfiguration(
            seed: seed, start: Instant(rfc3339: start)!, duration: Self.seconds(duration)!, visitors: visitors, staff: staff,
            calibrationWalk: calibrationWalk, calibration: calibration, phones: phones, truthInterval: truthInterval)
        let simulation: Simulation
        do {
            simulation = try Simulation(venue: layout, configuration: configuration)
        } catch {
            throw SimulateFailure(message: "\(venue): \(error)")
        }
        let summary: SimulationSummary
        if let failure = makeDirectories(out) {
            throw SimulateFailure(message: "\(out): cannot create the directory: \(String(cString: strerror(failure)))")
        }
        do {
            summary = try simulation.run(writingTo: out)
        } catch {
            throw SimulateFailure(message: "\(error)")
        }
        var text = "simulated \(layout.id): \(summary.visitors) visitors, \(summary.staff) staff"
        text += summary.technicians > 0 ? ", calibration walk (\(summary.labels) labelled spots)" : ""
        text += ", \(Int(summary.simulatedSeconds)) s from \(summary.start.rfc3339())\n"
        text += "devices probing \(summary.probingDevices), heard \(summary.devicesHeard); MACs used \(summary.macs), heard \(summary.macsHeard) (\(summary.randomizedMACsHeard) randomized)\n"
        text += "probe requests sent \(summary.framesSent), written \(summary.probeRequestsWritten) across \(summary.sensors.count) sensors\n"
        text += "wrote:\n"
        for (s, path) in zip(summary.sensors, summary.files) {
            text += "  \(path)  \(s.probeRequests) probe requests, \(s.bytes) bytes\n"
        }
        for f in summary.files.dropFirst(summary.sensors.count) { text += "  \(f)\n" }
        print(text, terminator: "")
        if report { print("\n" + summary.report(), terminator: "") }
    }

    private func loadVenue(_ path: String) throws -> Venue {
        do {
            return try VenueFile.load(path: path)
        } catch {
            let readable = access(path, R_OK) == 0
            throw SimulateFailure(message: "\(error)" + (readable ? "\nRun 'mallgate venue validate \(path)' to see every problem in the file." : ""))
        }
    }
}

/// A failure while simulating, printed as `Error: …` without the usage text (the
/// command line was fine; the venue or the disk was not).
struct SimulateFailure: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
