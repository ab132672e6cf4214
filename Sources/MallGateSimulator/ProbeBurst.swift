internal import MallGateVenue

/// One scan of one phone: probe requests over the model's channels, a few per channel,
/// a few milliseconds apart, all from one MAC with consecutive sequence numbers.
///
/// Frames inside a burst are numbered across channels: frame `j` goes out on channel
/// `channels[j / perChannel]` at `time + (j / perChannel)·channelDwell + (j % perChannel)·probeGap`
/// with sequence number `sequence + j`.
struct ProbeBurst: Sendable {
    /// Microseconds since the simulation start.
    var time: Int64
    var person: Int32
    var mac: UInt64
    var sequence: UInt16
    var model: UInt8
    var perChannel: UInt8
    /// Index into ``PhoneModel/directedSSIDs``, or -1 for the wildcard SSID.
    var ssid: Int8
    var floor: Int16
    var zone: Int32
    var cell: Int32
    var x: Double
    var y: Double
    var txOffset: Float
}

/// When a phone scans and with which MAC: screen-on periods scan every few seconds,
/// idle periods every few minutes; randomizing phones take a new MAC per scan.
struct PhoneScheduler {
    let configuration: SimulationConfiguration
    let map: VenueMap
    let table: StaticLossTable

    /// The bursts `person` sends between its arrival and departure, clipped to `end` seconds.
    func bursts(person index: Int, _ person: Person, end: Double) -> [ProbeBurst] {
        guard let phone = person.phone, person.wifiOn else { return [] }
        let settings = configuration.phones
        let model = settings.models[phone.model]
        var rng = SimulationRandom(seed: configuration.seed, stream: 0x4_0000_0000 &+ UInt64(index))
        let technician = person.role == .technician
        let staff = person.role == .staff
        let onMean = settings.screenOnMean * (staff ? 0.5 : 1)
        let idleMean = settings.idleMean * (staff ? 3 : 1)
        var screenOn = technician || rng.chance(onMean / (onMean + idleMean))
        var stateEnds = person.trajectory.start + rng.exponential(mean: screenOn ? onMean : idleMean)
        func interval(_ on: Bool, _ rng: inout SimulationRandom) -> Double {
            if technician { return rng.uniform(configuration.calibration.scanInterval.lowerBound, configuration.calibration.scanInterval.upperBound) }
            let median = on ? settings.screenOnScanMedian : settings.idleScanMedian
            return min(max(rng.logNormal(median: median, sigma: settings.scanSigma), median / 4), median * 4)
        }
        var t = person.trajectory.start + rng.unit() * interval(screenOn, &rng)
        let stop = min(person.trajectory.end, end)
        var sequence = UInt16(rng.next() & 0xFFF)
        var out: [ProbeBurst] = []
        var mac = phone.globalMAC
        var macExpires = -Double.infinity
        while t < stop {
            while !technician && t >= stateEnds {
                screenOn.toggle()
                stateEnds += rng.exponential(mean: screenOn ? onMean : idleMean)
            }
            if !phone.randomizes {
                mac = phone.globalMAC
            } else if t >= macExpires {
                // Locally administered (bit 1 of the first octet), unicast (bit 0 clear).
                mac = (rng.next() & 0xFCFF_FFFF_FFFF | 0x0200_0000_0000) & 0xFFFF_FFFF_FFFF
                if !model.continuesSequence { sequence = UInt16(rng.next() & 0xFFF) }
                macExpires = model.macLifetime.map { t + rng.uniform($0.lowerBound, $0.upperBound) } ?? t
            }
            let perChannel = model.probesPerChannel.lowerBound
                + Int(rng.next() % UInt64(model.probesPerChannel.count))
            var ssid: Int8 = -1
            if phone.directed.0 >= 0 && rng.chance(model.directedShare) {
                ssid = rng.chance(0.5) ? phone.directed.0 : phone.directed.1
            }
            let place = person.trajectory.position(at: t)
            out.append(ProbeBurst(
                time: Int64((t * 1_000_000).rounded()), person: Int32(index), mac: mac, sequence: sequence,
                model: UInt8(phone.model), perChannel: UInt8(perChannel), ssid: ssid, floor: Int16(place.floor),
                zone: Int32(place.zone), cell: Int32(table.cell(zone: place.zone, position: place.point)),
                x: place.point.x, y: place.point.y, txOffset: Float(phone.txOffsetDB)))
            sequence = (sequence &+ UInt16(perChannel * model.channels.count)) & 0xFFF
            t += interval(screenOn, &rng)
        }
        return out
    }
}
