import Glibc
import MallGateLocalize
import MallGateSimulator
import MallGateTestSupport
import MallGateVenue
import Testing

@Suite struct LayoutFingerprintsTests {
    static let arcadePath = packageRoot + "/firmware-configs/venues/small-arcade.json"

    @Test func everyZoneGetsSamplesInsideItsPolygonUpToItsWalls() throws {
        let venue = try VenueFile.load(path: Self.arcadePath)
        var options = LayoutFingerprints.Options()
        options.samplesPerZone = 60
        let layout = try LayoutFingerprints(venue: venue, options: options)
        #expect(layout.set.sensorNames == venue.sensors.map(\.id))
        #expect(layout.positions.count == layout.set.count)
        #expect(Set(layout.set.labels.map { $0[0] }) == Set(venue.zones.map(\.id)))
        for zone in venue.zones {
            let rows = layout.set.labels.indices.filter { layout.set.labels[$0][0] == zone.id }
            // A sample no sensor hears is dropped (three sensors, one hopping: at the far end of
            // the arcade a one-frame scan is sometimes missed by all), but not many.
            #expect(rows.count >= 45 && rows.count <= 60, "\(zone.id): \(rows.count) samples")
            for r in rows {
                #expect(layout.set.labels[r] == [zone.id, zone.floor, zone.kind.rawValue])
                let p = layout.positions[r]
                #expect(zone.polygon.contains(p) || zone.polygon.boundaryDistance(to: p) < 1e-6, "\(zone.id): \(p) outside")
            }
            // Uniform over the area: the strip within 1 m of the walls (where a technician's
            // spots, 1 m from the walls, never are) holds its share of the samples.
            let nearWall = rows.filter { zone.polygon.boundaryDistance(to: layout.positions[$0]) < 1 }.count
            #expect(nearWall >= 3, "\(zone.id): \(nearWall) of 60 samples within 1 m of a wall")
        }
    }

    @Test func aSensorNextToThePhoneIsTheStrongest() throws {
        let venue = try VenueFile.load(path: Self.arcadePath)
        var options = LayoutFingerprints.Options()
        options.samplesPerZone = 40
        let layout = try LayoutFingerprints(venue: venue, options: options)
        // s-cafe hangs at (33, 5) inside the cafe store (22–44 × 0–10); inside the cafe, the
        // other two sensors are 10+ m away behind the shopfront, so it should be the strongest
        // in most samples (path loss alone: ≥ 8 dB ahead for most of the store).
        let cafe = try #require(venue.sensors.firstIndex { $0.id == "s-cafe" })
        let rows = layout.set.labels.indices.filter { layout.set.labels[$0][0] == "cafe" }
        let strongest = rows.filter { r in
            let s = layout.set.samples[r].sensors
            return s[cafe].isHeard && s.indices.allSatisfy { !s[$0].isHeard || s[$0].median <= s[cafe].median }
        }.count
        #expect(Double(strongest) / Double(rows.count) > 0.8, "\(strongest) of \(rows.count)")
    }

    /// The whole path a fresh install takes: a model trained from the layout alone, no
    /// calibration walk, localizing a simulated crowd it never saw (seed 5).
    @Test func aModelFromTheLayoutAloneLocalizesASimulatedCrowd() throws {
        try #require(access(mallgateBinary, X_OK) == 0, "swift test builds mallgate next to the tests: \(mallgateBinary)")
        let dir = makeTemporaryDirectory("layout")
        defer { removeTree(dir) }
        let m = "'\(mallgateBinary)'"
        let venue = "'\(Self.arcadePath)'"
        let sim = shell("\(m) simulate --venue \(venue) --out '\(dir)/sim' --duration 10m --visitors 40 --staff 0 --seed 5 --no-calibration-walk 2>&1")
        try #require(sim.status == 0, "\(sim.output)")
        let train = shell("\(m) train --venue \(venue) --from-layout --folds 0 --models mlp --quiet --output '\(dir)/m.mgm' 2>&1")
        try #require(train.status == 0, "\(train.output)")
        let locate = shell("\(m) locate --model '\(dir)/m.mgm' --venue \(venue) '\(dir)/sim' --format csv --no-smoothing > '\(dir)/located.csv'")
        try #require(locate.status == 0)

        // Score each window against the truth row of its device nearest the window's centre.
        let macDevice = Dictionary(csvRows(dir + "/sim/truth-macs.csv").dropFirst().map { ($0[1], $0[0]) }, uniquingKeysWith: { a, _ in a })
        let truthHeader = try #require(csvRows(dir + "/sim/truth-positions.csv").first)
        let col = { (name: String) in truthHeader.firstIndex(of: name)! }
        var truth: [String: [(time: Double, zone: String, floor: String, place: String)]] = [:]
        for r in csvRows(dir + "/sim/truth-positions.csv").dropFirst() {
            truth[r[col("device")], default: []].append((seconds(r[col("time")]), r[col("zone")], r[col("floor")], r[col("place")]))
        }
        var windows = 0, floorRight = 0, inside = 0, storeRight = 0
        for r in csvRows(dir + "/located.csv").dropFirst() {
            guard let device = macDevice[r[0]], let rows = truth[device] else { continue }
            let centre = seconds(r[1]) - 5
            guard let t = rows.min(by: { abs($0.time - centre) < abs($1.time - centre) }), abs(t.time - centre) <= 3.5 else { continue }
            windows += 1
            if t.floor == r[3] { floorRight += 1 }
            if t.place == "inside" {
                inside += 1
                if t.zone == r[2] { storeRight += 1 }
            }
        }
        try #require(windows > 200 && inside > 100, "\(windows) windows, \(inside) inside a store")
        // One floor: every window must be on it. Store top-1 measured 2026-11-29 with exactly
        // this run: 48.0 % of 223 inside windows, per window, no smoothing (also what
        // scripts/eval/compare-truth.py says) — three sensors, one hopping, for six stores make
        // this arcade hard; chance is 1/6 (17 %). The bound sits 8 points under the
        // measurement, far above chance: a synthesizer that put
        // samples in the wrong zone, or a feature mismatch with real windows, falls below it.
        #expect(floorRight == windows)
        #expect(Double(storeRight) / Double(inside) > LayoutFingerprintsTests.storeFloor,
                "store top-1 \(storeRight) of \(inside)")
    }

    static let storeFloor = 0.40

    /// Seconds of an RFC 3339 UTC time `YYYY-MM-DDTHH:MM:SS[.fff]Z` since midnight (one day is enough here).
    func seconds(_ text: String) -> Double {
        let clock = text.split(separator: "T").last!.dropLast()
        let parts = clock.split(separator: ":")
        return Double(parts[0])! * 3600 + Double(parts[1])! * 60 + Double(parts[2])!
    }
}
