import MallGateCollector
import MallGateTestSupport
import Testing

/// `mallgate-collector gateway add/list/revoke`, run as the binary an operator runs.
@Suite("mallgate-collector gateway commands")
struct CollectorCLITests {
    /// Built by `swift test` next to `mallgate`.
    static let binary: String = {
        var parts = mallgateBinary.split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast()
        return parts.joined(separator: "/") + "/mallgate-collector"
    }()

    @Test("add prints a token once and stores only its hash; list shows the gateway; revoke disables the token")
    func gatewayLifecycle() async throws {
        let dir = makeTemporaryDirectory("cli")
        let database = dir + "/collector.sqlite"
        let cli = "\(sh(Self.binary)) gateway"
        let add = shell("\(cli) add gw-1 --venue demo-mall --database \(sh(database))", mergeStderr: true)
        #expect(add.status == 0, "\(add.output)")
        let token = String(add.output.dropLast())
        #expect(add.output.hasSuffix("\n"))
        #expect(token.hasPrefix("mgt_") && token.count == 68 && token.dropFirst(4).allSatisfy(\.isHexDigit), "\(token)")

        let again = shell("\(cli) add gw-1 --venue demo-mall --database \(sh(database))", mergeStderr: true)
        #expect(again.status != 0)
        #expect(again.output.contains("a gateway named gw-1 exists already"))

        #expect(shell("\(cli) list --database \(sh(database))").output == "gw-1\tdemo-mall\tactive\thighest_sequence=0\n")

        // The token is nowhere on disk (database and WAL); its SHA-256 is.
        let onDisk = (readFile(database) ?? []) + (readFile(database + "-wal") ?? [])
        #expect(!contains(onDisk, Array(token.utf8)))
        let hash = shell("printf '%s' \(sh(token)) | sha256sum").output.prefix(64)
        #expect(contains(onDisk, Array(hash.utf8)))

        let store = try SQLiteCollectorStore(path: database)
        #expect(try await store.activeGateway(tokenSHA256: String(hash))?.name == "gw-1")

        let revoke = shell("\(cli) revoke gw-1 --database \(sh(database))", mergeStderr: true)
        #expect(revoke.status == 0)
        #expect(revoke.output == "revoked gw-1\n")
        #expect(try await store.activeGateway(tokenSHA256: String(hash)) == nil)
        #expect(shell("\(cli) list --database \(sh(database))").output == "gw-1\tdemo-mall\trevoked\thighest_sequence=0\n")
        let twice = shell("\(cli) revoke gw-1 --database \(sh(database))", mergeStderr: true)
        #expect(twice.status != 0)
        #expect(twice.output.contains("no active gateway named gw-1"))
    }

    func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard needle.count <= haystack.count else { return false }
        return (0...(haystack.count - needle.count)).contains { start in haystack[start..<(start + needle.count)].elementsEqual(needle) }
    }
}
