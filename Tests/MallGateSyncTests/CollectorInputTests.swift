import AsyncHTTPClient
import MallGateCollector
import MallGateWire
import NIOCore
import NIOHTTP1
import Testing

/// Bad input to the collector: each request gets the right status and changes nothing it
/// should not (table counts before and after).
@Suite("Collector: bad input gets the right status and changes nothing")
struct CollectorInputTests {
    @Test("SQLite") func sqlite() async throws { try await badInput(.sqlite) }

    @Test("PostgreSQL", .enabled(if: postgresURL != nil, "MALLGATE_TEST_POSTGRES_URL is unset: run `eval \"$(scripts/ci-postgres.sh start)\"` first"))
    func postgres() async throws { try await badInput(.postgres) }

    struct Answer {
        var status: Int
        var ack: BatchAcknowledgement?
    }

    static func post(_ collector: RunningCollector, body: [UInt8], token: String?, gzip: Bool = true) async throws -> Answer {
        var request = HTTPClientRequest(url: collector.url + "/v1/batches")
        request.method = .POST
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if gzip { request.headers.add(name: "Content-Encoding", value: "gzip") }
        request.headers.add(name: "Content-Type", value: "application/x-protobuf")
        request.body = .bytes(ByteBuffer(bytes: body))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        var buffer = try await response.body.collect(upTo: 1 << 20)
        return Answer(status: Int(response.status.code), ack: BatchAcknowledgement(encoded: buffer.readBytes(length: buffer.readableBytes) ?? []))
    }

    func badInput(_ kind: StoreKind) async throws {
        let store = try kind.make("badinput")
        let collector = try await startCollector(store, maxBodyBytes: 64 * 1024)
        defer { Task { await collector.stop(); await store.close() } }
        let tokenA = try await register(store, "gw-a", venue: "demo-mall")
        _ = try await register(store, "gw-b", venue: "other-mall")
        let tokenC = try await register(store, "gw-c", venue: "demo-mall")
        #expect(try await store.revokeGateway(name: "gw-c", atUnixMs: testNowUnixMs) == true)

        var generator = RowGenerator(seed: 11)
        func batch(_ sequence: UInt64, gateway: String = "gw-a", venue: String = "demo-mall", seed: Int = 0) -> WireBatch {
            var g = RowGenerator(seed: sequence * 1000 + UInt64(seed))
            let rows = g.rows(devices: 5, perDevice: 6, startMs: 1_764_000_000_000 + Int64(sequence) * 60_000)
            return WireBatch(gatewayID: gateway, venueID: venue, sequence: sequence, createdUnixMs: 1, payload: rows.encodedPayload())
        }

        // A good batch is stored.
        let first = batch(1)
        let stored = try await Self.post(collector, body: first.encodedBody(), token: tokenA)
        #expect(stored.status == 200)
        #expect(stored.ack?.status == .stored)
        #expect(stored.ack?.rowsStored == UInt64(try BatchRows(payload: first.payload).rowCount))
        let afterFirst = try await store.tableCounts()
        #expect(afterFirst.batches == 1)
        #expect(afterFirst.positions == 30)

        var tampered = batch(2)
        tampered.payload[3] ^= 0x40
        let garbage = (0..<2000).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
        let oversize = Gzip.compress((0..<200_000).map { _ in UInt8(truncatingIfNeeded: generator.next()) }, level: 1)
        let cases: [(String, [UInt8], String?, Bool, Int, String)] = [
            ("garbage body", garbage, tokenA, true, 400, "not valid gzip"),
            ("gzip of garbage", Gzip.compress(garbage), tokenA, true, 400, "not a BatchEnvelope"),
            ("not gzip-encoded", batch(2).encodedEnvelope(), tokenA, false, 415, "Content-Encoding must be gzip"),
            ("wrong token", batch(2).encodedBody(), "mgt_" + String(repeating: "0", count: 64), true, 401, "unknown or revoked token"),
            ("no token", batch(2).encodedBody(), nil, true, 401, "unknown or revoked token"),
            ("revoked token", batch(2, gateway: "gw-c").encodedBody(), tokenC, true, 401, "unknown or revoked token"),
            ("over the size limit", oversize, tokenA, true, 413, "limit"),
            ("another venue", batch(2, venue: "other-mall").encodedBody(), tokenA, true, 403, "registered for venue \"demo-mall\""),
            ("another gateway's name", batch(2, gateway: "gw-b").encodedBody(), tokenA, true, 403, "token belongs to \"gw-a\""),
            ("payload does not match its hash", tampered.encodedBody(), tokenA, true, 400, "content hash"),
            ("sequence 1 again with other content", batch(1, seed: 5).encodedBody(), tokenA, true, 409, "never reuse a sequence"),
        ]
        for (name, body, token, gzip, status, reason) in cases {
            let answer = try await Self.post(collector, body: body, token: token, gzip: gzip)
            #expect(answer.status == status, "\(name)")
            #expect(answer.ack?.status == .rejected, "\(name)")
            #expect(answer.ack?.reason.contains(reason) == true, "\(name): \(answer.ack?.reason ?? "no BatchAck")")
            #expect(try await store.tableCounts() == afterFirst, "\(name) changed the database")
        }

        // A replay answers 200 "already have it" and changes nothing.
        let replay = try await Self.post(collector, body: first.encodedBody(), token: tokenA)
        #expect(replay.status == 200)
        #expect(replay.ack?.status == .duplicate)
        #expect(replay.ack?.reason == "already have it")
        #expect(try await store.tableCounts() == afterFirst)

        // A gap is accepted and recorded; a late arrival inside it shrinks the record.
        let fifth = try await Self.post(collector, body: batch(5).encodedBody(), token: tokenA)
        #expect(fifth.status == 200)
        #expect(fifth.ack?.status == .stored)
        #expect(fifth.ack?.highestSequence == 5)
        #expect(fifth.ack?.reason.contains("2…4") == true)
        #expect(try await store.sequenceGaps(gateway: "gw-a") == [SequenceGap(gateway: "gw-a", firstMissing: 2, lastMissing: 4)])
        let third = try await Self.post(collector, body: batch(3).encodedBody(), token: tokenA)
        #expect(third.ack?.status == .stored)
        #expect(try await store.sequenceGaps(gateway: "gw-a") == [
            SequenceGap(gateway: "gw-a", firstMissing: 2, lastMissing: 2), SequenceGap(gateway: "gw-a", firstMissing: 4, lastMissing: 4),
        ])
        let counts = try await store.tableCounts()
        #expect(counts.batches == 3)
        #expect(counts.positions == 90)
        #expect(counts.sequenceGaps == 2)

        // Metrics saw it all.
        let metrics = String(decoding: collector.server.metrics.render(), as: UTF8.self)
        #expect(metrics.contains("mallgate_collector_batches_total{result=\"stored\"} 3"))
        #expect(metrics.contains("mallgate_collector_batches_total{result=\"duplicate\"} 1"))
        #expect(metrics.contains("mallgate_collector_rejections_total{reason=\"auth\"} 3"))
        #expect(metrics.contains("mallgate_collector_sequence_gaps_total 1"))
    }
}
