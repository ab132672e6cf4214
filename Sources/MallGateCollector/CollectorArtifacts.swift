// Model files and venue layouts the central side publishes for gateways
// (docs/sync-protocol.md, "Artifacts"): `mallgate-collector publish` stores them,
// `GET /v1/artifacts/{model,venue}` serves each gateway the newest one meant for it.
public import Hummingbird
import HTTPTypes
import MallGateLocalize
import MallGateVenue
import MallGateWire
import NIOCore

/// What can be published to gateways.
public enum PublishedArtifactKind: String, Sendable, CaseIterable, CustomStringConvertible {
    /// A localization model (`.mgm`).
    case model
    /// A venue layout (JSON).
    case venue
    public var description: String { rawValue }
}

/// Who a published artifact is for: one gateway, or every gateway of a venue.
public enum ArtifactScope: Sendable, Equatable, CustomStringConvertible {
    case gateway(String)
    case venue(String)

    var column: (scope: String, target: String) {
        switch self {
        case .gateway(let name): ("gateway", name)
        case .venue(let id): ("venue", id)
        }
    }

    init?(scope: String, target: String) {
        switch scope {
        case "gateway": self = .gateway(target)
        case "venue": self = .venue(target)
        default: return nil
        }
    }

    public var description: String {
        switch self {
        case .gateway(let name): "gateway \(name)"
        case .venue(let id): "venue \(id)"
        }
    }
}

/// One published artifact as stored.
public struct PublishedArtifact: Sendable, Equatable {
    public var scope: ArtifactScope
    public var kind: PublishedArtifactKind
    /// Lower-case hex SHA-256 of ``body``: the ETag gateways send back.
    public var sha256: String
    /// The venue it belongs to (checked at publish time).
    public var venueID: String
    public var size: Int
    public var publishedUnixMs: Int64
    /// Empty when read without the body (the 304 check).
    public var body: [UInt8]

    public init(scope: ArtifactScope, kind: PublishedArtifactKind, venueID: String, body: [UInt8], publishedUnixMs: Int64) {
        self.scope = scope
        self.kind = kind
        self.sha256 = ContentHash.hex(ContentHash.sha256(body))
        self.venueID = venueID
        self.size = body.count
        self.publishedUnixMs = publishedUnixMs
        self.body = body
    }

    init(scope: ArtifactScope, kind: PublishedArtifactKind, sha256: String, venueID: String, size: Int, publishedUnixMs: Int64, body: [UInt8]) {
        self.scope = scope
        self.kind = kind
        self.sha256 = sha256
        self.venueID = venueID
        self.size = size
        self.publishedUnixMs = publishedUnixMs
        self.body = body
    }
}

/// A collector store that also keeps published artifacts (both stores do).
///
/// One artifact per (scope, target, kind): publishing replaces the previous one for that
/// scope, because gateways keep their own previous copy for rollback.
public protocol CollectorArtifactStore: CollectorStore {
    /// Stores `artifact`, replacing the one published before for the same scope and kind.
    func publishArtifact(_ artifact: PublishedArtifact) async throws
    /// The newest artifact of `kind` for `gateway`: published for it by name or for its venue,
    /// whichever was published last (ties go to the gateway's own). `withBody: false` reads
    /// only the manifest.
    func latestArtifact(_ kind: PublishedArtifactKind, gateway: String, venueID: String, withBody: Bool) async throws -> PublishedArtifact?
}

/// Checks an artifact before it is published, so a gateway is never offered one that cannot be
/// for its venue. (The gateway checks again, and more: the layout hash against the layout it runs.)
public enum ArtifactPublishing {
    /// The largest artifact accepted for publishing and served (a model for a large venue is a few MB).
    public static let maxBytes = 64 << 20

    /// The venue id `bytes` belongs to.
    /// - Throws: ``CollectorError`` naming `fileName` and what is wrong: not a model/venue
    ///   file, corrupt, too large, or for another venue than `expectedVenue`.
    public static func check(_ kind: PublishedArtifactKind, bytes: [UInt8], fileName: String, expectedVenue: String) throws -> String {
        guard bytes.count <= maxBytes else {
            throw CollectorError(.configuration("\(fileName): \(bytes.count) bytes, over the \(maxBytes)-byte artifact limit"))
        }
        let venueID: String
        switch kind {
        case .model:
            do { venueID = try ModelFile.decode(bytes, source: fileName).venueID } catch {
                throw CollectorError(.configuration("\(error)"))
            }
        case .venue:
            let venue: Venue
            do { venue = try VenueFile.decode(bytes, fileName: fileName) } catch {
                throw CollectorError(.configuration("\(error)"))
            }
            if let problem = VenueValidator.validate(venue).first(where: { $0.severity == .error }) {
                throw CollectorError(.configuration("\(fileName): \(problem); fix it (`mallgate venue validate \(fileName)`) before publishing"))
            }
            venueID = venue.id
        }
        guard venueID == expectedVenue else {
            throw CollectorError(.configuration(
                "\(fileName): this \(kind) is for venue \"\(venueID)\", but the target is venue \"\(expectedVenue)\"; publish it for a gateway of that venue"))
        }
        return venueID
    }
}

extension CollectorServer {
    /// `GET /v1/artifacts/{model,venue}`: the newest artifact published for the calling gateway.
    ///
    /// 200 with the bytes, `ETag: "<sha256>"` and `X-MallGate-SHA256`; 304 when `If-None-Match`
    /// names it already; 404 when nothing is published (the gateway keeps what it has); 401 for
    /// an unknown or revoked token.
    func artifact(_ request: Request, context: BasicRequestContext) async throws -> Response {
        guard let token = Self.bearerToken(request.headers[.authorization]),
              let gateway = try await store.activeGateway(tokenSHA256: GatewayToken.hash(token))
        else {
            metrics.rejection("auth")
            return Response(status: .unauthorized, headers: [.wwwAuthenticate: "Bearer"], body: .init(byteBuffer: ByteBuffer(string: "unknown or revoked token\n")))
        }
        guard let kind = context.parameters.get("kind").flatMap(PublishedArtifactKind.init(rawValue:)) else {
            return Response(status: .notFound, body: .init(byteBuffer: ByteBuffer(string: "artifact kinds are model and venue\n")))
        }
        guard let artifacts = store as? any CollectorArtifactStore else {
            return Response(status: .notFound, body: .init(byteBuffer: ByteBuffer(string: "this collector's store does not keep artifacts\n")))
        }
        guard let head = try await artifacts.latestArtifact(kind, gateway: gateway.name, venueID: gateway.venueID, withBody: false) else {
            return Response(status: .notFound, body: .init(byteBuffer: ByteBuffer(string: "no \(kind) published for gateway \(gateway.name) or venue \(gateway.venueID)\n")))
        }
        let etag = "\"\(head.sha256)\""
        var headers: HTTPFields = [.eTag: etag, HTTPField.Name("X-MallGate-SHA256")!: head.sha256, HTTPField.Name("X-MallGate-Venue")!: head.venueID]
        headers[.cacheControl] = "no-cache"
        if let wanted = request.headers[.ifNoneMatch], Self.entityTags(wanted).contains(head.sha256) || wanted.trimmingCharacters(in: " ") == "*" {
            return Response(status: .notModified, headers: headers)
        }
        // Read again with the body: a publish in between gives the newer one, with its own hash.
        guard let full = try await artifacts.latestArtifact(kind, gateway: gateway.name, venueID: gateway.venueID, withBody: true) else {
            return Response(status: .notFound)
        }
        headers[.eTag] = "\"\(full.sha256)\""
        headers[HTTPField.Name("X-MallGate-SHA256")!] = full.sha256
        headers[HTTPField.Name("X-MallGate-Venue")!] = full.venueID
        headers[.contentType] = kind == .model ? "application/octet-stream" : "application/json"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: full.body)))
    }

    /// The entity tags of an `If-None-Match` value (RFC 9110 §13.1.2), without quotes or `W/`.
    static func entityTags(_ header: String) -> [String] {
        header.split(separator: ",").map { part in
            var tag = part.trimmingCharacters(in: " ")
            if tag.hasPrefix("W/") { tag.removeFirst(2) }
            if tag.hasPrefix("\""), tag.hasSuffix("\""), tag.count >= 2 { tag = String(tag.dropFirst().dropLast()) }
            return tag
        }
    }
}

extension String {
    func trimmingCharacters(in set: Character) -> String { Substring(self).trimmingCharacters(in: set) }
}
