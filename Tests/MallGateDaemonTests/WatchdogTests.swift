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

        // Every message with the time it arrived, seconds after the start.
        let start = ContinuousClock.now
        func elapsed() -> Double {
            let d = ContinuousClock.now - start
            return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
        }
        var arrivals: [(time: Double, message: String)] = []
        _ = await waitFor(seconds: stallAfter + 6) {
            for m in receiver.receiveAll() { arrivals.append((elapsed(), m)) }
            return false
        }
        let pings = arrivals.filter { $0.message == "WATCHDOG=1" }.map(\.time)
        #expect(arrivals.first?.message.hasPrefix("READY=1") == true, "\(arrivals)")
        // Alive and processing: pings while the pipeline runs…
        #expect(pings.contains { $0 < stallAfter }, "no WATCHDOG=1 before the stall: \(arrivals)")
        // …none once it is stuck (a ping can be in flight for one tick after the deadline),
        #expect(!pings.contains { $0 > stallAfter + 2 }, "WATCHDOG=1 after the pipeline stalled: \(pings)")
        // …though the process itself is still there: only the watchdog can tell.
        #expect(kill(daemon.pid, 0) == 0, "the daemon exited instead of hanging")
    }
}
