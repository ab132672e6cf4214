import MallGateSystem
import ArgumentParser
import Glibc
import MallGateDaemon
import MallGateState

/// `mallgate artifacts`: the model files and venue layouts installed on this gateway.
struct ArtifactsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "artifacts",
        abstract: "List, install or roll back the model and venue installed on this gateway.",
        discussion: """
            Besides the `model` and `venue` files its configuration names, a gateway
            keeps installed artifacts in STATE/artifacts: models and venue layouts
            pulled from the collector, trained on the gateway or installed by hand.
            The daemon runs an installed one when it is for the configured venue and
            loads cleanly, otherwise the configuration's file (docs/daemon.md,
            "Installed artifacts"). Each kind keeps the one it replaced, so a bad
            update can be rolled back on site without the network.

            After a change the running daemon is told to reload (SIGHUP to the pid
            in its status file) unless --no-reload is given.

            Examples:
              mallgate artifacts list --config /etc/mallgate/gateway.toml
              mallgate artifacts rollback --config /etc/mallgate/gateway.toml
              mallgate artifacts install --config /etc/mallgate/gateway.toml new.mgm
              mallgate artifacts clear --kind venue --config /etc/mallgate/gateway.toml
            """,
        subcommands: [List.self, Rollback.self, Clear.self, Install.self])

    /// What every subcommand needs: the configuration (for the state directory and the checks).
    struct Common: ParsableArguments {
        @Option(help: ArgumentHelp("The daemon's configuration file.", valueName: "file"))
        var config: String

        func load() throws -> (DaemonConfiguration, ArtifactStore) {
            do {
                let configuration = try DaemonConfiguration.load(path: config)
                return (configuration, ArtifactStore(stateDirectory: configuration.stateDirectory))
            } catch {
                for problem in error.problems { printError(problem.description) }
                throw ExitCode(1)
            }
        }
    }

    struct Reload: ParsableArguments {
        @Flag(name: .customLong("no-reload"), help: "Do not tell the running daemon to reload.")
        var noReload = false

        /// SIGHUP to the daemon whose status file is in the state directory, if it is running.
        func signal(_ configuration: DaemonConfiguration) {
            guard !noReload else { return }
            guard let status = DaemonStatus.read(from: configuration.stateDirectory), status.pid > 0, kill(status.pid, 0) == 0,
                  Double(time(nil)) - status.updated < max(60, 3 * configuration.health.statusIntervalSeconds) else {
                print("The daemon is not running; the change applies when it starts.")
                return
            }
            if kill(status.pid, SIGHUP) == 0 {
                print("Told the daemon (pid \(status.pid)) to reload; `mallgate status` shows the result.")
            } else {
                printError("cannot signal the daemon (pid \(status.pid)): \(String(cString: strerror(errno))); reload it with `systemctl reload mallgate`")
            }
        }
    }

    enum Kinds: String, ExpressibleByArgument, CaseIterable {
        case model, venue, both
        var kinds: [ArtifactKind] { self == .both ? [.venue, .model] : [ArtifactKind(rawValue: rawValue)!] }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the installed and previous model and venue, and which files the daemon would run now.")
        @OptionGroup var common: Common

        func run() throws {
            let (configuration, store) = try common.load()
            for kind in ArtifactKind.allCases {
                let installed: (current: InstalledArtifact?, previous: InstalledArtifact?)
                do { installed = try store.installed(kind) } catch {
                    printError("\(error)")
                    throw ExitCode(1)
                }
                print("\(kind):")
                print("  current:  \(describe(installed.current, configured: kind == .model ? configuration.modelPath : configuration.venuePath))")
                print("  previous: \(installed.previous.map { describe($0) } ?? "none")")
            }
            do {
                let model = try PipelineModel.load(configuration)
                if let p = model.provenance {
                    print("in use: venue \(p.venuePath) (\(p.venueSource)), model \(p.modelPath) (\(p.modelSource))")
                }
                for note in model.notes { print("note: \(note)") }
            } catch {
                printError("nothing loads: \(error)")
                throw ExitCode(1)
            }
        }

        func describe(_ artifact: InstalledArtifact?, configured: String = "") -> String {
            guard let a = artifact else { return "none (the configuration's \(configured))" }
            let m = a.manifest
            return "\(m.sha256.prefix(16)) \(m.size) bytes, venue \(m.venueID) layout \(m.layoutHashHex), \(m.source), installed \(isoTime(m.installedAt))"
        }
    }

    /// Applies `change` to each kind and prints `KIND: what it says`, then tells the daemon to
    /// reload; the first failure is printed and ends the command with exit code 1.
    static func change(
        _ kinds: Kinds, _ common: Common, _ reload: Reload, _ change: (ArtifactStore, ArtifactKind) throws -> String
    ) throws {
        let (configuration, store) = try common.load()
        for kind in kinds.kinds {
            do {
                print("\(kind): " + (try change(store, kind)))
            } catch {
                printError("\(error)")
                throw ExitCode(1)
            }
        }
        reload.signal(configuration)
    }

    struct Rollback: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Return to the previous model (or venue); a second rollback undoes the first.",
            discussion: """
                The previous one is the artifact installed before the current one, or
                the configuration's file when there was none. The one rolled back from
                is not pulled from the collector again; a newer publication is.
                """)
        @OptionGroup var common: Common
        @Option(help: ArgumentHelp("What to roll back: model, venue or both.", valueName: "kind"))
        var kind: Kinds = .model
        @OptionGroup var reload: Reload

        func run() throws {
            try ArtifactsCommand.change(kind, common, reload) { store, kind in
                guard let now = try store.rollback(kind) else { return "the configuration's file applies again" }
                return "now \(now.manifest.sha256.prefix(16)) (\(now.manifest.source), installed \(isoTime(now.manifest.installedAt)))"
            }
        }
    }

    struct Clear: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Stop using the installed model (or venue): the configuration's file applies again.")
        @OptionGroup var common: Common
        @Option(help: ArgumentHelp("What to clear: model, venue or both.", valueName: "kind"))
        var kind: Kinds = .model
        @OptionGroup var reload: Reload

        func run() throws {
            try ArtifactsCommand.change(kind, common, reload) { store, kind in
                guard let was = try store.clear(kind) else { return "nothing installed" }
                return "the configuration's file applies; \(was.manifest.sha256.prefix(16)) kept as previous"
            }
        }
    }

    struct Install: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a model (.mgm) or venue (.json) against what runs, and install it.",
            discussion: """
                The file must load together with the venue or model in use, with
                every check the daemon makes at start; otherwise nothing changes.
                """)
        @OptionGroup var common: Common
        @Argument(help: ArgumentHelp("A model file from `mallgate train`, or a venue layout.", valueName: "file"))
        var file: String
        @OptionGroup var reload: Reload

        func run() throws {
            let (configuration, baseStore) = try common.load()
            guard let bytes = readWholeFile(file) else {
                printError("\(file): cannot read it (\(String(cString: strerror(errno))))")
                throw ExitCode(1)
            }
            let kind: ArtifactKind = bytes.starts(with: Array("MGLM".utf8)) ? .model : .venue
            let running: PipelineModel.Provenance?
            do { running = try PipelineModel.load(configuration).provenance } catch {
                printError("what runs now does not load, so nothing can be checked against it: \(error)")
                throw ExitCode(1)
            }
            var store = baseStore
            // Crash-safety tests stop this process, for real, after a chosen install step.
            if let step = getenv("MALLGATE_TEST_ARTIFACT_KILL_AFTER").map({ String(cString: $0) }) {
                store.stepObserver = { reached in if reached.rawValue == step { _ = kill(getpid(), SIGKILL) } }
            }
            do {
                let installed = try store.install(kind, bytes: bytes, source: .technician, origin: file) { candidate in
                    let identity = try PipelineModel.verifyArtifacts(
                        configuration: configuration, running: running,
                        venue: kind == .venue ? candidate.bytes : nil, model: kind == .model ? candidate.bytes : nil)
                    return (kind == .model ? identity.model : identity.venue)!
                }
                print("\(kind): installed \(installed.manifest.sha256.prefix(16)) (venue \(installed.manifest.venueID), layout \(installed.manifest.layoutHashHex))")
            } catch {
                printError("\(file): \(error)")
                throw ExitCode(1)
            }
            reload.signal(configuration)
        }
    }
}

/// `2026-11-29T11:20:00Z` for Unix seconds.
func isoTime(_ seconds: Int64) -> String {
    var t = time_t(seconds)
    var parts = tm()
    gmtime_r(&t, &parts)
    var buffer = [CChar](repeating: 0, count: 32)
    let n = strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%SZ", &parts)
    return String(decoding: buffer.prefix(n).map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

