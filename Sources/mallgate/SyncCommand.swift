import ArgumentParser
import Logging
import MallGateDaemon
#if canImport(Glibc)
import Glibc
#endif

/// `mallgate sync --once`: upload everything the buffer holds to the collector, then exit.
struct SyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Upload the buffered results to the collector now, then exit.",
        discussion: """
            Seals every row waiting in the state directory's buffer into upload
            batches and sends every pending batch to the collector named in
            [upstream], oldest first, exactly as the daemon does while it runs:
            a failed upload is retried with backoff (honouring Retry-After), a
            batch the collector refuses is parked with its reason and never
            resent. Stops when nothing is left, or when --give-up-after seconds
            pass without a batch getting through.

            Use it after `mallgate replay`, to flush a gateway before it is
            switched off, or to check an uplink by hand. It refuses to run while
            the daemon runs on the same state directory (the daemon uploads by
            itself).

            Exit status: 0 when everything was delivered; 1 when a batch was
            parked or batches are left (the collector unreachable, the token
            refused); 2 for a bad configuration or while the daemon runs.

            Example:
              mallgate sync --once --config /etc/mallgate/gateway.toml
            """)

    @Option(help: ArgumentHelp("The configuration file (TOML).", valueName: "file"))
    var config: String

    @Flag(help: "Drain the outbox once and exit (the only mode; the daemon syncs continuously).")
    var once = false

    @Option(name: .customLong("give-up-after"), help: ArgumentHelp("Stop retrying after this many seconds without a delivered batch.", valueName: "seconds"))
    var giveUpAfter: Double = 60

    @Flag(help: "No progress bar on standard error.")
    var quiet = false

    @Option(name: .customLong("log-level"), help: "Least severe log level written: debug, info, notice, warning, error.")
    var logLevel: LogLevelOption = .error

    func validate() throws {
        if !once { throw ValidationError("give --once (continuous upload is what `mallgate run` does)") }
        if !(giveUpAfter >= 0) { throw ValidationError("--give-up-after must be 0 or more seconds") }
    }

    func run() async throws {
        let configuration: DaemonConfiguration
        do { configuration = try DaemonConfiguration.load(path: config) } catch {
            for problem in error.problems { printError(problem.description) }
            throw ExitCode(2)
        }
        Daemon.bootstrapLogging(level: logLevel.level)
        let logger = Logger(label: "mallgate")
        let showProgress = !quiet && isatty(STDERR_FILENO) == 1
        let report: SyncOnceReport
        do {
            report = try await SyncService.once(
                configuration: configuration, giveUpAfterSeconds: giveUpAfter, logger: logger,
                progress: { progress in if showProgress { Self.drawProgress(progress) } })
        } catch {
            printError("mallgate sync: \(error)")
            throw ExitCode(2)
        }
        if showProgress { printError("\r\u{1B}[K", newline: false) }
        print(Self.render(report), terminator: "")
        if !report.succeeded { throw ExitCode(1) }
    }

    /// `[#####.....] 42%  1200/2900 rows, 3 batches` on one redrawn line.
    static func drawProgress(_ p: SyncProgress) {
        let fraction = p.totalRows == 0 ? 1 : min(1, Double(p.deliveredRows) / Double(p.totalRows))
        let filled = Int(fraction * 30)
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: 30 - filled)
        var line = "\r[\(bar)] \(Int(fraction * 100))%  \(p.deliveredRows)/\(p.totalRows) rows, \(p.deliveredBatches) batches"
        if let retrying = p.retrying { line += " — retrying: " + String(retrying.prefix(60)) }
        printError(line + "\u{1B}[K", newline: false)
    }

    static func render(_ r: SyncOnceReport) -> String {
        var text = "sealed \(r.sealedBatches) batches; delivered \(r.deliveredBatches) batches, \(r.deliveredRows) rows, \(r.bodyBytes) bytes in \(fixed1(r.elapsedSeconds)) s"
        text += r.duplicates > 0 ? " (\(r.duplicates) already at the collector)\n" : "\n"
        for parked in r.parked { text += "parked batch \(parked.sequence): \(parked.reason)\n" }
        if r.pendingBatches > 0 || r.unbatchedRows > 0 {
            text += "left: \(r.pendingBatches) batches pending, \(r.unbatchedRows) rows not sealed\n"
        }
        if let error = r.lastError { text += "last error: \(error)\n" }
        return text
    }

    static func fixed1(_ x: Double) -> String {
        let tenths = Int((x * 10).rounded())
        return "\(tenths / 10).\(abs(tenths % 10))"
    }
}
