// Pulls what the central side publishes for this gateway — model files and venue layouts —
// verifies it, installs it with ArtifactStore (the previous one kept for rollback) and tells
// the daemon to reload. docs/sync-protocol.md, "Artifacts".
internal import MallGateSystem
public import AsyncHTTPClient
import Glibc
public import Logging
public import MallGateState
import NIOCore
import NIOHTTP1

/// Where and how often to look for artifacts.
public struct ArtifactPullerConfiguration: Sendable, Equatable {
    /// The collector's base URL (as for the uploader; a trailing `/v1` is tolerated).
    public var url: String
    /// This gateway's bearer token.
    public var token: String
    /// Between two polls.
    public var interval: Duration = .seconds(300)
    /// Largest artifact downloaded; a larger one is refused without reading it all.
    public var maxBytes: Int = 64 << 20
    /// The whole request, connect to last byte.
    public var requestTimeout: Duration = .seconds(300)
    public var connectTimeout: Duration = .seconds(10)
    public var tls: TLSOptions = TLSOptions()

    public init(url: String, token: String) {
        self.url = url
        self.token = token
    }

    /// `GET` here for `kind`.
    public func artifactURL(_ kind: ArtifactKind) -> String {
        var base = url
        while base.hasSuffix("/") { base.removeLast() }
        if base.hasSuffix("/v1") { base.removeLast(3) }
        return base + "/v1/artifacts/" + kind.rawValue
    }
}

/// What the puller has done so far, for logs, metrics and `mallgate status`.
public struct ArtifactPullerState: Sendable, Equatable {
    public var polls = 0
    /// Artifacts downloaded (200 answers); an unchanged or refused one is not downloaded again.
    public var downloads = 0
    public var installed = 0
    /// Distinct artifacts (by SHA-256) refused by verification.
    public var refused = 0
    /// Unix ms of the last poll that reached the collector.
    public var lastContactUnixMs: Int64?
    /// The last network or store failure, cleared by the next successful poll.
    public var lastError: String?
    /// The last refusal: kind, SHA-256 and why.
    public var lastRefusal: String?
}

/// What one poll did.
public struct ArtifactPollResult: Sendable, Equatable {
    public var installed: [InstalledArtifact] = []
    /// (kind, SHA-256, reason) of artifacts refused this poll (each only once).
    public var refused: [Refusal] = []
    /// Network, checksum or store failures (tried again next poll).
    public var failures: [String] = []

    public struct Refusal: Sendable, Equatable {
        public var kind: ArtifactKind
        public var sha256: String
        public var reason: String
        public init(kind: ArtifactKind, sha256: String, reason: String) {
            self.kind = kind
            self.sha256 = sha256
            self.reason = reason
        }
    }
}

/// Polls the collector for the newest model and venue published for this gateway.
///
/// Each poll asks for both kinds with `If-None-Match` naming what the gateway runs, what is
/// installed, what was rolled back from on site (``ArtifactStore/declined(_:)``) and what it refused before, so an unchanged or already-refused artifact costs one
/// 304 and is never downloaded in a loop. A new one is checked against its `X-MallGate-SHA256`
/// and ETag, then handed with its counterpart to `verify` — a new venue with the model in use
/// (or the new model), a new model with the venue in use — and installed only when the pair
/// loads. A refusal is remembered by SHA-256 for the life of the process.
public actor ArtifactPuller {
    /// Checks a candidate pair. `venue` or `model` nil means "the one in use"; returns the identity
    /// of each non-nil one, or throws why the pair cannot run (that message is the refusal).
    public typealias Verify = @Sendable (_ venue: [UInt8]?, _ model: [UInt8]?) throws -> (venue: ArtifactIdentity?, model: ArtifactIdentity?)

    public let configuration: ArtifactPullerConfiguration
    private let store: ArtifactStore
    private let client: HTTPClient
    private let ownsClient: Bool
    private let logger: Logger
    private let inUse: @Sendable () async -> [ArtifactKind: String]
    private let verify: Verify
    private let sleep: @Sendable (Duration) async throws -> Void
    private let nowUnixMs: @Sendable () -> Int64
    private var refusedTags: [ArtifactKind: Set<String>] = [:]
    /// Downloads whose body did not match the checksum the collector claimed, per kind and
    /// claimed SHA-256: one is a damaged transfer, tried again; ``damagedLimit`` in a row is a
    /// collector serving a broken file, refused like any bad artifact instead of downloaded at
    /// every poll for ever.
    private var damaged: [ArtifactKind: (claimed: String, count: Int)] = [:]
    /// Mismatching downloads of one artifact after which it is refused.
    public static let damagedLimit = 3
    public private(set) var state = ArtifactPullerState()

    /// - Parameters:
    ///   - store: where artifacts are installed.
    ///   - inUse: the SHA-256 of the venue and model the pipeline runs now (installed or configured).
    ///   - verify: see ``Verify``.
    ///   - httpClient: a client to share; when nil one is made (TLS, timeouts) and shut down by ``shutdown()``.
    /// - Throws: ``SyncError`` when TLS files cannot be read.
    public init(
        configuration: ArtifactPullerConfiguration, store: ArtifactStore, httpClient: HTTPClient? = nil,
        logger: Logger = Logger(label: "mallgate.pull"),
        inUse: @escaping @Sendable () async -> [ArtifactKind: String],
        verify: @escaping Verify,
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) },
        nowUnixMs: @escaping @Sendable () -> Int64
    ) throws {
        self.configuration = configuration
        self.store = store
        self.logger = logger
        self.inUse = inUse
        self.verify = verify
        self.sleep = sleep
        self.nowUnixMs = nowUnixMs
        if let httpClient {
            client = httpClient
            ownsClient = false
        } else {
            var uploader = UploaderConfiguration(url: configuration.url, token: configuration.token, gatewayID: "")
            uploader.tls = configuration.tls
            uploader.connectTimeout = configuration.connectTimeout
            uploader.responseTimeout = configuration.requestTimeout
            uploader.uploadTimeout = configuration.requestTimeout
            client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: try Uploader.clientConfiguration(uploader))
            ownsClient = true
        }
    }

    /// Polls every ``ArtifactPullerConfiguration/interval`` until cancelled, calling `onPoll`
    /// after each poll (the daemon reloads after an install and logs refusals there).
    public func run(onPoll: @Sendable (ArtifactPollResult) async -> Void) async {
        while !Task.isCancelled {
            let result = await pollOnce()
            await onPoll(result)
            do { try await sleep(configuration.interval) } catch { return }
        }
    }

    /// Shuts down the HTTP client the puller made (not one passed in).
    public func shutdown() async throws {
        if ownsClient { try await client.shutdown() }
    }

    /// One poll: fetch what is new, verify, install.
    public func pollOnce() async -> ArtifactPollResult {
        state.polls += 1
        var result = ArtifactPollResult()
        let running = await inUse()
        var fetched: [ArtifactKind: (bytes: [UInt8], sha256: String)] = [:]
        var contacted = false
        for kind in [ArtifactKind.venue, .model] {
            var known = refusedTags[kind] ?? []
            if let sha = running[kind] { known.insert(sha) }
            if let installed = try? store.current(kind) { known.insert(installed.manifest.sha256) }
            // Rolled back from or cleared on site: a person said no; only a different one is pulled.
            known.formUnion((try? store.declined(kind)) ?? [])
            switch await fetch(kind, known: known) {
            case .unchanged:
                contacted = true
            case .new(let bytes, let sha):
                contacted = true
                damaged[kind] = nil
                fetched[kind] = (bytes, sha)
            case .failed(let reason):
                result.failures.append(reason)
            case .damaged(let claimed, let reason):
                let count = damaged[kind]?.claimed == claimed ? damaged[kind]!.count + 1 : 1
                damaged[kind] = (claimed, count)
                if count >= Self.damagedLimit {
                    damaged[kind] = nil
                    refuse(kind, sha256: claimed, reason: "\(reason), \(count) downloads in a row; not downloaded again", into: &result)
                } else {
                    result.failures.append(reason)
                }
            }
        }
        if contacted { state.lastContactUnixMs = nowUnixMs() }
        if fetched.isEmpty {
            finish(&result)
            return result
        }
        // The pair first; when both are new and the pair fails, each with the one in use.
        var accepted: [ArtifactKind: ArtifactIdentity] = [:]
        var reasons: [ArtifactKind: String] = [:]
        do {
            let identity = try verify(fetched[.venue]?.bytes, fetched[.model]?.bytes)
            accepted[.venue] = identity.venue
            accepted[.model] = identity.model
        } catch {
            if fetched.count == 2 {
                for kind in [ArtifactKind.venue, .model] {
                    do {
                        let identity = try verify(kind == .venue ? fetched[.venue]!.bytes : nil, kind == .model ? fetched[.model]!.bytes : nil)
                        accepted[kind] = kind == .venue ? identity.venue : identity.model
                    } catch let alone {
                        reasons[kind] = "\(alone)"
                    }
                }
            } else {
                reasons[fetched.keys.first!] = "\(error)"
            }
        }
        for kind in [ArtifactKind.venue, .model] {
            guard let candidate = fetched[kind] else { continue }
            if let reason = reasons[kind] {
                refuse(kind, sha256: candidate.sha256, reason: reason, into: &result)
                continue
            }
            guard let identity = accepted[kind] else { continue }
            do {
                let installed = try store.install(kind, bytes: candidate.bytes, source: .pulled, origin: configuration.artifactURL(kind)) { written in
                    // Read back what reached the disk: a bad sector or a full disk must not install.
                    guard let onDisk = readWholeFile(written.path), onDisk == written.bytes else {
                        throw PullRefusal(description: "\(written.path): the written copy differs from the download (disk full or failing?)")
                    }
                    return identity
                }
                state.installed += 1
                result.installed.append(installed)
                logger.notice("Installed a \(kind) from the collector.", metadata: [
                    "sha256": "\(installed.manifest.sha256)", "venue": "\(installed.manifest.venueID)", "layout_hash": "\(installed.manifest.layoutHashHex)",
                ])
            } catch {
                if error.isRefused {
                    refuse(kind, sha256: candidate.sha256, reason: error.reason ?? "\(error)", into: &result)
                } else {
                    result.failures.append("\(kind) \(candidate.sha256.prefix(12)): cannot install: \(error)")
                }
            }
        }
        finish(&result)
        return result
    }

    private func finish(_ result: inout ArtifactPollResult) {
        if result.failures.isEmpty {
            state.lastError = nil
        } else {
            state.lastError = result.failures.joined(separator: "; ")
            for failure in result.failures {
                logger.warning("Artifact pull failed; trying again at the next poll.", metadata: ["reason": "\(failure)"])
            }
        }
    }

    private func refuse(_ kind: ArtifactKind, sha256: String, reason: String, into result: inout ArtifactPollResult) {
        guard refusedTags[kind, default: []].insert(sha256).inserted else { return }
        state.refused += 1
        state.lastRefusal = "\(kind) \(sha256): \(reason)"
        result.refused.append(.init(kind: kind, sha256: sha256, reason: reason))
        logger.error("Refused a \(kind) from the collector; the running one stays.", metadata: ["sha256": "\(sha256)", "reason": "\(reason)"])
    }

    // MARK: - HTTP

    enum Fetch {
        case unchanged
        case new(bytes: [UInt8], sha256: String)
        case failed(String)
        /// The body's SHA-256 differs from the one the collector claimed.
        case damaged(claimed: String, reason: String)
    }

    /// `GET /v1/artifacts/{kind}` with `If-None-Match` naming `known`.
    func fetch(_ kind: ArtifactKind, known: Set<String>) async -> Fetch {
        let url = configuration.artifactURL(kind)
        var request = HTTPClientRequest(url: url)
        request.method = .GET
        request.headers.add(name: "Authorization", value: "Bearer \(configuration.token)")
        if !known.isEmpty {
            request.headers.add(name: "If-None-Match", value: known.sorted().map { "\"\($0)\"" }.joined(separator: ", "))
        }
        do {
            let response = try await client.execute(request, timeout: Uploader.timeAmount(configuration.requestTimeout), logger: logger)
            switch response.status.code {
            case 304, 404:
                return .unchanged
            case 200:
                break
            default:
                var answer = try await response.body.collect(upTo: 4096)
                let text = answer.readString(length: answer.readableBytes) ?? ""
                return .failed("\(url): HTTP \(response.status.code) \(text.prefix(200).split(separator: "\n").first ?? "")")
            }
            if let length = response.headers.first(name: "Content-Length").flatMap({ Int($0) }), length > configuration.maxBytes {
                return .failed("\(url): \(length) bytes, over the \(configuration.maxBytes)-byte artifact limit")
            }
            var body: ByteBuffer
            do { body = try await response.body.collect(upTo: configuration.maxBytes) } catch is NIOTooManyBytesError {
                return .failed("\(url): over the \(configuration.maxBytes)-byte artifact limit")
            }
            let bytes = body.readBytes(length: body.readableBytes) ?? []
            state.downloads += 1
            let sha = ArtifactStore.sha256Hex(bytes)
            guard let claimed = response.headers.first(name: "X-MallGate-SHA256")?.lowercased() else {
                return .failed("\(url): the answer has no X-MallGate-SHA256 header; is this a MallGate collector?")
            }
            // Refused as damaged before, by the checksum it claims (a collector that ignores If-None-Match).
            if refusedTags[kind]?.contains(claimed) == true { return .unchanged }
            guard claimed == sha else {
                return .damaged(claimed: claimed, reason: "\(url): checksum mismatch (header \(claimed.prefix(16))…, body \(sha.prefix(16))…); the download was damaged")
            }
            if let etag = response.headers.first(name: "ETag"), etag.trimmingCharacters(in: "\"") != sha {
                return .failed("\(url): the ETag \(etag) does not match the body's SHA-256 \(sha)")
            }
            // Refused before (a collector that ignores If-None-Match): not again.
            if refusedTags[kind]?.contains(sha) == true || known.contains(sha) { return .unchanged }
            return .new(bytes: bytes, sha256: sha)
        } catch {
            return .failed("\(url): \(error)")
        }
    }
}

/// Why an artifact was refused (thrown from verification closures).
public struct PullRefusal: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(description: String) { self.description = description }
}

extension String {
    fileprivate func trimmingCharacters(in character: Character) -> String {
        var view = Substring(self)
        if view.hasPrefix("W/") { view = view.dropFirst(2) }
        while view.first == character { view.removeFirst() }
        while view.last == character { view.removeLast() }
        return String(view)
    }
}
