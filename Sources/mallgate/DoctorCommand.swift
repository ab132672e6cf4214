import ArgumentParser
import MallGateDaemon

/// `mallgate doctor`: what fails in the field, checked on the gateway, each finding with its fix.
struct DoctorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check the gateway: config, model, radios, capabilities, clock, disk, database, drops, upstream.",
        discussion: """
            Prints one line per check: ok, warn or FAIL, what was found and how to
            fix it. Exit status: 0 when nothing failed (warnings allowed), 1 when
            a check failed. Capabilities are those of this process: run it as the
            service runs (same user and AmbientCapabilities=) to check the
            service's. The upstream check connects to the collector with the
            upload's TLS settings and asks whose the token is (GET /v1/whoami):
            an untrusted certificate or a wrong or revoked token fails.

            Example:
              mallgate doctor --config /etc/mallgate/gateway.toml
              mallgate doctor --config /etc/mallgate/gateway.toml --json
            """)

    @Option(help: ArgumentHelp("The configuration file (TOML).", valueName: "file"))
    var config: String

    @Flag(help: "Print one JSON object {\"checks\": [{id, status, message, fix}], \"failed\"} for fleet tooling.")
    var json = false

    func run() throws {
        let report = Doctor.run(configurationPath: config)
        print(json ? report.json : report.text, terminator: json ? "\n" : "")
        if report.failed { throw ExitCode(1) }
    }
}
