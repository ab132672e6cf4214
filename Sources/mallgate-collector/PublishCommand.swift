import MallGateSystem
import ArgumentParser
import Glibc
import MallGateCollector

/// `mallgate-collector publish`: offers a model file or venue layout to one gateway or to every
/// gateway of a venue; they fetch it at their next poll (docs/sync-protocol.md, "Artifacts").
struct Publish: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Publish a model file (.mgm) or venue layout (.json) for gateways to pull.",
        discussion: """
        The file is checked first: a model must decode (its checksum holds) and a venue must \
        validate, and either must belong to the target's venue. Each gateway then fetches the \
        newest artifact published for it by name or for its venue, verifies it again against \
        the layout it runs, installs it and keeps the one it replaces for rollback \
        (`mallgate artifacts rollback`). Publishing again for the same target replaces the \
        earlier publication.
        """)

    @OptionGroup var storage: StorageOptions

    @Option(help: ArgumentHelp("Publish for this gateway only (its name in `gateway list`).", valueName: "name"))
    var gateway: String?

    @Option(help: ArgumentHelp("Publish for every gateway of this venue id.", valueName: "id"))
    var venue: String?

    @Argument(help: ArgumentHelp("A model file (.mgm, from `mallgate train`) or a venue layout (.json).", valueName: "file"))
    var file: String

    func validate() throws {
        guard (gateway == nil) != (venue == nil) else { throw ValidationError("give exactly one of --gateway NAME or --venue ID") }
    }

    func run() async throws {
        guard let bytes = readWholeFile(file, limit: ArtifactPublishing.maxBytes) else {
            throw ValidationError("\(file): cannot read it (\(String(cString: strerror(errno))))")
        }
        let kind: PublishedArtifactKind = bytes.starts(with: Array("MGLM".utf8)) ? .model : .venue
        let store = try await storage.openStore()
        do {
            guard let artifacts = store as? any CollectorArtifactStore else {
                throw ValidationError("this store does not keep artifacts")
            }
            let scope: ArtifactScope
            let expectedVenue: String
            if let gateway {
                guard let record = try await store.gateways().first(where: { $0.name == gateway && $0.revokedUnixMs == nil }) else {
                    throw ValidationError("no active gateway named \(gateway) (see `mallgate-collector gateway list`)")
                }
                scope = .gateway(gateway)
                expectedVenue = record.venueID
            } else {
                scope = .venue(venue!)
                expectedVenue = venue!
            }
            let venueID = try ArtifactPublishing.check(kind, bytes: bytes, fileName: file, expectedVenue: expectedVenue)
            let artifact = PublishedArtifact(scope: scope, kind: kind, venueID: venueID, body: bytes, publishedUnixMs: WallClock.unixMs())
            try await artifacts.publishArtifact(artifact)
            await store.close()
            print("published \(kind) \(artifact.sha256) for \(scope) (\(bytes.count) bytes)")
        } catch {
            await store.close()
            throw error
        }
    }
}
