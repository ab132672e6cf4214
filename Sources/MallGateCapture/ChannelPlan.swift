/// One Wi-Fi channel to tune a radio to, by channel number or centre frequency, with an optional width.
///
/// Probe requests are sent on every channel a phone scans, so a sensor listens on
/// one channel or hops; `iw` accepts either a channel number or a frequency, plus a
/// width keyword (iw(8): `set channel <n> [NOHT|HT20|HT40+|HT40-|5MHz|10MHz|80MHz|160MHz]`).
public struct Channel: Hashable, Sendable, CustomStringConvertible {
    /// The channel width keywords `iw` understands.
    public struct Width: Hashable, Sendable {
        let keyword: String
        /// 20 MHz without HT (802.11a/b/g only).
        public static let noHT = Width(keyword: "NOHT")
        /// 20 MHz HT.
        public static let ht20 = Width(keyword: "HT20")
        /// 40 MHz, secondary channel above.
        public static let ht40Plus = Width(keyword: "HT40+")
        /// 40 MHz, secondary channel below.
        public static let ht40Minus = Width(keyword: "HT40-")
        /// 80 MHz (VHT/HE).
        public static let mhz80 = Width(keyword: "80MHz")
        /// 160 MHz (VHT/HE).
        public static let mhz160 = Width(keyword: "160MHz")
    }

    enum Tuning: Hashable, Sendable {
        case number(Int)
        case megahertz(Int)
    }

    let tuning: Tuning
    /// The width, or nil to let the driver choose.
    public let width: Width?

    /// A channel by number (1–14 at 2.4 GHz, 36–177 at 5 GHz).
    public static func number(_ number: Int, width: Width? = nil) -> Channel {
        Channel(tuning: .number(number), width: width)
    }

    /// A channel by centre frequency in MHz, needed where numbers are ambiguous (6 GHz).
    public static func frequency(megahertz: Int, width: Width? = nil) -> Channel {
        Channel(tuning: .megahertz(megahertz), width: width)
    }

    /// The arguments after `iw dev IFACE set`.
    var iwArguments: [String] {
        var arguments: [String]
        switch tuning {
        case .number(let number): arguments = ["channel", String(number)]
        case .megahertz(let mhz): arguments = ["freq", String(mhz)]
        }
        if let width { arguments.append(width.keyword) }
        return arguments
    }

    public var description: String {
        let base: String
        switch tuning {
        case .number(let number): base = "channel \(number)"
        case .megahertz(let mhz): base = "\(mhz) MHz"
        }
        return width.map { "\(base) \($0.keyword)" } ?? base
    }
}

/// Which channels one sensor's radio listens on: one fixed channel, or a hop list with a dwell time.
///
/// Fixed is best when sensors cover channels 1/6/11 between them (as in the Baccichet
/// dataset); a single radio hops to hear phones that scan only some channels.
public struct ChannelPlan: Hashable, Sendable {
    /// The channels, in hop order (one for a fixed plan).
    public let channels: [Channel]
    /// How long to stay on each channel; nil for a fixed plan.
    public let dwell: Duration?

    /// Stay on one channel.
    public static func fixed(_ channel: Channel) -> ChannelPlan {
        ChannelPlan(channels: [channel], dwell: nil)
    }

    /// Cycle through `channels`, staying `dwell` on each.
    ///
    /// - Throws: ``CaptureError`` (`.invalidConfiguration`) for an empty list or a dwell that is not positive.
    public static func hopping(_ channels: [Channel], dwell: Duration) throws(CaptureError) -> ChannelPlan {
        guard !channels.isEmpty else {
            throw CaptureError(
                .invalidConfiguration, sensor: nil, subject: "channel plan",
                summary: "a hopping channel plan needs at least one channel",
                advice: "list channels such as 1, 6, 11, or use a fixed plan")
        }
        guard dwell > .zero else {
            throw CaptureError(
                .invalidConfiguration, sensor: nil, subject: "channel plan",
                summary: "the dwell time must be positive (got \(dwell))",
                advice: "use a dwell of a few hundred milliseconds, e.g. 250 ms, so each channel catches a scan burst")
        }
        return ChannelPlan(channels: channels, dwell: dwell)
    }
}
