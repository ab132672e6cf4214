internal import Glibc

/// What `iw` says about one radio and about the regulatory domain, parsed into the few facts the doctor needs.
public struct RadioChannelReport: Sendable, Equatable {
    /// The channel number the radio is tuned to, nil when `iw dev NAME info` shows none (a radio that is down).
    public var channel: Int?
    /// Its centre frequency in MHz.
    public var frequencyMHz: Int?

    public init(channel: Int?, frequencyMHz: Int?) {
        self.channel = channel
        self.frequencyMHz = frequencyMHz
    }

    /// Parses `iw dev NAME info`, whose channel line reads `channel 6 (2437 MHz), width: 20 MHz (no HT), …`.
    public static func parse(iwInfo text: String) -> RadioChannelReport {
        for line in text.split(separator: "\n") {
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard words.first == "channel", words.count >= 2, let channel = Int(words[1]) else { continue }
            var frequency: Int?
            if words.count >= 3 { frequency = Int(words[2].drop(while: { $0 == "(" })) }
            return RadioChannelReport(channel: channel, frequencyMHz: frequency)
        }
        return RadioChannelReport(channel: nil, frequencyMHz: nil)
    }

    /// The country of the global regulatory domain in `iw reg get` (`country DE: DFS-ETSI`), `00` when unset.
    ///
    /// Phy-specific domains (`phy#0 (self-managed)`) follow the global one, so the first `country` line wins.
    public static func parse(regulatoryDomain text: String) -> String? {
        for line in text.split(separator: "\n") {
            let trimmed = line.drop(while: { $0 == " " || $0 == "\t" })
            guard trimmed.hasPrefix("country ") else { continue }
            let code = trimmed.dropFirst("country ".count).prefix(while: { $0 != ":" && $0 != " " })
            if !code.isEmpty { return String(code) }
        }
        return nil
    }
}

extension Doctor {
    /// Channels the world regulatory domain (`00`) does not let a radio use freely: 12–14 and all of 5 GHz.
    ///
    /// A box shipped without a country set receives nothing on them, and nothing says so: the
    /// sensor simply hears fewer phones than its neighbours.
    static func needsCountry(_ channel: Int) -> Bool { channel >= 12 }

    /// Each radio is on a channel it was configured for, and the country allows the configured channels.
    ///
    /// The daemon tunes radios that list `channels` when it starts (CAP_NET_ADMIN), so a radio off
    /// its channel is a warning: before the first start it is expected, afterwards it means the
    /// tuning failed or something else (NetworkManager, wpa_supplicant) moved the radio.
    static func checkChannels(_ configuration: DaemonConfiguration, _ environment: DoctorEnvironment) -> [DoctorCheck] {
        var checks: [DoctorCheck] = []
        var configured: [Int] = []
        for source in configuration.sources {
            guard case let .interface(name, channels, _, _) = source.kind else { continue }
            configured += channels
            guard access(environment.netClassDirectory + "/" + name, F_OK) == 0 else { continue }  // reported by interface.NAME
            let id = "channel.\(name)"
            guard let info = environment.radioInfo(name) else {
                checks.append(DoctorCheck(
                    id: id, status: .warn, message: "cannot ask `iw dev \(name) info` which channel \(name) is on",
                    fix: "install iw (`apt-get install iw`) and run the doctor again"))
                continue
            }
            let report = RadioChannelReport.parse(iwInfo: info)
            let plan = channels.map(String.init).joined(separator: ", ")
            guard let current = report.channel else {
                checks.append(DoctorCheck(
                    id: id, status: channels.isEmpty ? .warn : .fail,
                    message: "\(name) (sensor \(source.sensor)) is not tuned to any channel (is the radio down?)",
                    fix: "`ip link set \(name) up`, then `iw dev \(name) set channel \(channels.first ?? 1)`; the radio unit `mallgate-radio@\(name)` does both at boot"))
                continue
            }
            let on = "\(name) (sensor \(source.sensor)) is on channel \(current)" + (report.frequencyMHz.map { " (\($0) MHz)" } ?? "")
            if channels.isEmpty {
                checks.append(DoctorCheck(id: id, status: .ok, message: on + "; mallgate does not tune it (no `channels` in \(configuration.file))"))
            } else if channels.contains(current) {
                checks.append(DoctorCheck(id: id, status: .ok, message: on + (channels.count > 1 ? ", one of the hop list \(plan)" : ", as configured")))
            } else {
                checks.append(DoctorCheck(
                    id: id, status: .warn,
                    message: on + ", not on the configured " + (channels.count > 1 ? "hop list \(plan)" : "channel \(plan)")
                        + "; the daemon tunes it at start, so if the service is running the tuning failed or another program moved the radio",
                    fix: "check `journalctl -u mallgate` for channel errors and that NetworkManager leaves \(name) alone (`nmcli device set \(name) managed no`); by hand: `iw dev \(name) set channel \(channels[0])`"))
            }
        }
        let restricted = Array(Set(configured.filter(needsCountry))).sorted()
        guard !configured.isEmpty else { return checks }
        guard let regulatory = environment.regulatoryDomain() else {
            if !restricted.isEmpty {
                checks.append(DoctorCheck(
                    id: "regulatory-domain", status: .warn, message: "cannot ask `iw reg get` whether channels \(restricted.map(String.init).joined(separator: ", ")) are allowed here",
                    fix: "install iw and run the doctor again"))
            }
            return checks
        }
        let country = RadioChannelReport.parse(regulatoryDomain: regulatory) ?? "00"
        if country == "00" && !restricted.isEmpty {
            checks.append(DoctorCheck(
                id: "regulatory-domain", status: .warn,
                message: "no country is set (world domain 00), which does not allow channels \(restricted.map(String.init).joined(separator: ", ")) listed in \(configuration.file): radios there hear little or nothing",
                fix: "set the venue's country: `iw reg set XX` now and `options cfg80211 ieee80211_regdom=XX` in /etc/modprobe.d/cfg80211.conf (Raspberry Pi: `raspi-config nonint do_wifi_country XX`)"))
        } else {
            checks.append(DoctorCheck(id: "regulatory-domain", status: .ok, message: "country \(country)" + (restricted.isEmpty ? "; all configured channels are in 1–11" : "")))
        }
        return checks
    }
}

extension DoctorEnvironment {
    /// Runs a shell command line; its exit status and what it printed on stdout (nil when it
    /// could not be started). The doctor's one way of asking a system tool (iw, timedatectl, sqlite3).
    static func run(_ command: String) -> (status: Int32, output: String)? {
        guard let pipe = popen(command, "r") else { return nil }
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = fread(&buffer, 1, buffer.count, pipe)
            if n <= 0 { break }
            output += buffer[0..<n]
        }
        let status = pclose(pipe)
        return ((status >> 8) & 0xFF, String(decoding: output, as: UTF8.self))
    }

    /// Runs a shell command and returns its standard output, or nil when it fails or prints nothing.
    static func commandOutput(_ command: String) -> String? {
        guard let result = run(command + " 2>/dev/null"), result.status == 0, !result.output.isEmpty else { return nil }
        return result.output
    }

    /// `path` quoted for /bin/sh.
    static func shellQuoted(_ path: String) -> String {
        "'" + path.split(separator: "'", omittingEmptySubsequences: false).joined(separator: "'\\''") + "'"
    }

    /// `iw dev NAME info` (interface names are checked to be shell-safe first).
    public static let iwDeviceInfo: @Sendable (String) -> String? = { name in
        guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." }) else { return nil }
        return commandOutput("iw dev \(name) info")
    }

    /// `iw reg get`.
    public static let iwRegulatoryDomain: @Sendable () -> String? = { commandOutput("iw reg get") }
}
