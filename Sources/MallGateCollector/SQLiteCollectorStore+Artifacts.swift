import FoundationEssentials
import GRDB

extension SQLiteCollectorStore: CollectorArtifactStore {
    public func publishArtifact(_ artifact: PublishedArtifact) async throws {
        let (scope, target) = artifact.scope.column
        try await pool.write { db in
            try db.execute(
                sql: """
                INSERT INTO artifacts (scope, target, kind, sha256, venue_id, body, size, published_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (scope, target, kind) DO UPDATE SET
                    sha256 = excluded.sha256, venue_id = excluded.venue_id, body = excluded.body,
                    size = excluded.size, published_ms = excluded.published_ms
                """,
                arguments: [scope, target, artifact.kind.rawValue, artifact.sha256, artifact.venueID, Data(artifact.body), artifact.size, artifact.publishedUnixMs])
        }
    }

    public func latestArtifact(_ kind: PublishedArtifactKind, gateway: String, venueID: String, withBody: Bool) async throws -> PublishedArtifact? {
        try await pool.read { db in
            // Newest first; on a tie the gateway's own ('gateway' sorts before 'venue').
            guard let row = try Row.fetchOne(
                db,
                sql: """
                SELECT scope, target, sha256, venue_id, size, published_ms, \(withBody ? "body" : "NULL") FROM artifacts
                WHERE kind = ? AND ((scope = 'gateway' AND target = ?) OR (scope = 'venue' AND target = ?))
                ORDER BY published_ms DESC, scope ASC LIMIT 1
                """,
                arguments: [kind.rawValue, gateway, venueID])
            else { return nil }
            let body: [UInt8] = withBody ? [UInt8]((row[6] as Data?) ?? Data()) : []
            return PublishedArtifact(
                scope: ArtifactScope(scope: row[0], target: row[1]) ?? .venue(venueID), kind: kind, sha256: row[2], venueID: row[3],
                size: row[4], publishedUnixMs: row[5], body: body)
        }
    }
}
