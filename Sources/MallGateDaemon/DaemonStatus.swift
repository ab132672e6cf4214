internal import MallGateSystem
internal import FoundationEssentials
internal import Glibc

/// What the daemon last said about itself: written to `STATE/status.json` every few seconds.
///
/// `mallgate status` reads it without talking to the daemon, so it works as any user that
/// can read the state directory, and tells a stopped daemon (stale `updated`) from a live one.
/// Written atomically (temporary file + rename): a reader never sees half a file.
public struct DaemonStatus: Codable, Sendable, Equatable {
    public struct Sensor: Codable, Sendable, Equatable {
        public var name: String
        public var frames: UInt64
        public var probeRequests: UInt64
        public var droppedAtEdge: UInt64
        public var kernelDropped: UInt64
        /// Unix seconds of the last frame heard (capture clock); nil: never.
        public var lastHeard: Double?
        public var silent: Bool
        public var restarts: UInt64
    }

    public var pid: Int32
    /// Unix seconds when this was written.
    public var updated: Double
    public var started: Double
    /// `run` or `replay`.
    public var mode: String
    public var venue: String
    /// The metrics endpoint (`host:port`), or nil when disabled.
    public var metrics: String?
    public var sensors: [Sensor]
    /// Sources still capturing (a replayed file that ended no longer counts).
    public var sourcesRunning: Int
    /// Over the last status interval.
    public var framesPerSecond: Double
    public var probeRequestsPerSecond: Double
    public var positionsPerSecond: Double
    public var probeRequests: UInt64
    public var positions: UInt64
    public var visits: UInt64
    public var activeDevices: Int
    /// Devices whose latest position is in each store, by store zone id.
    public var devicesPerStore: [String: Int]
    public var sink: SinkStatistics
    public var reloads: UInt64
    /// Why the last reload was refused, if it was.
    public var lastReloadError: String?
    /// The upload to the collector; nil when `[upstream]` is not configured (or not running).
    public var sync: SyncStatus? = nil

    public static let fileName = "status.json"

    /// Writes `self` to `directory/status.json` atomically.
    /// - Returns: an error message, or nil on success.
    public func write(to directory: String) -> String? {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        guard let data = try? encoder.encode(self) else { return "cannot encode the status" }
        let path = directory + "/" + Self.fileName
        let temporary = path + ".tmp"
        guard let file = fopen(temporary, "w") else { return "\(temporary): \(String(cString: strerror(errno)))" }
        let written = data.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
        fclose(file)
        guard written == data.count, rename(temporary, path) == 0 else { return "\(path): \(String(cString: strerror(errno)))" }
        return nil
    }

    /// Reads `directory/status.json`.
    public static func read(from directory: String) -> DaemonStatus? {
        guard let bytes = readWholeFile(directory + "/" + fileName) else { return nil }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try? decoder.decode(DaemonStatus.self, from: Data(bytes))
    }
}

/// Unix time in seconds, from the wall clock.
func wallSeconds() -> Double { Date().timeIntervalSince1970 }

/// Unix time in nanoseconds, from the wall clock (to a microsecond or so: a Double's precision).
func wallNanoseconds() -> Int64 { Int64(Date().timeIntervalSince1970 * 1e9) }

/// The process's start on the monotonic clock.
private let monotonicBase = ContinuousClock.now

/// Nanoseconds on the monotonic clock since the process started: intervals that NTP steps do not bend.
func monotonicNanoseconds() -> Int64 {
    let elapsed = ContinuousClock.now - monotonicBase
    return elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000
}

extension DaemonStatus {
    /// Unix time in seconds now, to compare with ``updated``.
    public static func now() -> Double { wallSeconds() }
}
