import ArgumentParser
import Logging
import MallGateDaemon

/// Log levels as the command line spells them.
enum LogLevelOption: String, ExpressibleByArgument, CaseIterable {
    case debug, info, notice, warning, error

    var level: Logger.Level {
        switch self {
        case .debug: .debug
        case .info: .info
        case .notice: .notice
        case .warning: .warning
        case .error: .error
        }
    }
}

/// `mallgate run`: the gateway daemon.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the gateway daemon: capture, localize, count store visits and buffer them, until stopped.",
        discussion: """
            Validates the configuration, venue and model (as `mallgate config
            check` does), starts every capture source and the metrics endpoint,
            and tells systemd when it is ready (Type=notify) and alive
            (WatchdogSec=). SIGTERM or SIGINT stops capture and flushes
            everything; SIGHUP reloads venue, model and configuration without
            losing frames (a bad reload keeps the running state and logs why).
            With an [upstream] section, results are uploaded to the collector
            as they are buffered. Logs go to standard error; a status file is
            kept in the state directory for `mallgate status`.

            Example:
              mallgate run --config /etc/mallgate/gateway.toml
            """)

    @Option(help: ArgumentHelp("The configuration file (TOML).", valueName: "file"))
    var config: String

    @Option(name: .customLong("log-level"), help: "Least severe log level written: debug, info, notice, warning, error.")
    var logLevel: LogLevelOption = .info

    func run() async throws {
        let (configuration, model) = try loadForDaemon(config)
        Daemon.bootstrapLogging(level: logLevel.level)
        let logger = Logger(label: "mallgate")
        do {
            _ = try await Daemon.run(
                configuration: configuration, model: model, options: PipelineService.Options(), serveMetrics: true, serveWeb: true,
                logger: logger, sync: true)
        } catch {
            printError("mallgate run: \(error)")
            throw ExitCode(1)
        }
    }
}

/// Loads the configuration, venue and model, printing every problem and exiting 1 on failure.
func loadForDaemon(_ path: String) throws -> (DaemonConfiguration, PipelineModel) {
    do {
        return try Daemon.prepare(configPath: path)
    } catch let error as ConfigurationError {
        for problem in error.problems { printError(problem.description) }
        throw ExitCode(1)
    } catch {
        printError("\(error)")
        throw ExitCode(1)
    }
}
