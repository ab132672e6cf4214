/// The recent positions of the devices visitors asked about in "where am I", and nothing else.
///
/// Kept in memory only, for ``historyNanoseconds``: the demo shows a path of the last few minutes.
actor WhereAmITracker {
    struct Position: Sendable, Codable, Equatable {
        var zone: String
        var confidence: Float
        /// Window end, Unix seconds (pipeline clock).
        var time: Double
    }

    static let historyNanoseconds: Int64 = 5 * 60 * 1_000_000_000
    static let maximumPositions = 120

    private var paths: [UInt64: [(Int64, Position)]] = [:]

    func receive(_ w: WatchedWindow) {
        var path = paths[w.device] ?? []
        path.append((w.endNanoseconds, Position(zone: w.zone, confidence: w.confidence, time: Double(w.endNanoseconds) / 1e9)))
        let cutoff = w.endNanoseconds - Self.historyNanoseconds
        path.removeAll { $0.0 < cutoff }
        if path.count > Self.maximumPositions { path.removeFirst(path.count - Self.maximumPositions) }
        paths[w.device] = path
    }

    /// The device's positions of the last few minutes, oldest first.
    func path(_ device: UInt64) -> [Position] { paths[device]?.map(\.1) ?? [] }

    /// Forgets every device not in `devices` (their sessions ended or changed device).
    func keep(_ devices: Set<UInt64>) { paths = paths.filter { devices.contains($0.key) } }
}
