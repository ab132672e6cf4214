internal import Glibc
public import Logging

/// Logs one line per message to stderr, prefixed `<3>`…`<7>` when stderr is the journal.
///
/// journald reads a `<N>` prefix as the syslog priority (sd-daemon(3)), so `journalctl -p
/// warning` works without linking libsystemd. On a terminal the lines are plain
/// (`warning: message key=value`). Callers never pass MAC addresses: device ids only.
public struct JournalLogHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    private let label: String
    private let journal: Bool

    /// - Parameter journal: prefix priorities; by default when `JOURNAL_STREAM` is set (systemd sets it for stderr).
    public init(label: String, level: Logger.Level = .info, journal: Bool? = nil) {
        self.label = label
        self.logLevel = level
        self.journal = journal ?? (ProcessEnvironment.current["JOURNAL_STREAM"] != nil)
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var all = metadata
        if let extra = event.metadata { all.merge(extra) { _, new in new } }
        var line = journal ? "<\(Self.priority(event.level))>" : "\(event.level): "
        line += "\(event.message)"
        for key in all.keys.sorted() { line += " \(key)=\(all[key]!)" }
        line += "\n"
        // One write(2) per line: lines from several threads never interleave within a line.
        line.withUTF8 { bytes in _ = write(STDERR_FILENO, bytes.baseAddress, bytes.count) }
    }

    /// syslog priorities (RFC 5424): error 3, warning 4, notice 5, info 6, debug 7.
    static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .critical: 2
        case .error: 3
        case .warning: 4
        case .notice: 5
        case .info: 6
        case .debug, .trace: 7
        }
    }
}
