import Glibc
import MallGateTestSupport
import Testing

/// The systemd watchdog hears from the pipeline itself: when the pipeline stalls, the
/// `WATCHDOG=1` messages stop while the process lives on, so systemd (WatchdogSec=) kills and
/// restarts it. A timer that pinged regardless would keep a stuck agent "healthy" for years.
@Suite("Watchdog")
struct WatchdogTests {
    @Test("a stalled pipeline stops the watchdog heartbeat")
    func stalledPipelineStopsTheHeartbeat() async throws {
        let f = try #require(await DaemonProcessTests.fixture.value, "the simulate/train fixture failed")
        let sources = "[[sources]]\nkind = \"directory\"\npath = \"\(f.captures)\"\n"
        let (config, _) = DaemonProcessTests.writeConfiguration(f, name: "watchdog", sources: sources)
        let directory = String(config.dropLast("/gateway.toml".count))
        let receiver = try #require(DatagramReceiver(path: directory + "/notify.sock"))
        let stallAfter = 4.0
        let daemon = try #require(BackgroundProcess(
            arguments: [mallgateBinary, "run", "--config", config],
            environment: [
                "NOTIFY_SOCKET": directory + "/notify.sock", "WATCHDOG_USEC": "1000000",
                "MALLGATE_FAULT_STALL_AFTER_SECONDS": String(stallAfter),
            ],
            directory: directory))
        defer { _ = daemon.waitForExitBlocking(seconds: 0) }  // kills and reaps it

        // Every message with the time the kernel queued it: this loop may be starved for
        // seconds on a busy machine, so the time it reads a message says nothing.
        var arrivals: [(message: String, arrival: Double)] = []
        func ready() -> Double? { arrivals.first { $0.message.hasPrefix("READY=1") }?.arrival }
        // Listen until `stallAfter + 6` seconds after READY=1, however late that came.
        _ = await waitFor(seconds: 60) {
            arrivals += receiver.receiveAllWithArrival()
            guard let ready = ready() else { return false }
            return wallSeconds() > ready + stallAfter + 6
        }
        arrivals += receiver.receiveAllWithArrival()
        #expect(arrivals.first?.message.hasPrefix("READY=1") == true, "\(arrivals)")
        #expect(!arrivals.contains { $0.arrival.isNaN }, "a datagram without its arrival time")
        // The engine (and its stall clock) exists before READY=1, so it stalls at most
        // `stallAfter` seconds after READY=1 arrived.
        let readyArrival = try #require(ready(), "no READY=1: \(arrivals)")
        let pings = arrivals.filter { $0.message == "WATCHDOG=1" }.map { $0.arrival - readyArrival }
        // Alive and processing: pings while the pipeline runs…
        #expect(pings.contains { $0 < stallAfter }, "no WATCHDOG=1 before the stall: \(arrivals)")
        // …none once it is stuck (a ping can be in flight for one tick after the deadline),
        #expect(!pings.contains { $0 > stallAfter + 2 }, "WATCHDOG=1 after the pipeline stalled (seconds after READY=1): \(pings)")
        // …though the process itself is still there: only the watchdog can tell.
        #expect(kill(daemon.pid, 0) == 0, "the daemon exited instead of hanging")
    }
}
