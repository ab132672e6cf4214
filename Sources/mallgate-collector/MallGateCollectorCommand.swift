// mallgate-collector: the central receiver. `serve` runs the HTTP server; `gateway add/revoke/list`
// manage who may upload; `migrate` prepares the database (for ExecStartPre).
import ArgumentParser
import Logging
import MallGateCollector

@main
struct MallGateCollectorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mallgate-collector",
        abstract: "Receive MallGate gateways' batches, store them once, and report per-store counts.",
        subcommands: [Serve.self, Gateway.self, Publish.self, Migrate.self],
        defaultSubcommand: Serve.self)
}

/// Where the collector keeps its data: SQLite by default, PostgreSQL when a URL is given.
struct StorageOptions: ParsableArguments {
    @Option(help: ArgumentHelp("SQLite database file (the default store).", valueName: "file"))
    var database: String = "/var/lib/mallgate-collector/collector.sqlite"

    @Option(name: .customLong("postgres-url"), help: ArgumentHelp(
        "Use PostgreSQL instead: postgres://user[:password]@host[:port]/db[?sslmode=disable|prefer|require]. Also read from MALLGATE_COLLECTOR_POSTGRES_URL.",
        valueName: "url"))
    var postgresURL: String?

    func openStore() async throws -> any CollectorStore {
        let url = postgresURL ?? Environment.value("MALLGATE_COLLECTOR_POSTGRES_URL")
        let store: any CollectorStore
        if let url {
            store = try PostgresCollectorStore(url: url)
        } else {
            store = try SQLiteCollectorStore(path: database)
        }
        do {
            try await store.migrate()
        } catch {
            await store.close()
            throw error
        }
        return store
    }
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the HTTP server (batches, reports, metrics).")

    @OptionGroup var storage: StorageOptions

    @Option(help: "Address to listen on.")
    var host: String = "127.0.0.1"

    @Option(help: "Port to listen on.")
    var port: Int = 8470

    @Option(name: .customLong("max-body-bytes"), help: "Largest compressed batch accepted; larger ones get 413.")
    var maxBodyBytes: Int = 8 << 20

    @Option(name: .customLong("read-token-env"), help: ArgumentHelp(
        "Name of an environment variable holding a bearer token the report endpoint requires.", valueName: "name"))
    var readTokenEnv: String?

    func run() async throws {
        var configuration = CollectorConfiguration()
        configuration.host = host
        configuration.port = port
        configuration.maxBodyBytes = maxBodyBytes
        if let readTokenEnv {
            guard let token = Environment.value(readTokenEnv), !token.isEmpty else {
                throw ValidationError("--read-token-env \(readTokenEnv): that environment variable is empty or unset")
            }
            configuration.readToken = token
        }
        let store = try await storage.openStore()
        let server = CollectorServer(store: store, configuration: configuration, nowUnixMs: { WallClock.unixMs() })
        let logger = Logger(label: "mallgate.collector")
        try await server.runUntilSignalled(logger: logger)
        await store.close()
    }
}

struct Gateway: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage the gateways allowed to upload.", subcommands: [Add.self, Revoke.self, List.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Register a gateway and print its bearer token (shown once; only its hash is stored).")
        @OptionGroup var storage: StorageOptions
        @Argument(help: "The gateway's name (its upstream.gateway_id).") var name: String
        @Option(help: "The venue id the gateway sends batches for.") var venue: String

        func run() async throws {
            guard !name.isEmpty, name.utf8.count <= 128 else { throw ValidationError("gateway name must be 1–128 bytes") }
            let store = try await storage.openStore()
            let token = GatewayToken.generate()
            do {
                try await store.addGateway(GatewayRecord(name: name, venueID: venue, tokenSHA256: GatewayToken.hash(token), createdUnixMs: WallClock.unixMs()))
            } catch {
                await store.close()
                throw error
            }
            await store.close()
            print(token)
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a gateway's token; its next upload gets 401.")
        @OptionGroup var storage: StorageOptions
        @Argument(help: "The gateway's name.") var name: String

        func run() async throws {
            let store = try await storage.openStore()
            let revoked = try await store.revokeGateway(name: name, atUnixMs: WallClock.unixMs())
            await store.close()
            guard revoked else { throw ValidationError("no active gateway named \(name) (see `mallgate-collector gateway list`)") }
            print("revoked \(name)")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List gateways: name, venue, state.")
        @OptionGroup var storage: StorageOptions

        func run() async throws {
            let store = try await storage.openStore()
            let gateways = try await store.gateways()
            var lines: [String] = []
            for gateway in gateways {
                let highest = try await store.highestSequence(gateway: gateway.name)
                lines.append("\(gateway.name)\t\(gateway.venueID)\t\(gateway.revokedUnixMs == nil ? "active" : "revoked")\thighest_sequence=\(highest)")
            }
            await store.close()
            for line in lines { print(line) }
        }
    }
}

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create or upgrade the database schema, then exit (for ExecStartPre).")
    @OptionGroup var storage: StorageOptions

    func run() async throws {
        let store = try await storage.openStore()
        await store.close()
    }
}
