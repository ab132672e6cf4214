import ArgumentParser
import Dispatch
import Synchronization
import MallGateCapture
import MallGateDecode
#if canImport(Glibc)
import Glibc
#endif

extension OutputFormat: ExpressibleByArgument {}

/// `mallgate parse`: decode what sensors hear and print it — the installer's first look.
struct ParseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "parse",
        abstract: "Decode probe requests from capture files, streams, radios or TZSP sensors, and print them.",
        discussion: """
            Each SOURCE is one sensor's input, optionally named SENSOR=SOURCE:
              FILE              a pcap or pcapng file; several files are replayed
                                together in timestamp order, as a venue heard them
              - or FIFO         a pcap stream, as written by tcpdump -w -
              iface:NAME        a live radio, put in monitor mode (needs
                                CAP_NET_RAW and CAP_NET_ADMIN); the kernel filter
                                passes probe requests only
              tzsp:[ADDR:]PORT  TZSP datagrams from remote sniffers (MikroTik…)

            One line per frame: sensor, time (UTC), frame number, MAC, randomized
            flag, RSSI and per-chain RSSI in dBm, channel, sequence number, SSID
            and IE fingerprint. A summary follows on standard error: frames read,
            probe requests, other frames, bad FCS, truncated and malformed
            frames, kernel and edge drops, per sensor.

            This is a debugging tool: raw MAC addresses appear on screen and
            nothing is stored. Malformed frames are counted and skipped. A broken
            or truncated file keeps every frame read before the break, says
            where it broke, and makes the exit status 1; a source that cannot be
            opened makes it 2.

            Examples:
              mallgate parse capture.pcapng
              mallgate parse entrance=s1.pcap foodcourt=s2.pcap --format table
              ssh sensor tcpdump -i mon0 -w - | mallgate parse -
              mallgate parse iface:wlan1 --hop 1,6,11 --duration 30
              mallgate parse tzsp:37008 --tzsp-sender 192.0.2.7
            """)

    @Argument(help: ArgumentHelp("Capture inputs, one per sensor (see above).", valueName: "source"))
    var sources: [String]

    @Option(help: "Output: json (one object per line), csv, table, or none (only the summary).")
    var format: OutputFormat = .json

    @Flag(help: "Also print other frames phones send (association requests, data to an AP, …).")
    var deviceFrames = false

    @Flag(name: .customLong("verify-fcs"), help: "Recompute the FCS of frames that carry one and drop mismatches (default: trust the radio's bad-FCS flag).")
    var verifyFCS = false

    @Option(help: "Stop after this many frames have been printed.")
    var count: Int?

    @Option(help: "Stop after this many seconds (for live sources).")
    var duration: Double?

    @Flag(inversion: .prefixedNo, help: "Put live interfaces in monitor mode (--no-monitor for one already in monitor mode).")
    var monitor = true

    @Option(help: "Bytes kept of each frame on live interfaces.")
    var snaplen: Int32 = 512

    @Option(name: .customLong("buffer-mib"), help: "Kernel capture buffer per live interface, in MiB.")
    var bufferMiB: Int32 = 8

    @Option(help: "Kernel (BPF) filter for live interfaces, in pcap-filter(7) syntax; default: probe requests, or with --device-frames every frame a phone sends.")
    var filter: String?

    @Option(help: "Tune live interfaces to this channel before capturing (through iw; needs CAP_NET_ADMIN).")
    var channel: Int?

    @Option(help: ArgumentHelp("Hop live interfaces over these channels, e.g. 1,6,11 (through iw; needs CAP_NET_ADMIN).", valueName: "channels"))
    var hop: String?

    @Option(name: .customLong("dwell-ms"), help: "With --hop: milliseconds to stay on each channel.")
    var dwellMilliseconds: Int = 250

    @Option(name: .customLong("tzsp-sender"), help: "Accept TZSP only from this sensor address (repeatable); default: any sender.")
    var tzspSenders: [String] = []

    func validate() throws {
        guard !sources.isEmpty else { throw ValidationError("name at least one source: a capture file, '-', iface:NAME or tzsp:PORT") }
        if let count, count <= 0 { throw ValidationError("--count must be at least 1 (got \(count))") }
        if let duration, !(duration > 0) { throw ValidationError("--duration must be a positive number of seconds (got \(duration))") }
        guard (64...65535).contains(snaplen) else { throw ValidationError("--snaplen must be between 64 and 65535 bytes (got \(snaplen))") }
        guard (1...1024).contains(bufferMiB) else { throw ValidationError("--buffer-mib must be between 1 and 1024 (got \(bufferMiB))") }
        if channel != nil && hop != nil { throw ValidationError("--channel and --hop exclude each other: stay on one channel, or hop") }
        _ = try channelPlan()
        var names: Set<String> = []
        for source in sources {
            let spec: SourceSpec
            do { spec = try SourceSpec.parse(source) } catch { throw ValidationError(error.description) }
            guard names.insert(spec.sensor).inserted else {
                throw ValidationError("two sources are named sensor \"\(spec.sensor)\"; name them apart with SENSOR=SOURCE")
            }
        }
    }

    func run() async throws {
        var specs: [SourceSpec] = []
        for source in sources {
            do { specs.append(try SourceSpec.parse(source)) } catch { throw ValidationError(error.description) }
        }
        let opened: [(source: any FrameSource, live: Bool)]
        do {
            opened = try openSources(specs)
        } catch let error as CaptureError {
            printError("mallgate parse: \(error)")
            throw ExitCode(2)
        }

        var options = CaptureSession.Options()
        options.decode = DecodeOptions(includeDeviceFrames: deviceFrames, fcsPolicy: verifyFCS ? .verify : .trustRadioHeader)
        let session = CaptureSession(sources: opened, options: options)
        let signals = stopOnSignals(session)
        defer { signals.forEach { $0.cancel() } }
        if let duration {
            Task {
                try? await Task.sleep(for: .milliseconds(Int(duration * 1000)))
                session.stop()
            }
        }

        let hopperFailed = FailureFlag()
        var hoppers: [Task<Void, Never>] = []
        if let plan = try channelPlan() {
            for spec in specs {
                guard case .interface(let name) = spec.kind else { continue }
                let hopper = ChannelHopper(interface: name, sensor: SensorID(spec.sensor), plan: plan)
                hoppers.append(Task {
                    do {
                        try await hopper.run()
                    } catch {
                        printError("mallgate parse: \(error)")
                        hopperFailed.set()
                        session.stop()
                    }
                })
            }
        }
        defer { hoppers.forEach { $0.cancel() } }

        let formatter = ObservationFormatter(format: format, sensors: session.sensors.map(\.rawValue))
        let out = OutputBuffer()
        if let header = formatter.header() { out.append(header) }
        var printed = 0
        for await batch in session.start() {
            guard format != .none || count != nil else { continue }
            for observation in batch {
                if let count, printed >= count { break }
                if format != .none { out.append(formatter.line(observation)) }
                printed += 1
            }
            if let count, printed >= count {
                session.stop()
            }
        }
        out.flush()

        let statistics = session.statistics()
        printError(SummaryReport(sensors: statistics).text)
        let errors = session.errors()
        for error in errors { printError("mallgate parse: \(error)") }
        if !errors.isEmpty || hopperFailed.isSet { throw ExitCode(1) }
    }

    /// The channel plan asked for with --channel or --hop, if any.
    private func channelPlan() throws -> ChannelPlan? {
        if let channel {
            guard (1...233).contains(channel) else { throw ValidationError("--channel \(channel) is not a Wi-Fi channel number (1–233)") }
            return .fixed(.number(channel))
        }
        guard let hop else { return nil }
        var channels: [Channel] = []
        for item in hop.split(separator: ",", omittingEmptySubsequences: false) {
            guard let number = Int(item.trimmingSpaces()), (1...233).contains(number) else {
                throw ValidationError("--hop \"\(hop)\": \"\(item)\" is not a Wi-Fi channel number (1–233); write e.g. --hop 1,6,11")
            }
            channels.append(.number(number))
        }
        guard dwellMilliseconds > 0 else { throw ValidationError("--dwell-ms must be positive (got \(dwellMilliseconds))") }
        do {
            return try .hopping(channels, dwell: .milliseconds(dwellMilliseconds))
        } catch {
            throw ValidationError(error.description)
        }
    }

    /// Opens every source; files are merged into one time-ordered replay.
    private func openSources(_ specs: [SourceSpec]) throws -> [(source: any FrameSource, live: Bool)] {
        var result: [(source: any FrameSource, live: Bool)] = []
        let files = specs.compactMap { spec -> (path: String, sensor: SensorID)? in
            if case .file(let path) = spec.kind { return (path, SensorID(spec.sensor)) }
            return nil
        }
        if files.count == 1 {
            result.append((try PcapFileSource(path: files[0].path, sensor: files[0].sensor), false))
        } else if files.count > 1 {
            result.append((try MergedReplaySource(files: files), false))
        }
        for spec in specs {
            let sensor = SensorID(spec.sensor)
            switch spec.kind {
            case .file:
                continue
            case .stream(let path):
                result.append((try PcapStreamSource(path: path, sensor: sensor), true))
            case .interface(let name):
                var live = LiveCaptureOptions()
                live.monitorMode = monitor
                live.snapshotLength = snaplen
                live.bufferSize = bufferMiB << 20
                if let filter {
                    live.filter = .custom(filter)
                } else if deviceFrames {
                    live.filter = .phoneTransmissions
                }
                let source = try LiveInterfaceSource(interface: name, sensor: sensor, options: live)
                for warning in source.warnings { printError("mallgate parse: \(name): \(warning)") }
                result.append((source, true))
            case .tzsp(let address, let port):
                result.append((try TZSPSource(port: port, bindAddress: address, allowedSenders: tzspSenders, sensor: sensor), true))
            }
        }
        return result
    }

    /// SIGINT/SIGTERM stop the sources; the summary is still printed.
    private func stopOnSignals(_ session: CaptureSession) -> [any DispatchSourceSignal] {
        [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { session.stop() }
            source.resume()
            return source
        }
    }
}

/// A flag set from a background task and read at the end of the command.
final class FailureFlag: Sendable {
    private let value = Atomic<Bool>(false)
    func set() { value.store(true, ordering: .relaxed) }
    var isSet: Bool { value.load(ordering: .relaxed) }
}

extension Substring {
    fileprivate func trimmingSpaces() -> Substring {
        var s = self
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return s
    }
}

func printError(_ text: String, newline: Bool = true) {
    var line = text
    if newline && !line.hasSuffix("\n") { line += "\n" }
    line.withUTF8 { bytes in _ = write(STDERR_FILENO, bytes.baseAddress, bytes.count) }
}
