// mallgate-sync-bench: the numbers behind BENCHMARKS.md's Sync section (scripts/bench/sync.sh).
//
//   mallgate-sync-bench wire   POSITIONS.csv [WINDOW_SECONDS ...]
//   mallgate-sync-bench ingest sqlite|POSTGRES_URL POSITIONS.csv [WINDOW_SECONDS] [COPIES]
//   mallgate-sync-bench drain  sqlite|POSTGRES_URL POSITIONS.csv [WINDOW_SECONDS] [COPIES]
//
// POSITIONS.csv is the simulator's truth-positions.csv (device,time,floor,zone,…): every probing
// device every 5 s, the cadence of the localizer's windows. Devices get 64-bit ids from SHA-256 of
// their names (as the keyed hash would); confidence is pseudo-random 0…255 per row, the
// incompressible worst case. COPIES repeats the file shifted by its own length (and with fresh
// device ids) to make a longer backlog, e.g. 24 copies of one hour = a day.
import Glibc
import MallGateCollector
import MallGateSync
import MallGateWire

struct Row {
    var device: String
    var timeMs: Int64
    var zone: String
}

func fail(_ message: String) -> Never {
    let text = Array("mallgate-sync-bench: \(message)\n".utf8)
    _ = text.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    exit(2)
}

func readLines(_ path: String) -> [Substring] {
    guard let file = fopen(path, "rb") else { fail("cannot open \(path)") }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let n = fread(&chunk, 1, chunk.count, file)
        if n <= 0 { break }
        bytes.append(contentsOf: chunk[0..<n])
    }
    return String(decoding: bytes, as: UTF8.self).split(separator: "\n")
}

/// "2026-11-29T10:15:10Z" (optionally with fractional seconds) → Unix ms.
func unixMs(_ text: Substring) -> Int64 {
    let digits = text.split(whereSeparator: { "-T:Z.".contains($0) }).map { Int64($0) ?? 0 }
    guard digits.count >= 6 else { fail("unreadable time \(text)") }
    let (year, month, day) = (digits[0], digits[1], digits[2])
    let y = month <= 2 ? year - 1 : year
    let era = (y >= 0 ? y : y - 399) / 400
    let yoe = y - era * 400
    let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
    let days = era * 146_097 + doe - 719_468
    return (days * 86_400 + digits[3] * 3600 + digits[4] * 60 + digits[5]) * 1000
}

func loadPositions(_ path: String) -> [Row] {
    let lines = readLines(path)
    guard let header = lines.first?.split(separator: ",", omittingEmptySubsequences: false).map(String.init),
          let deviceColumn = header.firstIndex(of: "device"), let timeColumn = header.firstIndex(of: "time"),
          let zoneColumn = header.firstIndex(of: "zone")
    else { fail("\(path): expected columns device,time,zone") }
    return lines.dropFirst().map { line in
        let fields = line.split(separator: ",", omittingEmptySubsequences: false)
        return Row(device: String(fields[deviceColumn]), timeMs: unixMs(fields[timeColumn]), zone: String(fields[zoneColumn]))
    }
}

func deviceID(_ name: String, copy: Int) -> UInt64 {
    let hash = ContentHash.sha256(Array("\(copy)/\(name)".utf8))
    return hash.prefix(8).reduce(0) { $0 << 8 | UInt64($1) }
}

/// Batches of `window` seconds of rows (as a gateway sealing one batch per window would), `copies` times over.
func makeBatches(_ rows: [Row], windowSeconds: Int64, copies: Int, venue: String) -> (batches: [OutboxBatch], rows: Int) {
    let zones = Array(Set(rows.map(\.zone))).sorted()
    let zoneIndex = Dictionary(uniqueKeysWithValues: zones.enumerated().map { ($1, $0) })
    let start = rows.map(\.timeMs).min() ?? 0
    let span = (rows.map(\.timeMs).max() ?? 0) - start + 5000
    var batches: [OutboxBatch] = []
    var total = 0
    var sequence: UInt64 = 0
    for copy in 0..<copies {
        var windows: [Int64: [PositionRow]] = [:]
        for row in rows {
            let time = row.timeMs + Int64(copy) * span
            let device = deviceID(row.device, copy: copy)
            // Pseudo-random confidence per row (SplitMix64 finaliser of device and time).
            var z = device ^ UInt64(bitPattern: time)
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            let position = PositionRow(device: device, timeMs: time, zone: zoneIndex[row.zone]!, confidence: UInt8(truncatingIfNeeded: z ^ (z >> 31)))
            windows[(time - start) / (windowSeconds * 1000), default: []].append(position)
        }
        for key in windows.keys.sorted() {
            sequence += 1
            let positions = windows[key]!
            total += positions.count
            batches.append(OutboxBatch(sequence: sequence, venueID: venue, rows: BatchRows(zoneIDs: zones, positions: positions), createdUnixMs: start + key * windowSeconds * 1000))
        }
    }
    return (batches, total)
}

func openStore(_ spec: String, label: String) async throws -> any CollectorStore {
    let store: any CollectorStore
    if spec == "sqlite" {
        var template = Array("/tmp/mallgate-sync-bench-\(label)-XXXXXX".utf8CString)
        let dir = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
        store = try SQLiteCollectorStore(path: dir + "/collector.sqlite")
    } else {
        store = try PostgresCollectorStore(url: spec)
    }
    try await store.migrate()
    return store
}

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

func format(_ value: Double, _ decimals: Int = 2) -> String {
    var scale = 1.0
    for _ in 0..<decimals { scale *= 10 }
    let rounded = (value * scale).rounded() / scale
    return String(rounded)
}

let arguments = CommandLine.arguments
guard arguments.count >= 3 else { fail("usage: see the header of scripts/bench/sync-bench/main.swift") }
let venue = "demo-mall"

switch arguments[1] {
case "wire":
    let rows = loadPositions(arguments[2])
    let windows = arguments.count > 3 ? arguments[3...].map { Int64($0) ?? 60 } : [60, 300, 900]
    print("| batch window | batches | position rows | payload bytes/row | body (gzip) bytes/row |")
    print("|---:|---:|---:|---:|---:|")
    for window in windows {
        let (batches, total) = makeBatches(rows, windowSeconds: window, copies: 1, venue: venue)
        var payloadBytes = 0, bodyBytes = 0
        for batch in batches {
            payloadBytes += batch.payload.count
            let wire = WireBatch(gatewayID: "gw-bench", venueID: venue, sequence: batch.sequence, createdUnixMs: batch.createdUnixMs, payload: batch.payload, contentSHA256: batch.contentSHA256)
            bodyBytes += wire.encodedBody().count
        }
        print("| \(window) s | \(batches.count) | \(total) | \(format(Double(payloadBytes) / Double(total))) | \(format(Double(bodyBytes) / Double(total))) |")
    }

case "ingest", "drain":
    guard arguments.count >= 4 else { fail("usage: \(arguments[1]) sqlite|POSTGRES_URL POSITIONS.csv [WINDOW_SECONDS] [COPIES]") }
    let window = arguments.count > 4 ? Int64(arguments[4]) ?? 60 : 60
    let copies = arguments.count > 5 ? Int(arguments[5]) ?? 1 : 1
    let (batches, total) = makeBatches(loadPositions(arguments[3]), windowSeconds: window, copies: copies, venue: venue)
    let store = try await openStore(arguments[2], label: arguments[1])
    let gateway = "gw-bench-\(UInt32.random(in: 0...UInt32.max))"
    let token = GatewayToken.generate()
    try await store.addGateway(GatewayRecord(name: gateway, venueID: venue, tokenSHA256: GatewayToken.hash(token), createdUnixMs: 0))
    let clock = ContinuousClock()
    let elapsed: Duration
    if arguments[1] == "ingest" {
        // The storage path alone: decoded batches straight into the store, one transaction each.
        let verified = try batches.map { batch in
            VerifiedBatch(gateway: gateway, venueID: venue, sequence: batch.sequence, contentSHA256: ContentHash.hex(batch.contentSHA256),
                          createdUnixMs: batch.createdUnixMs, receivedUnixMs: 0, rows: try BatchRows(payload: batch.payload))
        }
        elapsed = try await clock.measure {
            for batch in verified { _ = try await store.ingest(batch) }
        }
    } else {
        // The whole path: outbox → uploader → HTTP on loopback → collector → store.
        var configuration = CollectorConfiguration()
        configuration.port = 0
        let server = CollectorServer(store: store, configuration: configuration, nowUnixMs: { 0 })
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let running = Task { try await server.run { continuation.yield($0) } }
        var port = 0
        for await bound in ports { port = bound; break }
        let outbox = InMemoryOutbox(batches)
        var upload = UploaderConfiguration(url: "http://127.0.0.1:\(port)", token: token, gatewayID: gateway)
        upload.batchesPerRound = 64
        let uploader = try Uploader(configuration: upload, outbox: outbox, nowUnixMs: { 0 })
        elapsed = await clock.measure { _ = await uploader.drainOnce() }
        let left = await outbox.pendingCount
        if left > 0 { fail("drain left \(left) batches pending: \(await uploader.state.lastError ?? "?")") }
        try await uploader.shutdown()
        running.cancel()
    }
    let counts = try await store.tableCounts()
    await store.close()
    let s = seconds(elapsed)
    print("\(arguments[1]) \(arguments[2] == "sqlite" ? "sqlite" : "postgres"): \(batches.count) batches, \(total) position rows in \(format(s, 3)) s = \(Int(Double(total) / s)) rows/s, \(format(Double(batches.count) / s, 1)) batches/s (collector holds \(counts.positions) rows)")

default:
    fail("unknown mode \(arguments[1]); wire, ingest or drain")
}
