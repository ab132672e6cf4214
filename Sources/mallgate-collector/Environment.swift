import Glibc

enum Environment {
    static func value(_ name: String) -> String? { getenv(name).map { String(cString: $0) } }
}

enum WallClock {
    /// Wall-clock Unix milliseconds.
    static func unixMs() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
    }
}
