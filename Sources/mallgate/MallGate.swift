import ArgumentParser
import MallGateCapture

@main
struct MallGate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mallgate",
        abstract: "Edge agent for shopping malls: from Wi-Fi probe requests to anonymous store visits.",
        discussion: """
            MallGate listens to the probe requests phones broadcast, through
            monitor-mode radios, remote sensors or capture files, and works out
            which stores people visit. Raw MAC addresses never leave memory,
            except on the screen of `parse`, a debugging tool for installers.
            """,
        version: "0.1.0 (\(libpcapVersion()))",
        subcommands: [
            ParseCommand.self,
            VenueCommand.self,
            SimulateCommand.self,
            TrainCommand.self,
            EvalCommand.self,
            LocateCommand.self,
            ConfigCommand.self,
            RunCommand.self,
            ReplayCommand.self,
            StatusCommand.self,
            DevicesCommand.self,
            DoctorCommand.self,
            ArtifactsCommand.self,
            SyncCommand.self,
        ]
    )
}
