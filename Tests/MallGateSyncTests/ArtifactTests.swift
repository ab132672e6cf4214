import AsyncHTTPClient
import Glibc
import MallGateCollector
import MallGateState
import MallGateSync
import MallGateTestSupport
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization
import Testing

/// Models and venues published at the collector and pulled by gateways (docs/sync-protocol.md,
/// "Artifacts"), against SQLite and, when CI started one, PostgreSQL.
@Suite("Artifacts: publish, serve, pull")
struct ArtifactTests {
    /// Two models of the small arcade (different bytes, same layout), and its venue file.
    struct Files: Sendable {
        let venue: [UInt8]
        let modelA: [UInt8]
        let modelB: [UInt8]
    }

    static let files = SharedFixture<Files?> {
        let directory = makeTemporaryDirectory("artifact-files")
        let venue = packageRoot + "/firmware-configs/venues/small-arcade.json"
        for (samples, name) in [(30, "a"), (20, "b")] {
            let run = shell("\(sh(mallgateBinary)) train --venue \(sh(venue)) --from-layout --layout-samples \(samples) --models knn --folds 0 --output \(sh(directory + "/\(name).mgm")) --quiet 2>&1")
            guard run.status == 0 else { print(run.output); return nil }
        }
        guard let v = readFile(venue), let a = readFile(directory + "/a.mgm"), let b = readFile(directory + "/b.mgm"), a != b else { return nil }
        return Files(venue: v, modelA: a, modelB: b)
    }

    /// `sha256sum` of `bytes`: an implementation independent of the collector's and the store's.
    static func sha256sum(_ bytes: [UInt8]) -> String {
        let path = makeTemporaryDirectory("sha") + "/bytes"
        writeFile(path, bytes)
        return String(shell("sha256sum \(sh(path))").output.prefix(64))
    }

    struct Answer {
        var status: UInt
        var headers: [String: String]
        var body: [UInt8]
    }

    static func get(_ url: String, token: String?, ifNoneMatch: String? = nil) async throws -> Answer {
        var request = HTTPClientRequest(url: url)
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let ifNoneMatch { request.headers.add(name: "If-None-Match", value: ifNoneMatch) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        var body = try await response.body.collect(upTo: 1 << 26)
        var headers: [String: String] = [:]
        for h in response.headers { headers[h.name.lowercased()] = h.value }
        return Answer(status: response.status.code, headers: headers, body: body.readBytes(length: body.readableBytes) ?? [])
    }

    @Test("GET /v1/artifacts: 404, 200 with ETag and checksum, 304, 401; the newest publication wins", arguments: availableStoreKinds)
    func servesTheNewestArtifactForTheGateway(kind: StoreKind) async throws {
        let files = try #require(await Self.files.value, "training the fixture models failed")
        let store = try #require(try kind.make("artifact-serve") as? any CollectorArtifactStore)
        let collector = try await startCollector(store)
        defer { Task { await collector.stop() } }
        let token = try await register(store, "gw-1", venue: "small-arcade")
        let otherToken = try await register(store, "gw-2", venue: "small-arcade")
        let url = collector.url + "/v1/artifacts/model"

        #expect(try await Self.get(url, token: token).status == 404)
        #expect(try await Self.get(url, token: "mgt_wrong").status == 401)
        #expect(try await Self.get(collector.url + "/v1/artifacts/firmware", token: token).status == 404)

        try await store.publishArtifact(PublishedArtifact(scope: .venue("small-arcade"), kind: .model, venueID: "small-arcade", body: files.modelA, publishedUnixMs: 1000))
        let shaA = Self.sha256sum(files.modelA)
        let a = try await Self.get(url, token: token)
        #expect(a.status == 200)
        #expect(a.body == files.modelA)
        #expect(a.headers["etag"] == "\"\(shaA)\"")
        #expect(a.headers["x-mallgate-sha256"] == shaA)
        #expect(a.headers["x-mallgate-venue"] == "small-arcade")
        #expect(try await Self.get(url, token: token, ifNoneMatch: "\"\(shaA)\"").status == 304)
        #expect(try await Self.get(url, token: token, ifNoneMatch: "\"0000\", W/\"\(shaA)\"").status == 304)
        #expect(try await Self.get(url, token: token, ifNoneMatch: "\"0000\"").status == 200)

        // Published later for gw-1 alone: gw-1 gets B, gw-2 still A.
        try await store.publishArtifact(PublishedArtifact(scope: .gateway("gw-1"), kind: .model, venueID: "small-arcade", body: files.modelB, publishedUnixMs: 2000))
        #expect(try await Self.get(url, token: token).body == files.modelB)
        #expect(try await Self.get(url, token: otherToken).body == files.modelA)
        // A newer venue-wide publication replaces both.
        try await store.publishArtifact(PublishedArtifact(scope: .venue("small-arcade"), kind: .model, venueID: "small-arcade", body: files.modelB, publishedUnixMs: 3000))
        #expect(try await Self.get(url, token: otherToken).body == files.modelB)
        // Venues are served beside models.
        #expect(try await Self.get(collector.url + "/v1/artifacts/venue", token: token).status == 404)
        try await store.publishArtifact(PublishedArtifact(scope: .venue("small-arcade"), kind: .venue, venueID: "small-arcade", body: files.venue, publishedUnixMs: 4000))
        let venue = try await Self.get(collector.url + "/v1/artifacts/venue", token: token)
        #expect(venue.body == files.venue)
        #expect(venue.headers["content-type"] == "application/json")
        // A revoked gateway gets nothing.
        #expect(try await store.revokeGateway(name: "gw-1", atUnixMs: 5000))
        #expect(try await Self.get(url, token: token).status == 401)
    }

    @Test("publishing checks the file: corrupt, wrong venue, not a venue")
    func publishRefusesWhatCannotRun() async throws {
        let files = try #require(await Self.files.value, "training the fixture models failed")
        #expect(try ArtifactPublishing.check(.model, bytes: files.modelA, fileName: "a.mgm", expectedVenue: "small-arcade") == "small-arcade")
        #expect(try ArtifactPublishing.check(.venue, bytes: files.venue, fileName: "v.json", expectedVenue: "small-arcade") == "small-arcade")
        var corrupt = files.modelA
        corrupt[corrupt.count / 2] ^= 1
        let crc = #expect(throws: CollectorError.self) { try ArtifactPublishing.check(.model, bytes: corrupt, fileName: "a.mgm", expectedVenue: "small-arcade") }
        #expect(crc?.description.contains("checksum mismatch") == true)
        let wrong = #expect(throws: CollectorError.self) { try ArtifactPublishing.check(.model, bytes: files.modelA, fileName: "a.mgm", expectedVenue: "demo-mall") }
        #expect(wrong?.description.contains("is for venue \"small-arcade\"") == true)
        #expect(throws: CollectorError.self) { try ArtifactPublishing.check(.venue, bytes: Array("{}".utf8), fileName: "v.json", expectedVenue: "small-arcade") }
    }

    @Test("mallgate-collector publish: stores for a gateway or venue, refuses unknown gateways and foreign files")
    func publishCommand() async throws {
        let files = try #require(await Self.files.value, "training the fixture models failed")
        let dir = makeTemporaryDirectory("publish-cli")
        let database = dir + "/collector.sqlite"
        let binary = CollectorCLITests.binary
        #expect(shell("\(sh(binary)) gateway add gw-1 --venue small-arcade --database \(sh(database))").status == 0)
        writeFile(dir + "/a.mgm", files.modelA)
        let published = shell("\(sh(binary)) publish --gateway gw-1 \(sh(dir + "/a.mgm")) --database \(sh(database)) 2>&1")
        #expect(published.status == 0, "\(published.output)")
        #expect(published.output == "published model \(Self.sha256sum(files.modelA)) for gateway gw-1 (\(files.modelA.count) bytes)\n")
        let unknown = shell("\(sh(binary)) publish --gateway gw-9 \(sh(dir + "/a.mgm")) --database \(sh(database)) 2>&1")
        #expect(unknown.status != 0)
        #expect(unknown.output.contains("no active gateway named gw-9"), "\(unknown.output)")
        let foreign = shell("\(sh(binary)) publish --venue demo-mall \(sh(dir + "/a.mgm")) --database \(sh(database)) 2>&1")
        #expect(foreign.status != 0)
        #expect(foreign.output.contains("is for venue \"small-arcade\""), "\(foreign.output)")
        let both = shell("\(sh(binary)) publish --venue small-arcade --gateway gw-1 \(sh(dir + "/a.mgm")) --database \(sh(database)) 2>&1")
        #expect(both.status != 0)
        let store = try SQLiteCollectorStore(path: database)
        try await store.migrate()
        let stored = try await store.latestArtifact(.model, gateway: "gw-1", venueID: "small-arcade", withBody: true)
        #expect(stored?.body == files.modelA)
        #expect(stored?.scope == .gateway("gw-1"))
    }

    @Test("ArtifactPuller: installs what verifies, refuses the rest once, never downloads it again", arguments: availableStoreKinds)
    func pullerInstallsAndRefusesOnce(kind: StoreKind) async throws {
        let files = try #require(await Self.files.value, "training the fixture models failed")
        let store = try #require(try kind.make("artifact-pull") as? any CollectorArtifactStore)
        let collector = try await startCollector(store)
        defer { Task { await collector.stop() } }
        let token = try await register(store, "gw-1", venue: "small-arcade")
        let shaA = Self.sha256sum(files.modelA), shaB = Self.sha256sum(files.modelB)

        let state = makeTemporaryDirectory("puller-state")
        let artifacts = ArtifactStore(stateDirectory: state)
        // The gateway accepts model A and refuses B (the real checks are the daemon's: ArtifactPullTests).
        let verified = Mutex<[String]>([])
        let puller = try ArtifactPuller(
            configuration: ArtifactPullerConfiguration(url: collector.url + "/v1", token: token), store: artifacts, httpClient: HTTPClient.shared,
            inUse: { [:] },
            verify: { venue, model in
                let sha = ArtifactStore.sha256Hex(model ?? [])
                verified.withLock { $0.append(sha) }
                guard venue == nil, sha != shaB else { throw PullRefusal(description: "trained for another layout") }
                return (nil, ArtifactIdentity(venueID: "small-arcade", layoutHash: 7))
            },
            nowUnixMs: { testNowUnixMs })

        var result = await puller.pollOnce()
        #expect(result.installed.isEmpty && result.refused.isEmpty && result.failures.isEmpty, "\(result)")

        try await store.publishArtifact(PublishedArtifact(scope: .gateway("gw-1"), kind: .model, venueID: "small-arcade", body: files.modelA, publishedUnixMs: 1))
        result = await puller.pollOnce()
        #expect(result.installed.map(\.manifest.sha256) == [shaA])
        #expect(try artifacts.current(.model)?.manifest.sha256 == shaA)
        #expect(try artifacts.current(.model)?.manifest.origin == collector.url + "/v1/artifacts/model")
        #expect(readFile(try #require(try artifacts.current(.model)).path) == files.modelA)
        // Installed: the next poll is a 304.
        result = await puller.pollOnce()
        #expect(result.installed.isEmpty)
        #expect(await puller.state.downloads == 1)

        try await store.publishArtifact(PublishedArtifact(scope: .gateway("gw-1"), kind: .model, venueID: "small-arcade", body: files.modelB, publishedUnixMs: 2))
        result = await puller.pollOnce()
        #expect(result.refused == [.init(kind: .model, sha256: shaB, reason: "trained for another layout")])
        #expect(try artifacts.current(.model)?.manifest.sha256 == shaA)
        for _ in 0..<3 {
            result = await puller.pollOnce()
            #expect(result.refused.isEmpty && result.installed.isEmpty && result.failures.isEmpty, "\(result)")
        }
        let pulled = await puller.state
        #expect(pulled.downloads == 2)
        #expect(pulled.refused == 1)
        #expect(pulled.installed == 1)
        #expect(verified.withLock { $0 } == [shaA, shaB])

        // Rolled back on site: A is declined and not pulled again even when republished.
        try artifacts.rollback(.model)
        try await store.publishArtifact(PublishedArtifact(scope: .gateway("gw-1"), kind: .model, venueID: "small-arcade", body: files.modelA, publishedUnixMs: 3))
        result = await puller.pollOnce()
        #expect(result.installed.isEmpty)
        #expect(try artifacts.current(.model) == nil)
        #expect(await puller.state.downloads == 2)
    }

    @Test("ArtifactPuller: a body that does not match its checksum header is not installed, is tried again, and is refused after three in a row")
    func checksumMismatchIsAFailureNotAnInstall() async throws {
        let files = try #require(await Self.files.value, "training the fixture models failed")
        // A one-answer HTTP server whose X-MallGate-SHA256 names other bytes than it sends, to
        // every request (it ignores If-None-Match), for both kinds.
        let server = try await OneAnswerServer(
            head: "HTTP/1.1 200 OK\r\nX-MallGate-SHA256: \(Self.sha256sum(files.modelB))\r\nContent-Length: \(files.modelA.count)\r\nConnection: close\r\n\r\n",
            body: files.modelA)
        defer { Task { await server.close() } }
        let state = makeTemporaryDirectory("puller-mismatch")
        let artifacts = ArtifactStore(stateDirectory: state)
        let puller = try ArtifactPuller(
            configuration: ArtifactPullerConfiguration(url: server.url, token: "t"), store: artifacts, httpClient: HTTPClient.shared,
            inUse: { [:] }, verify: { _, _ in (nil, ArtifactIdentity(venueID: "small-arcade", layoutHash: 1)) }, nowUnixMs: { 0 })
        // A damaged transfer is a failure, tried again at the next poll…
        for poll in 1..<ArtifactPuller.damagedLimit {
            let result = await puller.pollOnce()
            #expect(result.installed.isEmpty && result.refused.isEmpty)
            #expect(result.failures.filter { $0.contains("checksum mismatch") }.count == 2, "poll \(poll): \(result)")
        }
        // …until the same claimed checksum failed three times in a row: then it is refused, once per kind,
        let third = await puller.pollOnce()
        #expect(third.failures.isEmpty, "\(third)")
        #expect(Set(third.refused.map(\.kind)) == [.model, .venue] && third.refused.allSatisfy { $0.sha256 == Self.sha256sum(files.modelB) && $0.reason.contains("checksum mismatch") }, "\(third)")
        // and neither a failure nor a refusal again.
        let later = await puller.pollOnce()
        #expect(later.failures.isEmpty && later.refused.isEmpty && later.installed.isEmpty, "\(later)")
        #expect(await puller.state.refused == 2)
        #expect(try artifacts.current(.model) == nil)
        #expect(try artifacts.current(.venue) == nil)
    }

    @Test("ArtifactPuller: an artifact over the size limit is abandoned")
    func oversizedArtifactIsAbandoned() async throws {
        let files = try #require(await Self.files.value, "training the fixture models failed")
        let store = try StoreKind.sqlite.make("artifact-size") as! any CollectorArtifactStore
        let collector = try await startCollector(store)
        defer { Task { await collector.stop() } }
        let token = try await register(store, "gw-1", venue: "small-arcade")
        try await store.publishArtifact(PublishedArtifact(scope: .gateway("gw-1"), kind: .model, venueID: "small-arcade", body: files.modelA, publishedUnixMs: 1))
        var configuration = ArtifactPullerConfiguration(url: collector.url, token: token)
        configuration.maxBytes = files.modelA.count - 1
        let artifacts = ArtifactStore(stateDirectory: makeTemporaryDirectory("puller-size"))
        let puller = try ArtifactPuller(
            configuration: configuration, store: artifacts, httpClient: HTTPClient.shared,
            inUse: { [:] }, verify: { _, _ in (nil, ArtifactIdentity(venueID: "small-arcade", layoutHash: 1)) }, nowUnixMs: { 0 })
        let result = await puller.pollOnce()
        #expect(result.failures.contains { $0.contains("over the \(files.modelA.count - 1)-byte artifact limit") }, "\(result)")
        #expect(try artifacts.current(.model) == nil)
    }
}

/// A loopback server that answers every connection with the same bytes, then closes: for
/// answers a real collector never gives (a checksum header that lies).
final class OneAnswerServer: Sendable {
    let channel: any Channel
    var url: String { "http://127.0.0.1:\(channel.localAddress?.port ?? 0)" }

    init(head: String, body: [UInt8]) async throws {
        let answer = Array(head.utf8) + body
        channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { child in
                child.eventLoop.makeCompletedFuture { try child.pipeline.syncOperations.addHandler(AnswerHandler(answer: answer)) }
            }
            .bind(host: "127.0.0.1", port: 0).get()
    }

    func close() async { try? await channel.close() }

    private final class AnswerHandler: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        let answer: [UInt8]
        init(answer: [UInt8]) { self.answer = answer }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            // The request's first bytes are enough: every request gets the same answer.
            let close = context.channel
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(bytes: answer))).whenComplete { _ in close.close(promise: nil) }
        }
    }
}
