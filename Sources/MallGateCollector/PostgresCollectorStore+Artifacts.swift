import NIOCore
import PostgresNIO

extension PostgresCollectorStore: CollectorArtifactStore {
    public func publishArtifact(_ artifact: PublishedArtifact) async throws {
        let (scope, target) = artifact.scope.column
        let kind = artifact.kind.rawValue, size = Int64(artifact.size)
        let body = ByteBuffer(bytes: artifact.body)
        try await client.query(
            """
            INSERT INTO artifacts (scope, target, kind, sha256, venue_id, body, size, published_ms)
            VALUES (\(scope), \(target), \(kind), \(artifact.sha256), \(artifact.venueID), \(body), \(size), \(artifact.publishedUnixMs))
            ON CONFLICT (scope, target, kind) DO UPDATE SET
                sha256 = EXCLUDED.sha256, venue_id = EXCLUDED.venue_id, body = EXCLUDED.body,
                size = EXCLUDED.size, published_ms = EXCLUDED.published_ms
            """, logger: logger)
    }

    public func latestArtifact(_ kind: PublishedArtifactKind, gateway: String, venueID: String, withBody: Bool) async throws -> PublishedArtifact? {
        let kindName = kind.rawValue
        // Newest first; on a tie the gateway's own ('gateway' sorts before 'venue').
        let rows = try await client.query(
            """
            SELECT scope, target, sha256, venue_id, size, published_ms, CASE WHEN \(withBody) THEN body ELSE ''::bytea END FROM artifacts
            WHERE kind = \(kindName) AND ((scope = 'gateway' AND target = \(gateway)) OR (scope = 'venue' AND target = \(venueID)))
            ORDER BY published_ms DESC, scope ASC LIMIT 1
            """, logger: logger)
        for try await (scope, target, sha, venue, size, published, body) in rows.decode((String, String, String, String, Int64, Int64, ByteBuffer).self) {
            return PublishedArtifact(
                scope: ArtifactScope(scope: scope, target: target) ?? .venue(venueID), kind: kind, sha256: sha, venueID: venue,
                size: Int(size), publishedUnixMs: published, body: Array(buffer: body))
        }
        return nil
    }
}
