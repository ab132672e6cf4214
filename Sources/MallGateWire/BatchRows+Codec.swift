// BatchRows ⇄ BatchPayload (mallgate_sync.proto): the columnar layout that keeps a position
// row near 4 bytes before gzip (docs/sync-protocol.md, "Columnar layout").
internal import SwiftProtobuf

extension BatchRows {
    /// The serialized `BatchPayload`: rows sorted by (device, time), one packed column per field.
    ///
    /// Deterministic for the same rows in any order, so a batch re-sealed after a crash hashes
    /// the same.
    /// - Precondition: every zone/store index is inside `zoneIDs`, every visit ends no earlier than
    ///   it starts (the store builds these from its own tables).
    public func encodedPayload() -> [UInt8] {
        var payload = Mallgate_Sync_V1_BatchPayload()
        payload.zoneIds = zoneIDs
        if !positions.isEmpty { payload.positions = Self.positionColumns(positions, zoneCount: zoneIDs.count) }
        if !visits.isEmpty { payload.visits = Self.visitColumns(visits, zoneCount: zoneIDs.count) }
        payload.storeCounts = storeCounts.sorted(by: Self.countOrder).map { row in
            precondition(row.store >= 0 && row.store < zoneIDs.count, "store index \(row.store) outside the zone table")
            var count = Mallgate_Sync_V1_StoreCount()
            count.store = UInt32(row.store)
            count.intervalStartMs = row.intervalStartMs
            count.intervalSeconds = row.intervalSeconds
            count.footfall = row.footfall
            count.passersBy = row.passersBy
            count.dwellSecondsSum = row.dwellSecondsSum
            count.dwellHistogram = row.dwellHistogram
            return count
        }
        payload.healthEvents = healthEvents.sorted(by: Self.eventOrder).map { row in
            var event = Mallgate_Sync_V1_HealthEvent()
            event.timeMs = row.timeMs
            event.sensor = row.sensor
            event.kind = row.kind
            event.message = row.message
            event.value = row.value
            return event
        }
        // Serializing a message built from plain fields cannot fail (no Any, no required fields).
        return try! payload.serializedBytes()
    }

    /// Decodes and checks a serialized `BatchPayload`.
    /// - Throws: `WireError` if the bytes are not a BatchPayload, or its columns disagree in length,
    ///   point outside the zone table, or overflow a timestamp.
    public init(payload bytes: [UInt8]) throws(WireError) {
        let payload: Mallgate_Sync_V1_BatchPayload
        do {
            payload = try Mallgate_Sync_V1_BatchPayload(serializedBytes: bytes)
        } catch {
            throw WireError(.protobuf("payload is not a BatchPayload (\(error))"))
        }
        let zoneCount = payload.zoneIds.count
        func zoneIndex(_ value: UInt32, _ what: String) throws(WireError) -> Int {
            guard Int(value) < zoneCount else {
                throw WireError(.invalid("\(what) index \(value) is outside the zone table (\(zoneCount) zones)"))
            }
            return Int(value)
        }

        var positions: [PositionRow] = []
        if payload.hasPositions {
            let c = payload.positions
            let rows = c.timeDeltaMs.count
            guard c.zone.count == rows, c.confidence.count == rows else {
                throw WireError(.invalid("positions: columns differ in length (time \(rows), zone \(c.zone.count), confidence \(c.confidence.count))"))
            }
            let runs = try Self.deviceRuns(devices: c.devices, rowsPerDevice: c.rowsPerDevice, rows: rows, what: "positions")
            positions.reserveCapacity(rows)
            var row = 0
            for (device, count) in runs {
                var time = c.baseTimeMs
                for _ in 0..<count {
                    time = try Self.advance(time, by: c.timeDeltaMs[row], what: "positions row \(row)")
                    guard c.confidence[row] <= 255 else {
                        throw WireError(.invalid("positions row \(row): confidence \(c.confidence[row]) is over 255"))
                    }
                    positions.append(PositionRow(
                        device: device, timeMs: time, zone: try zoneIndex(c.zone[row], "positions row \(row): zone"),
                        confidence: UInt8(c.confidence[row])))
                    row += 1
                }
            }
        }

        var visits: [VisitRow] = []
        if payload.hasVisits {
            let c = payload.visits
            let rows = c.enterDeltaMs.count
            guard c.durationMs.count == rows, c.store.count == rows else {
                throw WireError(.invalid("visits: columns differ in length (enter \(rows), duration \(c.durationMs.count), store \(c.store.count))"))
            }
            let runs = try Self.deviceRuns(devices: c.devices, rowsPerDevice: c.rowsPerDevice, rows: rows, what: "visits")
            visits.reserveCapacity(rows)
            var row = 0
            for (device, count) in runs {
                var enter = c.baseTimeMs
                for _ in 0..<count {
                    enter = try Self.advance(enter, by: c.enterDeltaMs[row], what: "visits row \(row)")
                    let exit = try Self.advance(enter, by: c.durationMs[row], what: "visits row \(row) exit")
                    visits.append(VisitRow(
                        device: device, store: try zoneIndex(c.store[row], "visits row \(row): store"), enterMs: enter, exitMs: exit))
                    row += 1
                }
            }
        }

        var counts: [StoreCountRow] = []
        for (index, count) in payload.storeCounts.enumerated() {
            counts.append(StoreCountRow(
                store: try zoneIndex(count.store, "store_counts[\(index)]: store"), intervalStartMs: count.intervalStartMs,
                intervalSeconds: count.intervalSeconds, footfall: count.footfall, passersBy: count.passersBy,
                dwellSecondsSum: count.dwellSecondsSum, dwellHistogram: count.dwellHistogram))
        }
        let events = payload.healthEvents.map {
            HealthEventRow(timeMs: $0.timeMs, sensor: $0.sensor, kind: $0.kind, message: $0.message, value: $0.value)
        }
        self.init(zoneIDs: payload.zoneIds, positions: positions, visits: visits, storeCounts: counts, healthEvents: events)
    }

    // MARK: - Columns

    private static func positionColumns(_ rows: [PositionRow], zoneCount: Int) -> Mallgate_Sync_V1_PositionColumns {
        let sorted = rows.sorted { ($0.device, $0.timeMs, $0.zone, $0.confidence) < ($1.device, $1.timeMs, $1.zone, $1.confidence) }
        var columns = Mallgate_Sync_V1_PositionColumns()
        let base = sorted.lazy.map(\.timeMs).min()!
        columns.baseTimeMs = base
        columns.timeDeltaMs.reserveCapacity(sorted.count)
        columns.zone.reserveCapacity(sorted.count)
        columns.confidence.reserveCapacity(sorted.count)
        var previousTime = base
        for (index, row) in sorted.enumerated() {
            precondition(row.zone >= 0 && row.zone < zoneCount, "position zone index \(row.zone) outside the zone table")
            if index == 0 || sorted[index - 1].device != row.device {
                columns.devices.append(row.device)
                columns.rowsPerDevice.append(0)
                previousTime = base
            }
            columns.rowsPerDevice[columns.rowsPerDevice.count - 1] += 1
            // Sorted by time within a device and base is the minimum, so the difference is ≥ 0;
            // it fits in UInt64 because both are Int64.
            columns.timeDeltaMs.append(UInt64(bitPattern: row.timeMs &- previousTime))
            previousTime = row.timeMs
            columns.zone.append(UInt32(row.zone))
            columns.confidence.append(UInt32(row.confidence))
        }
        return columns
    }

    private static func visitColumns(_ rows: [VisitRow], zoneCount: Int) -> Mallgate_Sync_V1_VisitColumns {
        let sorted = rows.sorted { ($0.device, $0.enterMs, $0.exitMs, $0.store) < ($1.device, $1.enterMs, $1.exitMs, $1.store) }
        var columns = Mallgate_Sync_V1_VisitColumns()
        let base = sorted.lazy.map(\.enterMs).min()!
        columns.baseTimeMs = base
        var previousEnter = base
        for (index, row) in sorted.enumerated() {
            precondition(row.store >= 0 && row.store < zoneCount, "visit store index \(row.store) outside the zone table")
            precondition(row.exitMs >= row.enterMs, "visit ends before it starts")
            if index == 0 || sorted[index - 1].device != row.device {
                columns.devices.append(row.device)
                columns.rowsPerDevice.append(0)
                previousEnter = base
            }
            columns.rowsPerDevice[columns.rowsPerDevice.count - 1] += 1
            columns.enterDeltaMs.append(UInt64(bitPattern: row.enterMs &- previousEnter))
            columns.durationMs.append(UInt64(bitPattern: row.exitMs &- row.enterMs))
            previousEnter = row.enterMs
            columns.store.append(UInt32(row.store))
        }
        return columns
    }

    private static func deviceRuns(devices: [UInt64], rowsPerDevice: [UInt32], rows: Int, what: String) throws(WireError) -> [(UInt64, Int)] {
        guard devices.count == rowsPerDevice.count else {
            throw WireError(.invalid("\(what): \(devices.count) devices but \(rowsPerDevice.count) run lengths"))
        }
        var total = 0
        for count in rowsPerDevice { total += Int(count) }
        guard total == rows else {
            throw WireError(.invalid("\(what): run lengths add up to \(total) rows, columns hold \(rows)"))
        }
        return Array(zip(devices, rowsPerDevice.map { Int($0) }))
    }

    private static func advance(_ time: Int64, by delta: UInt64, what: String) throws(WireError) -> Int64 {
        guard delta <= UInt64(Int64.max) else { throw WireError(.invalid("\(what): time delta \(delta) ms is out of range")) }
        let (sum, overflow) = time.addingReportingOverflow(Int64(delta))
        guard !overflow else { throw WireError(.invalid("\(what): time overflows")) }
        return sum
    }

    private static func countOrder(_ a: StoreCountRow, _ b: StoreCountRow) -> Bool {
        (a.intervalStartMs, a.store, a.intervalSeconds, a.footfall, a.passersBy, a.dwellSecondsSum)
            < (b.intervalStartMs, b.store, b.intervalSeconds, b.footfall, b.passersBy, b.dwellSecondsSum)
    }

    private static func eventOrder(_ a: HealthEventRow, _ b: HealthEventRow) -> Bool {
        (a.timeMs, a.sensor, a.kind, a.message, a.value) < (b.timeMs, b.sensor, b.kind, b.message, b.value)
    }
}
