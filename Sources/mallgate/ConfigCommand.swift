import ArgumentParser
import MallGateDaemon
import MallGateLocalize
import MallGateVenue

/// `mallgate config`: the daemon's configuration file.
struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Check the daemon's configuration file.",
        subcommands: [Check.self])

    /// `mallgate config check FILE`: the validation `mallgate run` does at start, for ExecStartPre.
    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "check",
            abstract: "Validate a configuration file, its venue and its model, exactly as `mallgate run` does at start.",
            discussion: """
                Prints one line per problem on standard error (file:line: key:
                what is wrong and what to do) and exits 1; prints a one-line
                summary and exits 0 when the file, the venue and the model are
                usable together. Meant for systemd's ExecStartPre=.

                Example:
                  mallgate config check /etc/mallgate/gateway.toml
                """)

        @Argument(help: ArgumentHelp("The configuration file (TOML).", valueName: "file"))
        var file: String

        func run() throws {
            let configuration: DaemonConfiguration
            do {
                configuration = try DaemonConfiguration.load(path: file)
            } catch {
                for problem in error.problems { printError(problem.description) }
                throw ExitCode(1)
            }
            let model: PipelineModel
            do { model = try PipelineModel.load(configuration) } catch {
                printError("\(error)")
                throw ExitCode(1)
            }
            print("\(file): OK: venue \(model.venue.id), model for \(model.model.features.sensorCount) sensors and \(model.model.classes.count) zones, \(configuration.sources.count) source(s)")
        }
    }
}
