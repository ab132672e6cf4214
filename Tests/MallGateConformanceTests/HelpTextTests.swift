import MallGateTestSupport
import Testing

/// `--help` is the installer's manual on site: changes to it are deliberate, reviewed here.
///
/// After an intended change, regenerate: `.build/debug/mallgate parse --help >
/// Tests/MallGateConformanceTests/Golden/parse-help.txt` (likewise for the others).
struct HelpTextTests {
    @Test(arguments: [
        (["--help"], "mallgate-help.txt"),
        (["parse", "--help"], "parse-help.txt"),
        (["venue", "--help"], "venue-help.txt"),
        (["simulate", "--help"], "simulate-help.txt"),
        (["train", "--help"], "train-help.txt"),
        (["locate", "--help"], "locate-help.txt"),
        (["config", "check", "--help"], "config-check-help.txt"),
        (["run", "--help"], "run-help.txt"),
        (["replay", "--help"], "replay-help.txt"),
        (["status", "--help"], "status-help.txt"),
        (["devices", "--help"], "devices-help.txt"),
        (["doctor", "--help"], "doctor-help.txt"),
        (["artifacts", "--help"], "artifacts-help.txt"),
        (["artifacts", "rollback", "--help"], "artifacts-rollback-help.txt"),
        (["artifacts", "install", "--help"], "artifacts-install-help.txt"),
        (["sync", "--help"], "sync-help.txt"),
    ])
    func helpMatchesTheGoldenText(arguments: [String], golden: String) throws {
        let expected = try #require(readText(packageRoot + "/Tests/MallGateConformanceTests/Golden/" + golden))
        let run = shell("COLUMNS=80 \(sh(mallgateBinary)) \(arguments.joined(separator: " "))")
        #expect(run.status == 0)
        #expect(run.output == expected)
    }
}
