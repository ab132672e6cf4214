internal import Synchronization

/// Keeps one radio on its ``ChannelPlan``: tunes it, then (for a hop list) moves on every dwell time.
///
/// Runs as an async function so the agent can start it in its service group and
/// stop it by cancelling the task; time comes from an injected clock so tests step
/// through hops without sleeping. ``currentChannel`` lets the capture side attribute
/// frames to the channel being listened on (to within one `iw` call's latency).
public final class ChannelHopper: Sendable {
    /// The radio's interface.
    public let interface: String
    /// The sensor the radio belongs to, for errors.
    public let sensor: SensorID
    /// The channels and dwell time.
    public let plan: ChannelPlan
    let control: ChannelControl
    /// Index in `plan.channels` of the channel tuned last; -1 before the first tune.
    private let current = Atomic<Int>(-1)

    /// A hopper for `interface` following `plan`, tuning through `control`.
    public init(interface: String, sensor: SensorID, plan: ChannelPlan, control: ChannelControl = ChannelControl()) {
        self.interface = interface
        self.sensor = sensor
        self.plan = plan
        self.control = control
    }

    /// The channel the radio was last tuned to; nil before the first tune succeeded.
    public var currentChannel: Channel? {
        let index = current.load(ordering: .acquiring)
        return index >= 0 ? plan.channels[index] : nil
    }

    /// Tunes the radio and, for a hop list, keeps hopping until the task is cancelled.
    ///
    /// A fixed plan tunes once and returns. Cancellation ends the loop normally.
    /// - Throws: the first ``CaptureError`` from tuning; a radio that cannot be tuned stops the hopper.
    public func run<C: Clock>(clock: C) async throws(CaptureError) where C.Duration == Duration {
        var index = 0
        while !Task.isCancelled {
            let channel = plan.channels[index]
            try await control.tune(interface: interface, to: channel, sensor: sensor)
            current.store(index, ordering: .releasing)
            guard let dwell = plan.dwell else { return }
            do {
                try await clock.sleep(for: dwell)
            } catch {
                return  // cancelled
            }
            index = (index + 1) % plan.channels.count
        }
    }

    /// ``run(clock:)`` on the continuous (monotonic) clock.
    public func run() async throws(CaptureError) {
        try await run(clock: ContinuousClock())
    }
}
