import ArgumentParser
import MallGateCapture
import MallGateDecode
import MallGateIdentify
#if canImport(Glibc)
import Glibc
#endif

/// `mallgate devices`: how many devices are in captures, with randomized MACs grouped into pseudo-devices.
struct DevicesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "devices",
        abstract: "Estimate the number of unique devices in captures, grouping randomized MACs into pseudo-devices.",
        discussion: """
            Every MAC is hashed with a fresh random key (HMAC-SHA256, as the daemon
            does); randomized MACs are then grouped into pseudo-devices by IE
            fingerprint, sequence-number continuity and timing. Prints the estimate
            next to the naive one-MAC-one-device count and, given the truth, the
            count error, purity and fragmentation.

            Inputs are capture files (one per sensor, base name = sensor id) or a
            probe-request CSV in the siriusize_assoc layout (timestamp in ms, seq,
            tx_addr, info_element hex, rssi@SENSOR columns).

            Examples:
              mallgate devices sim/ --truth sim/truth-macs.csv
              mallgate devices ../shared/captures/siriusize_assoc/sample_input.csv \\
                --siriusize-gt ../shared/captures/siriusize_assoc/GT.csv
            """)

    @Argument(help: ArgumentHelp("Capture files, directories of them, or one siriusize-style CSV.", valueName: "captures"))
    var captures: [String]

    @Option(help: ArgumentHelp("Score against the simulator's truth-macs.csv (device and mac columns).", valueName: "file"))
    var truth: String?

    @Option(name: .customLong("siriusize-gt"), help: ArgumentHelp("Score against a siriusize_assoc GT.csv (devices as lists of CSV row indices); only its rows are scored.", valueName: "file"))
    var siriusizeGT: String?

    @Option(name: .customLong("max-gap"), help: "Longest silence, seconds, after which a new MAC may still join a pseudo-device.")
    var maxGap: Double = PseudoDeviceGrouper.Options().maximumGapSeconds

    @Option(name: .customLong("sequence-window"), help: "Largest sequence-number step that counts as continuing a sequence.")
    var sequenceWindow: Int = PseudoDeviceGrouper.Options().sequenceWindow

    @Flag(name: .customLong("no-timing"), help: "Join MACs only by sequence continuity, never by timing alone.")
    var noTiming = false

    func validate() throws {
        if truth != nil && siriusizeGT != nil { throw ValidationError("give --truth or --siriusize-gt, not both") }
        guard maxGap > 0 else { throw ValidationError("--max-gap must be positive") }
        guard (1...4095).contains(sequenceWindow) else { throw ValidationError("--sequence-window must be in 1...4095") }
    }

    /// One frame after grouping: what scoring needs. The MAC is kept only for the truth lookup
    /// of this evaluation tool; the grouper never sees it.
    struct Frame {
        var pseudo: UInt64
        var deviceID: UInt64
        var mac: MACAddress
        var row: Int
        var fingerprint: UInt64
    }

    func run() async throws {
        var options = PseudoDeviceGrouper.Options()
        options.maximumGapSeconds = maxGap
        options.sequenceWindow = sequenceWindow
        options.joinByTiming = !noTiming
        var identifier = DeviceIdentifier(key: .random())
        var grouper = PseudoDeviceGrouper(options: options)
        var frames: [Frame] = []
        let handle = { (p: ProbeRequest, t: Int64, sensor: Int, row: Int) in
            guard let id = identifier.deviceID(p.source, unixNanoseconds: t) else { return }
            let pseudo = grouper.assign(GroupingInput(probe: p, deviceID: id, timeNanoseconds: t, sensor: sensor))
            frames.append(Frame(pseudo: pseudo, deviceID: id, mac: p.source, row: row, fingerprint: p.fingerprint.rawValue))
        }
        do {
            if captures.count == 1 && captures[0].hasSuffix(".csv") {
                for (row, p, t) in try Self.readProbeCSV(captures[0]) { handle(p, t, 0, row) }
            } else {
                let files = try CaptureInput.files(captures)
                let source: any FrameSource = files.count == 1
                    ? try PcapFileSource(path: files[0].path, sensor: SensorID(files[0].sensor))
                    : try MergedReplaySource(files: files.map { ($0.path, SensorID($0.sensor)) })
                let session = CaptureSession(sources: [(source, false)])
                var row = 0
                for await batch in session.start() {
                    for o in batch {
                        guard case .probeRequest(let p) = o.event else { continue }
                        handle(p, o.timestampNanoseconds, o.sensor, row)
                        row += 1
                    }
                }
                for e in session.errors() { printError("mallgate devices: \(e)") }
            }
        } catch {
            printError("mallgate devices: \(error)")
            throw ExitCode(2)
        }
        let s = grouper.statistics
        let macs = Set(frames.map(\.deviceID)).count
        let randomized = frames.filter { $0.mac.isLocallyAdministered }
        let randomizedMACs = Set(randomized.map(\.deviceID)).count
        let pseudo = Set(randomized.map(\.pseudo)).count
        let global = macs - randomizedMACs
        var out = "probe requests: \(frames.count)\n"
        out += "MACs: \(macs) (\(randomizedMACs) randomized, \(global) global)\n"
        out += "IE fingerprints among randomized MACs: \(Set(randomized.map(\.fingerprint)).count)\n"
        out += "devices (estimate): \(global + pseudo) = \(global) global + \(pseudo) pseudo-devices"
        out += " (randomized MACs joined: \(s.joinedBySequence) by sequence, \(s.joinedByTiming) by timing)\n"
        out += "one MAC = one device: \(macs)\n"
        do {
            if let truth {
                let map = try Self.loadTruthMACs(truth)
                let labelled = frames.compactMap { f in map[f.mac].map { (f, $0) } }
                out += Self.report(labelled.map { ($0.0.pseudo, $0.1) }, naive: labelled.map { ($0.0.deviceID, $0.1) }, total: frames.count)
            }
            if let siriusizeGT {
                let map = try Self.loadSiriusizeGT(siriusizeGT)
                let labelled = frames.compactMap { f in map[f.row].map { (f, $0) } }
                out += Self.report(labelled.map { ($0.0.pseudo, $0.1) }, naive: labelled.map { ($0.0.deviceID, $0.1) }, total: frames.count)
            }
        } catch {
            printError("mallgate devices: \(error)")
            throw ExitCode(2)
        }
        print(out, terminator: "")
    }

    static func report(_ grouped: [(UInt64, String)], naive: [(UInt64, String)], total: Int) -> String {
        let g = GroupingScore(grouped.map { (predicted: $0.0, truth: $0.1) })
        let n = GroupingScore(naive.map { (predicted: $0.0, truth: $0.1) })
        func pct(_ x: Double) -> String { String((x * 1000).rounded() / 10) }
        func signed(_ x: Double) -> String { (x >= 0 ? "+" : "") + pct(x) + " %" }
        func f3(_ x: Double) -> String { String((x * 1000).rounded() / 1000) }
        var s = "scored frames: \(g.frames) of \(total) (with a truth label)\n"
        s += "true devices: \(g.trueDevices)\n"
        s += "pseudo-devices: \(g.predictedDevices) (\(signed(g.countError))), purity \(f3(g.purity)), inverse purity \(f3(g.inversePurity)), fragmentation \(f3(g.fragmentation))\n"
        s += "one MAC = one device: \(n.predictedDevices) (\(signed(n.countError))), purity \(f3(n.purity)), inverse purity \(f3(n.inversePurity)), fragmentation \(f3(n.fragmentation))\n"
        return s
    }

    /// MAC → true device from a CSV with `mac` and `device` columns.
    static func loadTruthMACs(_ path: String) throws -> [MACAddress: String] {
        let lines = String(decoding: try CaptureInput.readBytes(path), as: UTF8.self).split(whereSeparator: \.isNewline)
        guard let header = lines.first?.split(separator: ",").map(String.init),
              let m = header.firstIndex(of: "mac"), let d = header.firstIndex(of: "device") else {
            throw CaptureInput.Failure(description: "\(path): the first line must name a mac and a device column")
        }
        var map: [MACAddress: String] = [:]
        for (n, line) in lines.dropFirst().enumerated() {
            let f = line.split(separator: ",", omittingEmptySubsequences: false)
            guard f.count > max(m, d), let mac = MACAddress(string: String(f[m])) else {
                throw CaptureInput.Failure(description: "\(path):\(n + 2): expected a MAC in column \(m + 1)")
            }
            map[mac] = String(f[d])
        }
        return map
    }

    /// Row index → true device from a siriusize_assoc GT.csv (`index,dev_id,"[r1, r2, …]"`).
    static func loadSiriusizeGT(_ path: String) throws -> [Int: String] {
        let lines = String(decoding: try CaptureInput.readBytes(path), as: UTF8.self).split(whereSeparator: \.isNewline)
        var map: [Int: String] = [:]
        for (n, line) in lines.dropFirst().enumerated() {
            let f = line.split(separator: ",", maxSplits: 2, omittingEmptySubsequences: false)
            guard f.count == 3, let open = line.firstIndex(of: "["), let close = line.lastIndex(of: "]"), open < close else {
                throw CaptureInput.Failure(description: "\(path):\(n + 2): expected index,device,[row, row, …]")
            }
            for r in line[line.index(after: open)..<close].split(separator: ",") {
                guard let row = Int(r.filter { $0 != " " }) else {
                    throw CaptureInput.Failure(description: "\(path):\(n + 2): \"\(r)\" is not a row index")
                }
                map[row] = String(f[1])
            }
        }
        return map
    }

    /// Probe requests from a siriusize_assoc-style CSV: (row index, probe, time ns), in time order.
    static func readProbeCSV(_ path: String) throws -> [(Int, ProbeRequest, Int64)] {
        let lines = String(decoding: try CaptureInput.readBytes(path), as: UTF8.self).split(whereSeparator: \.isNewline)
        guard let header = lines.first?.split(separator: ",").map(String.init),
              let tc = header.firstIndex(of: "timestamp"), let sc = header.firstIndex(of: "seq"),
              let ac = header.firstIndex(of: "tx_addr"), let ic = header.firstIndex(of: "info_element") else {
            throw CaptureInput.Failure(description: "\(path): expected timestamp, seq, tx_addr and info_element columns")
        }
        let rc = header.firstIndex { $0.hasPrefix("rssi@") }
        var rows: [(Int, ProbeRequest, Int64)] = []
        for (n, line) in lines.dropFirst().enumerated() {
            let f = line.split(separator: ",", omittingEmptySubsequences: false)
            guard f.count == header.count, let ms = Int64(f[tc]), let seq = UInt16(f[sc]), f[ac].count == 12,
                  let mac = UInt64(f[ac], radix: 16), f[ic].count % 2 == 0 else {
                throw CaptureInput.Failure(description: "\(path):\(n + 2): expected \(header.count) fields with a ms timestamp, seq, 12-hex-digit tx_addr and IE hex")
            }
            var bytes: [UInt8] = []
            var digits = f[ic].utf8.makeIterator()
            while let hi = digits.next(), let lo = digits.next() {
                guard let b = UInt8(String(decoding: [hi, lo], as: UTF8.self), radix: 16) else {
                    throw CaptureInput.Failure(description: "\(path):\(n + 2): info_element is not hex")
                }
                bytes.append(b)
            }
            var p = ProbeRequest()
            p.source = MACAddress(rawValue: mac)
            p.sequenceNumber = seq & 0xFFF
            p.elements = bytes.withUnsafeBytes { ProbeRequestElements(parsing: $0) }
            if let rc, let dbm = Double(f[rc]), dbm.isFinite { p.radio.signalDBm = Int8(clamping: Int(dbm.rounded())) }
            rows.append((n, p, ms * 1_000_000))
        }
        // Stable sort by time: the grouper needs time order; ties keep file order.
        return rows.enumerated().sorted { ($0.element.2, $0.offset) < ($1.element.2, $1.offset) }.map(\.element)
    }
}
