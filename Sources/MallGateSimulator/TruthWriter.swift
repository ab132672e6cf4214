internal import MallGateVenue

/// Writes the ground truth next to the captures: positions, visits, MACs, devices,
/// calibration labels and the summary (formats in docs/simulator.md).
struct TruthWriter {
    let simulation: Simulation
    let crowd: Crowd
    let bursts: [ProbeBurst]
    let heardPerBurst: [UInt32]
    let end: Double

    var map: VenueMap { simulation.map }
    var start: Instant { simulation.configuration.start }

    func time(_ seconds: Double, fractional: Bool = true) -> String {
        start.adding(seconds: seconds).rfc3339(fractional: fractional)
    }

    func write(directory: String, passes: [Simulation.SensorPass]) throws(SimulationError) -> SimulationSummary {
        var summary = SimulationSummary()
        summary.start = start
        summary.seed = simulation.configuration.seed
        summary.venueID = simulation.venue.id
        let people = crowd.people
        summary.visitors = people.filter { $0.role == .visitor }.count
        summary.staff = people.filter { $0.role == .staff }.count
        summary.technicians = people.filter { $0.role == .technician }.count
        summary.probingDevices = people.filter(\.probes).count
        summary.bursts = bursts.count
        let models = simulation.configuration.phones.models

        // Devices heard, MACs used.
        var personHeard = [Bool](repeating: false, count: people.count)
        struct MACRow { var person: Int32; var first: Int64; var last: Int64; var model: UInt8; var sent: Int; var heard: Int; var order: Int }
        var macs: [UInt64: MACRow] = [:]
        for (b, burst) in bursts.enumerated() {
            let model = models[Int(burst.model)]
            let frames = model.channels.count * Int(burst.perChannel)
            let last = burst.time + Int64(((Double(model.channels.count) - 1) * model.channelDwell + Double(Int(burst.perChannel) - 1) * model.probeGap) * 1_000_000)
            summary.framesSent += frames
            if heardPerBurst[b] > 0 { personHeard[Int(burst.person)] = true }
            if var row = macs[burst.mac] {
                row.last = last
                row.sent += frames
                row.heard += Int(heardPerBurst[b])
                macs[burst.mac] = row
            } else {
                macs[burst.mac] = MACRow(person: burst.person, first: burst.time, last: last, model: burst.model, sent: frames,
                                         heard: Int(heardPerBurst[b]), order: macs.count)
            }
        }
        summary.devicesHeard = personHeard.filter { $0 }.count
        summary.macs = macs.count
        summary.macsHeard = macs.values.filter { $0.heard > 0 }.count
        summary.randomizedMACs = macs.keys.filter { $0 & 0x0200_0000_0000 != 0 }.count
        summary.randomizedMACsHeard = macs.filter { $0.key & 0x0200_0000_0000 != 0 && $0.value.heard > 0 }.count

        var file = try TextFile(path: directory + "/truth-macs.csv")
        try file.line("device", "mac", "first_seen", "last_seen", "model", "randomized", "frames_sent", "frames_heard")
        for (mac, row) in macs.sorted(by: { $0.value.order < $1.value.order }) {
            try file.line(
                people[Int(row.person)].id, macText(mac), time(Double(row.first) / 1e6), time(Double(row.last) / 1e6),
                models[Int(row.model)].name, mac & 0x0200_0000_0000 != 0 ? "1" : "0", String(row.sent), String(row.heard))
        }
        try file.close()

        file = try TextFile(path: directory + "/truth-devices.csv")
        try file.line("device", "role", "model", "wifi", "randomizes", "tx_offset_db", "arrive", "leave", "heard")
        for (i, p) in people.enumerated() {
            try file.line(
                p.id, p.role.rawValue, p.phone.map { models[$0.model].name } ?? "none", p.wifiOn ? "1" : "0",
                p.phone.map { $0.randomizes ? "1" : "0" } ?? "0", decimal(p.phone?.txOffsetDB ?? 0, 1),
                time(max(p.trajectory.start, 0)), time(min(p.trajectory.end, end)), personHeard[i] ? "1" : "0")
        }
        try file.close()

        // Visits, clipped to the capture.
        file = try TextFile(path: directory + "/truth-visits.csv")
        try file.line("device", "role", "store", "enter", "exit", "complete", "probing")
        for p in people {
            for v in p.trajectory.storeVisits(map: map) where v.enter < end {
                summary.visits += 1
                try file.line(
                    p.id, p.role.rawValue, csvField(map.zones[v.store].id), time(v.enter), time(min(v.exit, end)),
                    v.exit <= end ? "1" : "0", p.probes ? "1" : "0")
            }
        }
        try file.close()

        // Positions of every probing device, every truth interval.
        let step = simulation.configuration.truthInterval
        let outsideOf = outsideZones()
        file = try TextFile(path: directory + "/truth-positions.csv")
        try file.line("device", "time", "floor", "zone", "place", "near_store", "x", "y")
        for p in people where p.probes {
            var t = (max(p.trajectory.start, 0) / step).rounded(.up) * step
            while t <= min(p.trajectory.end, end) {
                let (floor, zone, point) = p.trajectory.position(at: t)
                let kind = map.zones[zone].kind
                let place = kind == .store ? "inside" : outsideOf[zone] ? "outside" : "elsewhere"
                let near = kind == .store ? "" : nearestDoor(zone: zone, point: point).map { csvField(map.zones[$0].id) } ?? ""
                try file.line(p.id, time(t, fractional: false), map.floors[floor].id, csvField(map.zones[zone].id), place, near,
                              decimal(point.x, 2), decimal(point.y, 2))
                summary.positionRows += 1
                t += step
            }
        }
        try file.close()

        file = try TextFile(path: directory + "/labels.csv")
        try file.line("mac", "start", "end", "zone")
        for label in crowd.labels where label.start < end {
            // The technician notes whole seconds: start rounded up, end rounded down.
            try file.line(macText(label.mac), time(label.start.rounded(.up), fractional: false),
                          time(label.end.rounded(.down), fractional: false), csvField(map.zones[label.zone].id))
            summary.labels += 1
        }
        try file.close()

        let sensors = simulation.venue.sensors
        var merged = [[UInt32]](repeating: [UInt32](repeating: 0, count: 129), count: Simulation.distanceBins.count + 1)
        for pass in passes {
            summary.sensors.append(.init(
                id: sensors[pass.sensor].id, file: pass.file, channels: sensors[pass.sensor].channels.channels,
                probeRequests: pass.frames, bytes: pass.bytes, rssiSum: pass.rssiSum,
                rssiMin: pass.frames > 0 ? pass.rssiMin : nil, rssiMax: pass.frames > 0 ? pass.rssiMax : nil))
            for (bin, h) in pass.histogram.enumerated() { for i in h.indices { merged[bin][i] += h[i] } }
        }
        for (bin, h) in merged.enumerated() {
            let label: String
            if bin == Simulation.distanceBins.count {
                label = "other floor"
            } else if bin + 1 < Simulation.distanceBins.count {
                label = "\(Int(Simulation.distanceBins[bin]))–\(Int(Simulation.distanceBins[bin + 1])) m"
            } else {
                label = "≥ \(Int(Simulation.distanceBins[bin])) m"
            }
            let total = h.reduce(0) { $0 + Int($1) }
            var median: Int?
            var quartiles: (Int, Int)?
            if total > 0 {
                func quantile(_ q: Double) -> Int {
                    var seen = 0
                    for (i, c) in h.enumerated() {
                        seen += Int(c)
                        if Double(seen) >= q * Double(total) { return i - 128 }
                    }
                    return 0
                }
                median = quantile(0.5)
                quartiles = (quantile(0.25), quantile(0.75))
            }
            summary.rssiByDistance.append(.init(label: label, frames: total, medianDBm: median,
                                                lowerQuartileDBm: quartiles?.0, upperQuartileDBm: quartiles?.1))
        }
        summary.files = (passes.map(\.file) + ["truth-positions.csv", "truth-visits.csv", "truth-macs.csv", "truth-devices.csv", "labels.csv", "summary.json"]).map { directory + "/" + $0 }
        summary.simulatedSeconds = end
        file = try TextFile(path: directory + "/summary.json")
        try file.write(summary.json())
        try file.close()
        return summary
    }

    /// Zones that are "outside a store": walkways with a door into at least one store.
    func outsideZones() -> [Bool] {
        var out = [Bool](repeating: false, count: map.zones.count)
        for p in map.portals where p.kind == .door {
            let (a, b) = p.zones
            if map.zones[a].kind == .store && map.zones[b].kind != .store { out[b] = true }
            if map.zones[b].kind == .store && map.zones[a].kind != .store { out[a] = true }
        }
        return out
    }

    /// The store whose door is within ``SimulationSummary/nearDoorMetres`` of a point in a walkway, if any.
    func nearestDoor(zone: Int, point: Point) -> Int? {
        var best: (Int, Double)?
        for side in map.zonePortals[zone] where map.portals[side.portal].kind == .door {
            let portal = map.portals[side.portal]
            let store = side.side == 0 ? portal.zones.1 : portal.zones.0
            guard map.zones[store].kind == .store else { continue }
            let d = portal.points.0.distance(to: point)
            if d <= SimulationSummary.nearDoorMetres && d < (best?.1 ?? .infinity) { best = (store, d) }
        }
        return best?.0
    }
}
