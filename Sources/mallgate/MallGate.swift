import ArgumentParser
import MallGateCapture

@main
struct MallGate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mallgate",
        abstract: "Edge agent: from Wi-Fi probe requests to anonymous store visits."
    )
    func run() throws {
        print(libpcapVersion())
    }
}
