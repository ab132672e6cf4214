import MallGateCollector
import MallGateTestSupport
import MallGateWire
import Testing

/// A collector on a loopback port for one test, stopped by cancelling its task.
struct RunningCollector: Sendable {
    let port: Int
    let server: CollectorServer
    let task: Task<Void, any Error>

    var url: String { "http://127.0.0.1:\(port)" }
    var store: any CollectorStore { server.store }

    func stop() async {
        task.cancel()
        _ = try? await task.value
    }
}

/// The clock the collector stamps `received_ms` with in tests.
let testNowUnixMs: Int64 = 1_764_400_000_000

/// - Parameter port: 0 for any free port; a collector restarted in a test takes its old one.
func startCollector(_ store: any CollectorStore, maxBodyBytes: Int = 8 << 20, port: Int = 0) async throws -> RunningCollector {
    try await store.migrate()
    var configuration = CollectorConfiguration()
    configuration.port = port
    configuration.maxBodyBytes = maxBodyBytes
    let server = CollectorServer(store: store, configuration: configuration, nowUnixMs: { testNowUnixMs })
    let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
    let task = Task { try await server.run { port in continuation.yield(port) } }
    for await port in ports {
        return RunningCollector(port: port, server: server, task: task)
    }
    throw CollectorStartFailed()
}

struct CollectorStartFailed: Error {}

/// Which database a collector test runs against.
enum StoreKind: String, CustomStringConvertible, Sendable, CaseIterable {
    case sqlite
    case postgres

    var description: String { rawValue }

    /// A fresh, empty store: a new SQLite file, or a new PostgreSQL database in the CI cluster.
    func make(_ label: String) throws -> any CollectorStore { try makeLocated(label).store }

    /// ``make(_:)``, also returning where the store lives (SQLite file path or PostgreSQL URL)
    /// for tests that reach into the database with `sqlite3` or `psql`.
    func makeLocated(_ label: String) throws -> (store: any CollectorStore, location: String) {
        switch self {
        case .sqlite:
            let path = makeTemporaryDirectory(label) + "/collector.sqlite"
            return (try SQLiteCollectorStore(path: path), path)
        case .postgres:
            let base = try #require(postgresURL, "MALLGATE_TEST_POSTGRES_URL is unset")
            var generator = SystemRandomNumberGenerator()
            let name = "mgtest_\(label.filter { $0.isLetter || $0.isNumber })_\(UInt32.random(in: 0...UInt32.max, using: &generator))"
            let created = shell("psql \(sh(base)) -qc \(sh("CREATE DATABASE \(name)"))", mergeStderr: true)
            try #require(created.status == 0, "createdb: \(created.output)")
            let (prefix, query) = split(base)
            let url = prefix[..<prefix.lastIndex(of: "/")!] + "/" + name + query
            return (try PostgresCollectorStore(url: String(url)), String(url))
        }
    }

    private func split(_ url: String) -> (Substring, Substring) {
        guard let mark = url.firstIndex(of: "?") else { return (Substring(url), "") }
        return (url[..<mark], url[mark...])
    }
}

/// The throw-away PostgreSQL that scripts/ci-postgres.sh starts (nil: PostgreSQL tests skip).
let postgresURL: String? = environment("MALLGATE_TEST_POSTGRES_URL").flatMap { $0.isEmpty ? nil : $0 }

/// Store kinds to run: SQLite always, PostgreSQL when CI started one.
let availableStoreKinds: [StoreKind] = postgresURL == nil ? [.sqlite] : [.sqlite, .postgres]

/// Registers a gateway directly in the store; returns its token.
func register(_ store: any CollectorStore, _ name: String, venue: String) async throws -> String {
    let token = GatewayToken.generate()
    try await store.addGateway(GatewayRecord(name: name, venueID: venue, tokenSHA256: GatewayToken.hash(token), createdUnixMs: testNowUnixMs))
    return token
}
