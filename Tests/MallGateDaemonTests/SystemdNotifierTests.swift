import Glibc
import MallGateDaemon
import Testing
import MallGateTestSupport

/// sd_notify as systemd speaks it (sd_notify(3)): one AF_UNIX datagram per message, to a path
/// or to an abstract name written with a leading '@'. The test binds the socket, like systemd.
struct SystemdNotifierTests {
    @Test func messagesReachASocketBoundToAPath() throws {
        let directory = makeTemporaryDirectory("notify")
        let receiver = try #require(DatagramReceiver(path: directory + "/notify.sock"))
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": directory + "/notify.sock", "WATCHDOG_USEC": "4000000"])
        #expect(notifier.watchdogIntervalNanoseconds == 2_000_000_000)
        #expect(notifier.send("READY=1"))
        #expect(notifier.send("STATUS=12 frames/s"))
        #expect(receiver.receiveAll() == ["READY=1", "STATUS=12 frames/s"])
    }

    @Test func messagesReachAnAbstractSocket() throws {
        let name = "mallgate-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let receiver = try #require(DatagramReceiver(abstractName: name))
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": "@" + name])
        #expect(notifier.watchdogIntervalNanoseconds == nil)
        #expect(notifier.send("WATCHDOG=1"))
        #expect(receiver.receiveAll() == ["WATCHDOG=1"])
    }

    @Test func withoutASocketNothingIsSent() {
        let notifier = SystemdNotifier(environment: [:])
        #expect(notifier.socketPath == nil)
        #expect(!notifier.send("READY=1"))
    }

    @Test func aWatchdogForAnotherProcessIsIgnored() {
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": "/run/x", "WATCHDOG_USEC": "1000000", "WATCHDOG_PID": "\(getpid() + 1)"])
        #expect(notifier.watchdogIntervalNanoseconds == nil)
    }
}
