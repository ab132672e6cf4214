import ArgumentParser
import MallGateDaemon
#if canImport(Glibc)
import Glibc
#endif

/// `mallgate status`: what the daemon is doing, from its state directory and metrics endpoint.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show what the daemon is doing: sensors alive, frames/s, devices now per store, backlog.",
        discussion: """
            Reads the status file the daemon rewrites every few seconds in its
            state directory, and asks its metrics endpoint whether it answers.
            Works whether the daemon runs or not (a stopped daemon's last
            status is shown as such). Exit status: 0 running, 3 not running.

            Example:
              mallgate status --config /etc/mallgate/gateway.toml
            """)

    @Option(help: ArgumentHelp("The configuration file, to find the state directory.", valueName: "file"))
    var config: String?

    @Option(name: .customLong("state-directory"), help: ArgumentHelp("The state directory (instead of --config).", valueName: "dir"))
    var stateDirectory: String?

    func validate() throws {
        if (config == nil) == (stateDirectory == nil) { throw ValidationError("give --config or --state-directory") }
    }

    func run() throws {
        var directory = stateDirectory ?? ""
        if let config {
            do { directory = try DaemonConfiguration.load(path: config).stateDirectory } catch {
                for problem in error.problems { printError(problem.description) }
                throw ExitCode(1)
            }
        }
        guard let status = DaemonStatus.read(from: directory) else {
            printError("mallgate status: no status file in \(directory); the daemon has not run with this state directory (or cannot write it)")
            throw ExitCode(3)
        }
        let alive = kill(status.pid, 0) == 0 || errno == EPERM
        let age = DaemonStatus.now() - status.updated
        let running = alive && age < 60
        var page: String?
        if running, let listen = status.metrics, let (host, port) = DaemonConfiguration.parseListenAddress(listen) {
            page = MetricsProbe.fetch(host: host, port: port)
        }
        print(Self.render(status, running: running, age: age, metricsPage: page), terminator: "")
        if !running { throw ExitCode(3) }
    }

    static func render(_ s: DaemonStatus, running: Bool, age: Double, metricsPage: String?) -> String {
        var text = running
            ? "mallgate \(s.mode): running (pid \(s.pid), up \(duration(s.updated - s.started)), status \(Int(age)) s old)\n"
            : "mallgate \(s.mode): not running (last status \(duration(age)) ago, pid \(s.pid))\n"
        let silent = s.sensors.filter(\.silent)
        let heard = s.sensors.filter { $0.lastHeard != nil }
        text += "sensors: \(heard.count - silent.count) alive, \(silent.count) silent, \(s.sensors.count - heard.count) never heard\n"
        for sensor in silent {
            text += "  silent: \(sensor.name) (last heard \(sensor.lastHeard.map { duration(s.updated - $0) + " before the status" } ?? "never"))\n"
        }
        let restarts = s.sensors.filter { $0.restarts > 0 }
        for sensor in restarts { text += "  reopened: \(sensor.name) \(sensor.restarts) time(s)\n" }
        let dropped = s.sensors.reduce(UInt64(0)) { $0 + $1.droppedAtEdge + $1.kernelDropped }
        text += "frames/s \(fixed1(s.framesPerSecond)), probe requests/s \(fixed1(s.probeRequestsPerSecond)), positions/s \(fixed1(s.positionsPerSecond)); dropped \(dropped)\n"
        let inStores = s.devicesPerStore.values.reduce(0, +)
        text += "devices now: \(s.activeDevices) (in stores: \(inStores))\n"
        for (store, count) in s.devicesPerStore.sorted(by: { ($1.value, $0.key) < ($0.value, $1.key) }) {
            text += "  \(store): \(count)\n"
        }
        text += "totals: \(s.probeRequests) probe requests, \(s.positions) positions, \(s.visits) visits\n"
        var backlog = "backlog:"
        if let rows = s.sink.outboxBacklogRows { backlog += " \(rows) rows waiting for upload" } else { backlog += " unknown" }
        if let age = s.sink.outboxOldestAgeSeconds { backlog += ", oldest batch \(duration(age)) old" }
        text += backlog + "\n"
        if let sync = s.sync { text += renderSync(sync, now: s.updated) }
        var buffer = "database:"
        if let bytes = s.sink.databaseBytes { buffer += " \(fixed1(Double(bytes) / 1_048_576)) MiB" } else { buffer += " size unknown" }
        if let rows = s.sink.rowsCommitted { buffer += ", \(rows) positions committed since start" }
        if s.sink.diskFull == true { buffer += "; DISK FULL, rows held in memory" }
        text += buffer + "\n"
        if let error = s.lastReloadError { text += "last reload refused: \(error)\n" }
        if let listen = s.metrics {
            text += "metrics: http://\(listen)/metrics (\(metricsPage == nil ? "not answering" : "answering"))\n"
        }
        return text
    }

    /// The upload's lines: where to, what waits, what went, what failed last.
    static func renderSync(_ sync: SyncStatus, now: Double) -> String {
        var text = "sync: \(sync.state) → \(sync.collector) as \(sync.gatewayId); \(sync.pendingBatches) batches (\(sync.pendingRows) rows) pending, \(sync.unbatchedRows) rows not batched"
        if let age = sync.oldestPendingAgeSeconds { text += ", oldest \(duration(age)) old" }
        text += sync.parkedBatches > 0 ? "; \(sync.parkedBatches) PARKED (refused by the collector)\n" : "\n"
        text += "  sent \(sync.sentBatches) batches, \(sync.sentRows) rows, \(sync.sentBytes) bytes since start"
        text += sync.lastSuccess.map { "; last success \(duration(now - $0)) before the status\n" } ?? "; nothing delivered since start\n"
        if let error = sync.lastError {
            text += "  last error\(sync.lastErrorAt.map { " (\(duration(now - $0)) before the status)" } ?? ""): \(error)\n"
        }
        return text
    }

    static func duration(_ seconds: Double) -> String {
        let s = max(0, Int(seconds))
        if s < 60 { return "\(s) s" }
        if s < 3600 { return "\(s / 60) min" }
        return "\(s / 3600) h \(s % 3600 / 60) min"
    }

    static func fixed1(_ x: Double) -> String {
        let tenths = Int((x * 10).rounded())
        return "\(tenths / 10).\(abs(tenths % 10))"
    }
}
