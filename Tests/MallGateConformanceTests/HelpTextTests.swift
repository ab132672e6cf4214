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

    /// Every command's description is wrapped by hand within 79 columns, so an 80-column
    /// console shows it as written rather than re-wrapped with one word left on a line. Walks
    /// every subcommand `mallgate --help` lists, and theirs.
    @Test func descriptionsAreWrappedForAnEightyColumnConsole() {
        var pending: [[String]] = [[]]
        var checked: [String] = []
        while let command = pending.popLast() {
            let name = (["mallgate"] + command).joined(separator: " ")
            let wide = shell("COLUMNS=200 \(sh(mallgateBinary)) \(command.joined(separator: " ")) --help")
            let narrow = shell("COLUMNS=80 \(sh(mallgateBinary)) \(command.joined(separator: " ")) --help")
            #expect(wide.status == 0 && narrow.status == 0, "\(name) --help")
            #expect(Self.description(narrow.output) == Self.description(wide.output), "\(name) --help at 80 columns:\n\(narrow.output)")
            checked.append(name)
            pending += Self.subcommands(wide.output).map { command + [$0] }
        }
        // The top level, its 14 subcommands, config's and artifacts' and venue's.
        #expect(checked.count >= 20, "\(checked)")
    }

    /// The lines between the overview and USAGE: the command's own text.
    static func description(_ help: String) -> [Substring] {
        let lines = help.split(separator: "\n", omittingEmptySubsequences: false)
        guard let start = lines.firstIndex(of: "") else { return [] }
        let end = lines[start...].firstIndex { $0.hasPrefix("USAGE:") } ?? lines.endIndex
        return Array(lines[start..<end])
    }

    /// The names under SUBCOMMANDS.
    static func subcommands(_ help: String) -> [String] {
        let lines = help.split(separator: "\n", omittingEmptySubsequences: false)
        guard let start = lines.firstIndex(of: "SUBCOMMANDS:") else { return [] }
        return lines[(start + 1)...].prefix { !$0.isEmpty }.compactMap { $0.split(separator: " ").first.map(String.init) }
    }
}
