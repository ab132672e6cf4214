import Synchronization
import Testing
@testable import MallGateCapture

/// Records every command instead of running it, answering with a scripted outcome.
final class FakeRunner: CommandRunner {
    let commands = Mutex<[[String]]>([])
    let outcome: @Sendable ([String]) -> CommandOutcome

    init(_ outcome: @escaping @Sendable ([String]) -> CommandOutcome = { _ in .exited(status: 0, standardError: "") }) {
        self.outcome = outcome
    }

    func run(_ executable: String, _ arguments: [String]) async -> CommandOutcome {
        commands.withLock { $0.append([executable] + arguments) }
        return outcome(arguments)
    }

    var recorded: [[String]] { commands.withLock { $0 } }
}

/// A clock whose sleeps return at once, advancing its own time; after `sleepsBeforeStop`
/// sleeps it throws CancellationError, as a cancelled Task.sleep does.
final class SteppingClock: Clock, @unchecked Sendable {
    struct Instant: InstantProtocol {
        var offset: Duration
        func advanced(by duration: Duration) -> Instant { Instant(offset: offset + duration) }
        func duration(to other: Instant) -> Duration { other.offset - offset }
        static func < (a: Instant, b: Instant) -> Bool { a.offset < b.offset }
    }

    private let state = Mutex<(now: Instant, sleeps: [Duration])>((Instant(offset: .zero), []))
    let sleepsBeforeStop: Int

    init(sleepsBeforeStop: Int) { self.sleepsBeforeStop = sleepsBeforeStop }

    var now: Instant { state.withLock { $0.now } }
    var minimumResolution: Duration { .nanoseconds(1) }
    var sleeps: [Duration] { state.withLock { $0.sleeps } }

    func sleep(until deadline: Instant, tolerance: Duration?) async throws {
        let stop = state.withLock { state -> Bool in
            state.sleeps.append(state.now.duration(to: deadline))
            state.now = deadline
            return state.sleeps.count >= sleepsBeforeStop
        }
        if stop { throw CancellationError() }
    }
}

struct ChannelHopperTests {
    @Test func hopsThroughThePlanOnTheInjectedClock() async throws {
        let runner = FakeRunner()
        let plan = try ChannelPlan.hopping([.number(1), .number(6, width: .ht20), .number(11)], dwell: .milliseconds(250))
        let hopper = ChannelHopper(interface: "mon0", sensor: "radio-1", plan: plan, control: ChannelControl(runner: runner))
        #expect(hopper.currentChannel == nil)
        let clock = SteppingClock(sleepsBeforeStop: 5)
        try await hopper.run(clock: clock)
        #expect(runner.recorded == [
            ["iw", "dev", "mon0", "set", "channel", "1"],
            ["iw", "dev", "mon0", "set", "channel", "6", "HT20"],
            ["iw", "dev", "mon0", "set", "channel", "11"],
            ["iw", "dev", "mon0", "set", "channel", "1"],
            ["iw", "dev", "mon0", "set", "channel", "6", "HT20"],
        ])
        #expect(clock.sleeps == Array(repeating: .milliseconds(250), count: 5))
        #expect(hopper.currentChannel == .number(6, width: .ht20))
    }

    @Test func fixedPlanTunesOnceAndReturns() async throws {
        let runner = FakeRunner()
        let hopper = ChannelHopper(
            interface: "mon0", sensor: "radio-1", plan: .fixed(.frequency(megahertz: 5180, width: .mhz80)),
            control: ChannelControl(runner: runner))
        let clock = SteppingClock(sleepsBeforeStop: 1)
        try await hopper.run(clock: clock)
        #expect(runner.recorded == [["iw", "dev", "mon0", "set", "freq", "5180", "80MHz"]])
        #expect(clock.sleeps.isEmpty)
        #expect(hopper.currentChannel?.description == "5180 MHz 80MHz")
    }

    @Test func cancellationStopsTheHopper() async throws {
        let runner = FakeRunner()
        let plan = try ChannelPlan.hopping([.number(1), .number(6)], dwell: .seconds(3600))
        let hopper = ChannelHopper(interface: "mon0", sensor: "radio-1", plan: plan, control: ChannelControl(runner: runner))
        let task = Task { try await hopper.run(clock: ContinuousClock()) }
        task.cancel()
        // An hour-long dwell on the real clock: the task ends only because cancellation stops it.
        try await task.value
        #expect(runner.recorded.count <= 1)
    }

    @Test func invalidPlansAreRefused() {
        #expect(throws: CaptureError.self) { _ = try ChannelPlan.hopping([], dwell: .milliseconds(100)) }
        #expect {
            _ = try ChannelPlan.hopping([.number(1)], dwell: .zero)
        } throws: { error in
            (error as! CaptureError).kind == .invalidConfiguration
        }
    }

    @Test func iwFailuresNameTheCauseAndTheFix() async {
        // Messages as iw 5.19 prints them ("command failed: <strerror> (<-errno>)").
        let cases: [(String, CaptureError.Kind, String)] = [
            ("command failed: No such device (-19)\n", .noSuchDevice, "iw dev"),
            ("command failed: Operation not permitted (-1)\n", .permissionDenied, "CAP_NET_ADMIN"),
            ("command failed: Device or resource busy (-16)\n", .channelRejected, "monitor interface"),
            ("command failed: Invalid argument (-22)\n", .channelRejected, "regulatory domain"),
        ]
        for (stderr, kind, advice) in cases {
            let control = ChannelControl(runner: FakeRunner { _ in .exited(status: 237, standardError: stderr) })
            await #expect {
                try await control.tune(interface: "mon0", to: .number(13), sensor: "radio-1")
            } throws: { error in
                let error = error as! CaptureError
                return error.kind == kind && error.description.contains(advice) && error.code == 237
                    && error.function == "iw dev mon0 set channel 13"
            }
        }
        let missing = ChannelControl(runner: FakeRunner { _ in .notFound })
        await #expect {
            try await missing.tune(interface: "mon0", to: .number(1))
        } throws: { error in
            let error = error as! CaptureError
            return error.kind == .toolMissing && error.description.contains("apt install iw")
        }
    }

    @Test func realIwOnAMissingDeviceIsExplained() async {
        // `iw dev nosuchdev set channel 6` on this machine prints "nl80211 not found." (no cfg80211);
        // on a host with Wi-Fi it prints "command failed: No such device (-19)". Both mean: no such radio.
        await #expect {
            try await ChannelControl().tune(interface: "nosuchdev", to: .number(6), sensor: "radio-1")
        } throws: { error in
            let error = error as! CaptureError
            return error.kind == .noSuchDevice && error.function == "iw dev nosuchdev set channel 6"
                && error.code == 1 && error.description.contains("nosuchdev")
        }
    }

    @Test func missingToolIsReportedForReal() async {
        let control = ChannelControl(runner: SubprocessRunner(), tool: "mallgate-no-such-iw")
        await #expect {
            try await control.tune(interface: "mon0", to: .number(6))
        } throws: { error in
            (error as! CaptureError).kind == .toolMissing
        }
    }
}
