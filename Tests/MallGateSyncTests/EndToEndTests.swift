import MallGateCollector
import MallGateSync
import MallGateWire
import Testing

/// The uploader drains an in-memory outbox into a real collector on loopback: every batch
/// arrives once, rows exactly as sealed, refused batches parked with the collector's reason.
@Suite("Sync end to end: uploader → collector on loopback")
struct EndToEndTests {
    static let venue = "demo-mall"

    /// `count` batches of deterministic rows, sequences 1…count.
    static func batches(_ count: Int, seed: UInt64, devices: Int = 20, perDevice: Int = 12) -> [OutboxBatch] {
        var generator = RowGenerator(seed: seed)
        return (1...count).map { sequence in
            let rows = generator.rows(devices: devices, perDevice: perDevice, startMs: 1_764_000_000_000 + Int64(sequence) * 60_000)
            return OutboxBatch(sequence: UInt64(sequence), venueID: venue, rows: rows, createdUnixMs: 1_764_000_000_000 + Int64(sequence) * 60_000)
        }
    }

    /// What the collector must hold for these batches: every position, zone index resolved to its id.
    static func expectedPositions(_ batches: [OutboxBatch], gateway: String) throws -> [StoredPosition] {
        try batches.flatMap { batch in
            let rows = try BatchRows(payload: batch.payload)
            return rows.positions.map {
                StoredPosition(gateway: gateway, sequence: batch.sequence, device: $0.device, timeMs: $0.timeMs, zone: rows.zoneIDs[$0.zone], confidence: $0.confidence)
            }
        }
    }

    /// Short timeouts make the fault tests' stalls quick; the exactly-once tests pass generous
    /// ones, because on a loaded CI machine (every suite in parallel on two cores) a first
    /// request can take seconds, and one `drainOnce` must deliver everything there.
    static func configuration(url: String, token: String, gateway: String, timeoutSeconds: Int64 = 2) -> UploaderConfiguration {
        var configuration = UploaderConfiguration(url: url, token: token, gatewayID: gateway)
        configuration.batchesPerRound = 4
        configuration.backoff = Backoff(initial: .milliseconds(20), maximum: .seconds(2))
        configuration.idlePollInterval = .milliseconds(20)
        configuration.connectTimeout = .seconds(timeoutSeconds)
        configuration.uploadTimeout = .seconds(timeoutSeconds)
        configuration.responseTimeout = .seconds(timeoutSeconds)
        configuration.requestTimeout = .seconds(timeoutSeconds + 1)
        return configuration
    }

    @Test("SQLite: every batch exactly once; a replay is a duplicate; refused batches parked")
    func sqliteExactlyOnce() async throws { try await exactlyOnce(.sqlite) }

    @Test("PostgreSQL: every batch exactly once; a replay is a duplicate; refused batches parked",
          .enabled(if: postgresURL != nil, "MALLGATE_TEST_POSTGRES_URL is unset: run `eval \"$(scripts/ci-postgres.sh start)\"` first"))
    func postgresExactlyOnce() async throws { try await exactlyOnce(.postgres) }

    func exactlyOnce(_ kind: StoreKind) async throws {
        let store = try kind.make("e2e")
        let collector = try await startCollector(store)
        let token = try await register(store, "gw-e2e", venue: Self.venue)
        var batches = Self.batches(30, seed: 21)
        // Batch 31 names another venue: the collector refuses it, the uploader parks it and goes on.
        var generator = RowGenerator(seed: 99)
        batches.append(OutboxBatch(sequence: 31, venueID: "elsewhere", rows: generator.rows(devices: 2, perDevice: 2, startMs: 0), createdUnixMs: 0))
        batches += Self.batches(33, seed: 21).suffix(2)  // sequences 32, 33
        let outbox = InMemoryOutbox(batches)
        let uploader = try Uploader(
            configuration: Self.configuration(url: collector.url, token: token, gateway: "gw-e2e", timeoutSeconds: 30), outbox: outbox, nowUnixMs: { 0 })

        #expect(await uploader.drainOnce() == .drained)
        let delivered = batches.filter { $0.venueID == Self.venue }
        #expect(await outbox.sequences(in: .delivered) == delivered.map(\.sequence))
        let parked = await outbox.parked()
        #expect(parked.map(\.sequence) == [31])
        #expect(parked.first?.reason.hasPrefix("HTTP 403: gateway gw-e2e is registered for venue \"demo-mall\"") == true, "\(parked)")
        #expect(sortedStored(try await store.positions(venueID: Self.venue)) == sortedStored(try Self.expectedPositions(delivered, gateway: "gw-e2e")))
        let counts = try await store.tableCounts()
        #expect(counts.batches == delivered.count)

        // The gateway restarts and resends what it believes pending (lost acknowledgements): duplicates, no change.
        for batch in delivered.prefix(3) { await outbox.enqueue(batch) }
        #expect(await uploader.drainOnce() == .drained)
        #expect(await uploader.state.duplicates == 3)
        #expect(try await store.tableCounts() == counts)

        // Revoked: the queue waits (401 is not the batch's fault), nothing is parked.
        #expect(try await store.revokeGateway(name: "gw-e2e", atUnixMs: testNowUnixMs))
        await outbox.enqueue(Self.batches(34, seed: 21)[33])
        guard case .retryLater(let delay, let reason) = await uploader.drainOnce() else {
            Issue.record("a revoked token must not drain")
            return
        }
        #expect(delay == .seconds(2))
        #expect(reason.contains("HTTP 401"))
        #expect(await outbox.pendingCount == 1)
        #expect(await outbox.parked().count == 1)

        try await uploader.shutdown()
        await collector.stop()
        await store.close()
    }

    @Test("Faults between gateway and collector: drops mid-upload, stalls, 500/429/503, resets, lost answers — no loss, no duplicates")
    func sqliteThroughFaults() async throws { try await throughFaults(.sqlite) }

    @Test("Faults between gateway and PostgreSQL collector — no loss, no duplicates",
          .enabled(if: postgresURL != nil, "MALLGATE_TEST_POSTGRES_URL is unset: run `eval \"$(scripts/ci-postgres.sh start)\"` first"))
    func postgresThroughFaults() async throws { try await throughFaults(.postgres) }

    func throughFaults(_ kind: StoreKind) async throws {
        let store = try kind.make("faults")
        let collector = try await startCollector(store)
        let token = try await register(store, "gw-faults", venue: Self.venue)
        let script: [Fault] = [
            .dropAfterRequestBytes(200), .pass, .respond(500, retryAfter: nil), .dropResponse, .respond(429, retryAfter: "1"),
            .reset, .pass, .stall, .dropResponse, .respond(503, retryAfter: "1"), .dropAfterRequestBytes(1), .pass,
            .dropResponse, .dropResponse, .reset, .respond(502, retryAfter: nil), .stall, .pass, .dropAfterRequestBytes(600),
        ]
        let proxy = try await FaultProxy(targetPort: collector.port, script: script)
        let batches = Self.batches(40, seed: 5)
        let outbox = InMemoryOutbox(batches)
        var configuration = Self.configuration(url: proxy.url, token: token, gateway: "gw-faults")
        configuration.keepAlive = false  // one connection per attempt, so every scripted fault meets a batch
        let uploader = try Uploader(configuration: configuration, outbox: outbox, nowUnixMs: { 0 })

        let running = Task { await uploader.run() }
        // Wait for the backlog to drain (bounded: a hang fails the test instead of blocking CI).
        var waited = 0
        while await outbox.pendingCount > 0, waited < 1200 {
            try await Task.sleep(for: .milliseconds(50))
            waited += 1
        }
        running.cancel()
        await running.value

        #expect(await outbox.pendingCount == 0, "backlog not drained; faults applied: \(proxy.script.applied)")
        #expect(await outbox.parked().isEmpty)
        #expect(proxy.script.remaining == 0, "every scripted fault met an upload")
        #expect(sortedStored(try await store.positions(venueID: Self.venue)) == sortedStored(try Self.expectedPositions(batches, gateway: "gw-faults")))
        let counts = try await store.tableCounts()
        #expect(counts.batches == batches.count)
        #expect(counts.sequenceGaps == 0)
        let state = await uploader.state
        // Each lost answer means the collector stored a batch the gateway resent: a duplicate, not a second copy.
        #expect(state.duplicates >= 1)
        #expect(state.failedAttempts >= script.filter { $0 != .pass && $0 != .dropResponse }.count)

        try await uploader.shutdown()
        await proxy.close()
        await collector.stop()
        await store.close()
    }
}

func sortedStored(_ rows: [StoredPosition]) -> [StoredPosition] {
    rows.sorted { ($0.gateway, $0.device, $0.timeMs, $0.sequence, $0.zone, $0.confidence) < ($1.gateway, $1.device, $1.timeMs, $1.sequence, $1.zone, $1.confidence) }
}
