import ArgumentParser
import Logging
import MallGateDaemon
import MallGateLocalize
import MallGateStore
#if canImport(Glibc)
import Glibc
#endif

/// `mallgate replay`: the daemon's pipeline over capture files.
struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Run the daemon's pipeline over capture files, then print a summary.",
        discussion: """
            The same stages as `mallgate run` — decode, identify, windows,
            model, venue-graph smoothing, store visits, the local buffer — fed
            from capture files instead of the configured sources: one file per
            sensor (the base name is the sensor id), or directories of them.
            Nothing is dropped. Results go to the SQLite buffer in the state
            directory (buffer.sqlite); the summary is read back from it. Used
            for tests, demos and backfills.

            Example:
              mallgate replay --config gateway.toml sim/ --speed 1
            """)

    @Option(help: ArgumentHelp("The configuration file (TOML).", valueName: "file"))
    var config: String

    @Argument(help: ArgumentHelp("Capture files, or directories of them, one file per sensor.", valueName: "captures"))
    var captures: [String]

    @Option(help: ArgumentHelp("Pace the replay: 1 at recorded speed, 10 ten times faster (default: as fast as possible).", valueName: "factor"))
    var speed: Double?

    @Option(name: .customLong("state-directory"), help: ArgumentHelp("Write results here instead of the configuration's state_directory.", valueName: "dir"))
    var stateDirectory: String?

    @Flag(help: "Also serve the metrics endpoint while replaying.")
    var metrics = false

    @Flag(help: "No progress bar on standard error.")
    var quiet = false

    @Option(name: .customLong("log-level"), help: "Least severe log level written: debug, info, notice, warning, error.")
    var logLevel: LogLevelOption = .warning

    func validate() throws {
        if let speed, !(speed > 0) { throw ValidationError("--speed must be positive") }
    }

    func run() async throws {
        var (configuration, model) = try loadForDaemon(config)
        if let stateDirectory { configuration.stateDirectory = stateDirectory }
        var paths: [String] = []
        for capture in captures {
            let inside = captureFiles(in: capture)
            var info = stat()
            if stat(capture, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR {
                guard !inside.isEmpty else {
                    printError("mallgate replay: \(capture): no .pcap, .pcapng or .cap file in this directory")
                    throw ExitCode(2)
                }
                paths += inside
            } else {
                paths.append(capture)
            }
        }
        let sensors = Set(model.model.features.sensorNames)
        for path in paths where !sensors.contains(sensorName(ofCapture: path)) {
            printError("mallgate replay: \(path): sensor \"\(sensorName(ofCapture: path))\" (the file's base name) is not a sensor of the model; name each capture after its sensor id")
            throw ExitCode(2)
        }
        var totalBytes: UInt64 = 0
        for path in paths {
            var info = stat()
            if stat(path, &info) == 0 { totalBytes += UInt64(info.st_size) }
        }
        Daemon.bootstrapLogging(level: logLevel.level)
        let logger = Logger(label: "mallgate")
        var options = PipelineService.Options()
        options.mode = "replay"
        options.exitWhenSourcesEnd = true
        options.reloadOnHangup = false
        options.speed = speed
        let showProgress = !quiet && isatty(STDERR_FILENO) == 1
        let summary: PipelineService.Summary?
        var watch: (@Sendable (PipelineService) async -> Void)?
        if showProgress { watch = { [totalBytes] service in await Self.progressBar(service, totalBytes: totalBytes) } }
        do {
            summary = try await Daemon.run(
                configuration: configuration, model: model, sources: [SourceConfiguration(kind: .files(paths: paths), sensor: "")],
                options: options, serveMetrics: metrics, logger: logger,
                watch: watch)
        } catch {
            printError("mallgate replay: \(error)")
            throw ExitCode(1)
        }
        if showProgress { printError("\r\u{1B}[K", newline: false) }
        guard let summary else { throw ExitCode(1) }
        print(Self.report(summary, stateDirectory: configuration.stateDirectory), terminator: "")
        for error in summary.captureErrors { printError("mallgate replay: \(error)") }
        if !summary.captureErrors.isEmpty { throw ExitCode(1) }
    }

    /// Redraws a one-line bar on standard error every 200 ms until cancelled.
    static func progressBar(_ service: PipelineService, totalBytes: UInt64) async {
        while !Task.isCancelled {
            let (bytes, probes) = service.progress()
            let fraction = totalBytes == 0 ? 0 : min(1, Double(bytes) / Double(totalBytes))
            let filled = Int(fraction * 30)
            let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: 30 - filled)
            printError("\r[\(bar)] \(Int(fraction * 100))%  \(probes) probe requests", newline: false)
            try? await Task.sleep(for: .milliseconds(200))
        }
    }

    /// The end-of-replay summary: totals, then per store (as read back from the database)
    /// visits, distinct visitors, passers-by and median dwell.
    static func report(_ s: PipelineService.Summary, stateDirectory: String) -> String {
        let rate = s.elapsedSeconds > 0 ? Double(s.counters.probeRequests) / s.elapsedSeconds : 0
        var text = "replayed \(s.counters.probeRequests) probe requests from \(s.sensors.filter { $0.frames > 0 }.count) sensors in \(String(format1(s.elapsedSeconds))) s (\(Int(rate.rounded())) probe requests/s)\n"
        if s.counters.optedOut > 0 { text += "opted out: \(s.counters.optedOut) probe requests dropped\n" }
        if s.counters.unknownSensor > 0 { text += "unknown to the model: \(s.counters.unknownSensor) probe requests from sensors it was not trained with\n" }
        text += "devices \(s.devicesSeen), positions \(s.counters.positions), visits \(s.counters.visits), passers-by \(s.counters.passersBy)\n"
        var buffer = "written to \(stateDirectory)/buffer.sqlite"
        if let bytes = s.sink.databaseBytes { buffer += " (\(format1(Double(bytes) / 1_048_576)) MiB" + (s.sink.outboxBacklogRows.map { ", \($0) rows waiting for upload)" } ?? ")") }
        text += buffer + "\n"
        if !s.stores.isEmpty {
            let width = max(5, s.stores.map(\.storeName.count).max() ?? 5)
            text += "store".padding(width) + "  visits  visitors  passers-by  median dwell\n"
            for store in s.stores {
                let median = store.medianDwellSeconds.map { "\(Int($0.rounded())) s" } ?? "-"
                text += store.storeName.padding(width) + "  " + String(store.visits).leftPadding(6) + "  " + String(store.visitors).leftPadding(8)
                    + "  " + String(store.passersBy).leftPadding(10) + "  " + median.leftPadding(12) + "\n"
            }
        }
        return text
    }
}

private func format1(_ x: Double) -> String {
    let tenths = Int((x * 10).rounded())
    return "\(tenths / 10).\(tenths % 10)"
}

extension String {
    func padding(_ width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
    func leftPadding(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}
