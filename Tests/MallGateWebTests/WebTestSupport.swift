import Glibc
import Logging
import MallGateDecode
import MallGateIdentify
import MallGateLocalize
import MallGateTestSupport
import MallGateVenue
@testable import MallGateWeb
import Synchronization
import Testing

/// A stand-in for the agent: the demo venue, a real identify stage with a fresh key, and
/// windows the test hands in itself.
final class FakeBackend: WebBackend {
    let venue: Venue
    let stateDirectory: String
    let key = IdentityKey.random()
    let identifier: Mutex<DeviceIdentifier>
    let clock = Mutex<Int64>(1_795_946_400_000_000_000)  // 2026-11-29T10:00:00Z (date -u -d @1795946400)
    let tap = Mutex<(Set<UInt64>, (@Sendable (WatchedWindow) -> Void)?)>(([], nil))
    let reloads = Mutex(0)

    init(stateDirectory: String, optedOut: [MACAddress] = []) throws {
        let bytes = try #require(readFile(packageRoot + "/firmware-configs/venues/demo-mall.json"))
        venue = try VenueFile.decode(bytes, fileName: "demo-mall.json")
        self.stateDirectory = stateDirectory
        let scheme = DeviceIDScheme(key: key, rotation: .never)
        identifier = Mutex(DeviceIdentifier(key: key, optOut: OptOutList(key: key, hashes: optedOut.map { scheme.optOutHash($0) })))
    }

    var now: Int64 { clock.withLock { $0 } }
    func advance(seconds: Int64) { clock.withLock { $0 += seconds * 1_000_000_000 } }

    func layout() async -> WebLayout {
        WebLayout(venue: venue, layoutHash: 1, modelZones: venue.zones.map(\.id), modelPath: stateDirectory + "/model.mgm", stateDirectory: stateDirectory)
    }

    func live() async -> WebLiveState {
        WebLiveState(
            nowNanoseconds: now,
            sensors: venue.sensors.map { WebSensorHealth(id: $0.id, frames: 10, probeRequests: 5, kernelDrops: 0, pipelineDrops: 0, lastHeard: Double(now) / 1e9, silent: false, channels: $0.channels.channels) },
            occupancy: [:], activeDevices: 0)
    }

    func deviceID(of mac: MACAddress) async -> UInt64? {
        let t = now
        return identifier.withLock { $0.deviceID(mac, unixNanoseconds: t) }
    }

    func watch(_ devices: Set<UInt64>, onWindow: @escaping @Sendable (WatchedWindow) -> Void) async {
        tap.withLock { $0 = (devices, onWindow) }
    }

    func storeStatistics(sinceNanoseconds: Int64) async -> [WebStoreStatistics] { [] }

    func reload() async -> String? {
        reloads.withLock { $0 += 1 }
        return nil
    }

    var watched: Set<UInt64> { tap.withLock { $0.0 } }

    /// Hands a window of `device` to the web UI as the pipeline would: every sensor heard `frames` times at `rssi`.
    func emit(device: UInt64, first: Int64, last: Int64, zone: String, frames: UInt32 = 2, rssi: Float = -60) {
        let (devices, callback) = tap.withLock { $0 }
        guard devices.contains(device), let callback else { return }
        let names = venue.sensors.map(\.id)
        let sample = Sample(sensors: names.enumerated().map { i, _ in i % 2 == 0 ? SensorSummary(strongest: rssi + 2, median: rssi, count: frames) : .notHeard })
        callback(WatchedWindow(device: device, endNanoseconds: last, firstReadingNanoseconds: first, lastReadingNanoseconds: last, sample: sample, sensorNames: names, zone: zone, confidence: 0.75))
    }
}

/// Keeps every log line, at every level, so a test can search them.
struct CapturingLogHandler: LogHandler {
    let store: LogStore
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let line = "\(event.level) \(event.message) \(event.metadata ?? [:]) \(metadata)"
        store.lines.withLock { $0.append(line) }
    }
}

final class LogStore: Sendable {
    let lines = Mutex<[String]>([])
    var logger: Logger {
        let handler = CapturingLogHandler(store: self)
        return Logger(label: "web-test", factory: { _ in handler })
    }
    var text: String { lines.withLock { $0.joined(separator: "\n") } }
}

/// A wall clock the test moves by hand (sessions and the login brake read it), ns.
final class ManualClock: Sendable {
    private let time: Mutex<Int64>
    init(_ start: Int64) { time = Mutex(start) }
    var now: Int64 { time.withLock { $0 } }
    func advance(nanoseconds: Int64) { time.withLock { $0 += nanoseconds } }
}

/// Every regular file's text under `directory` (recursively).
func filesText(_ directory: String) -> [String: String] {
    var out: [String: String] = [:]
    guard let dir = opendir(directory) else { return out }
    defer { closedir(dir) }
    while let entry = readdir(dir) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        if name == "." || name == ".." { continue }
        let path = directory + "/" + name
        if entry.pointee.d_type == UInt8(DT_DIR) {
            out.merge(filesText(path)) { a, _ in a }
        } else if let text = readText(path) {
            out[path] = text
        }
    }
    return out
}
