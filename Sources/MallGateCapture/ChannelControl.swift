internal import Subprocess

/// What running a helper command produced, as the channel code needs it.
enum CommandOutcome: Sendable, Equatable {
    /// The executable is not installed (not on PATH).
    case notFound
    /// It could not be started for another reason.
    case failedToLaunch(String)
    /// It ran and exited (a signal counts as 128 + signal, as in shells).
    case exited(status: Int32, standardError: String)
}

/// Runs a command; injected so channel tests run without a radio or `iw`.
protocol CommandRunner: Sendable {
    func run(_ executable: String, _ arguments: [String]) async -> CommandOutcome
}

/// Runs commands with swift-subprocess (no shell, no Foundation).
struct SubprocessRunner: CommandRunner {
    func run(_ executable: String, _ arguments: [String]) async -> CommandOutcome {
        do {
            let result = try await Subprocess.run(
                .name(executable), arguments: Arguments(arguments),
                output: .discarded, error: .string(limit: 16 << 10))
            let status: Int32
            switch result.terminationStatus {
            case .exited(let code): status = code
            case .signaled(let signal): status = 128 + signal
            }
            return .exited(status: status, standardError: result.standardError)
        } catch let error as SubprocessError where error.code == .executableNotFound {
            return .notFound
        } catch {
            return .failedToLaunch("\(error)")
        }
    }
}

/// Tunes a radio with the `iw` tool, turning its failures into errors people can act on.
///
/// `iw` is the supported nl80211 front end on every Linux the gateway runs; calling
/// it (rather than speaking netlink) keeps this module small, and a channel change
/// every few hundred milliseconds makes the process cost irrelevant.
public struct ChannelControl: Sendable {
    let runner: any CommandRunner
    /// The `iw` executable (a name looked up on PATH, or a path).
    let tool: String

    /// Uses `iw` from PATH.
    public init() {
        self.init(runner: SubprocessRunner(), tool: "iw")
    }

    init(runner: any CommandRunner, tool: String = "iw") {
        self.runner = runner
        self.tool = tool
    }

    /// Tunes `interface` to `channel` (`iw dev IFACE set channel N [width]`).
    ///
    /// - Throws: ``CaptureError``: `.toolMissing` (install `iw`), `.noSuchDevice`,
    ///   `.permissionDenied` (needs CAP_NET_ADMIN), `.channelRejected` (not allowed here, or the interface is busy).
    public func tune(interface: String, to channel: Channel, sensor: SensorID? = nil) async throws(CaptureError) {
        let arguments = ["dev", interface, "set"] + channel.iwArguments
        let command = ([tool] + arguments).joined(separator: " ")
        switch await runner.run(tool, arguments) {
        case .exited(status: 0, _):
            return
        case .notFound:
            throw CaptureError(
                .toolMissing, sensor: sensor, subject: interface, function: tool,
                summary: "cannot change channels on \(interface): the `\(tool)` tool is not installed",
                advice: "install it (Debian/Ubuntu: apt install iw) or use a fixed channel set outside MallGate")
        case .failedToLaunch(let reason):
            throw CaptureError(
                .channelRejected, sensor: sensor, subject: interface, function: tool, systemMessage: reason,
                summary: "could not start `\(command)`", advice: "check that \(tool) is executable")
        case .exited(let status, let standardError):
            throw Self.iwError(command: command, status: status, message: standardError, interface: interface, channel: channel, sensor: sensor)
        }
    }

    /// Maps `iw`'s stderr ("command failed: No such device (-19)") to advice.
    static func iwError(command: String, status: Int32, message raw: String, interface: String, channel: Channel, sensor: SensorID?) -> CaptureError {
        let message = raw.split(whereSeparator: \.isNewline).joined(separator: " ")
        func error(_ kind: CaptureError.Kind, _ summary: String, _ advice: String) -> CaptureError {
            CaptureError(kind, sensor: sensor, subject: interface, function: command, code: status,
                         systemMessage: message, summary: summary, advice: advice)
        }
        if message.contains("No such device") || message.contains("(-19)") {
            return error(.noSuchDevice, "there is no wireless interface named \(interface)",
                         "list radios with `iw dev` and fix the interface name")
        }
        if message.contains("Operation not permitted") || message.contains("(-1)") {
            return error(.permissionDenied, "changing the channel of \(interface) was refused: it needs CAP_NET_ADMIN",
                         "run as root or grant it with AmbientCapabilities=CAP_NET_ADMIN CAP_NET_RAW in the systemd unit")
        }
        if message.contains("nl80211 not found") {
            return error(.noSuchDevice, "this kernel has no Wi-Fi (nl80211/cfg80211) support loaded, so \(interface) cannot be tuned",
                         "load the radio's driver (modprobe cfg80211 and the adapter's module) or run on a host with the Wi-Fi adapter")
        }
        if message.contains("Device or resource busy") || message.contains("(-16)") {
            return error(.channelRejected, "\(interface) is busy and cannot change to \(channel)",
                         "a managed (connected) interface follows its access point; tune a dedicated monitor interface and keep NetworkManager off it")
        }
        if message.contains("Invalid argument") || message.contains("(-22)") {
            return error(.channelRejected, "\(interface) refused \(channel)",
                         "the channel or width is not allowed by the adapter or the regulatory domain (`iw reg get`, `iw phy`)")
        }
        return error(.channelRejected, "`\(command)` failed with status \(status)",
                     "run the command by hand to see why")
    }
}
