import MallGateVisits
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The CSV files of `locate --visits` and `--counts`, written as the events come so a long
/// capture does not hold every visit in memory.
final class VisitsOutput {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    private struct File {
        var path: String
        var fd: Int32
        var buffer: OutputBuffer
    }

    private var visitsFile: File?
    private var countsFile: File?
    private let layout: VisitLayout
    private let name: (UInt64) -> String
    private(set) var visitCount = 0
    private(set) var passCount = 0
    private(set) var countRows = 0

    /// Opens (truncates) the files that are asked for; `nil` when neither is.
    init?(visits: String?, counts: String?, layout: VisitLayout, name: @escaping (UInt64) -> String) throws(Failure) {
        guard visits != nil || counts != nil else { return nil }
        self.layout = layout
        self.name = name
        if let visits {
            visitsFile = try Self.open(visits)
            visitsFile?.buffer.append("device,store,enter,exit,dwell_seconds,kind\n")
        }
        if let counts {
            countsFile = try Self.open(counts)
            countsFile?.buffer.append("start,end,store,footfall,unique_visitors,passers_by,unique_passers_by,capture_rate,"
                + DwellHistogram.bucketNames.joined(separator: ",") + ",late\n")
        }
    }

    /// One row per ended visit (`visit`) and per passer-by (`passer-by`: enter and exit are the
    /// pass's start and end); `entered` events are not rows, their visit's `exited` is.
    func write(events: [VisitEvent]) {
        guard let file = visitsFile else { return }
        for e in events {
            switch e {
            case .entered:
                continue
            case .exited(let v):
                row(file, v.device, v.store, v.enterNanoseconds, v.exitNanoseconds, "visit")
                visitCount += 1
            case .passedBy(let p):
                row(file, p.device, p.store, p.startNanoseconds, p.endNanoseconds, "passer-by")
                passCount += 1
            }
        }
    }

    func write(counts: [StoreCounts]) {
        guard let file = countsFile else { return }
        for c in counts {
            var line = "\(TextEncoding.timestamp(nanoseconds: c.startNanoseconds)),\(TextEncoding.timestamp(nanoseconds: c.endNanoseconds)),"
            line += "\(TextEncoding.csvField(layout.zoneIDs[c.store])),\(c.footfall),\(c.uniqueVisitors),\(c.passersBy),\(c.uniquePassersBy),"
            line += c.captureRate.map { String(($0 * 1000).rounded() / 1000) } ?? ""
            for n in c.dwell.counts { line += ",\(n)" }
            line += ",\(c.late)\n"
            file.buffer.append(line)
            countRows += 1
        }
    }

    /// Flushes and closes both files.
    func close() throws(Failure) {
        for file in [visitsFile, countsFile].compactMap({ $0 }) {
            file.buffer.flush()
            if closeDescriptor(file.fd) != 0 { throw Failure(description: "\(file.path): cannot write (\(String(cString: strerror(errno))))") }
        }
        visitsFile = nil
        countsFile = nil
    }

    private func row(_ file: File, _ device: UInt64, _ store: Int, _ start: Int64, _ end: Int64, _ kind: String) {
        let dwell = Int((Double(end - start) / 1e9).rounded())
        file.buffer.append("\(name(device)),\(TextEncoding.csvField(layout.zoneIDs[store])),\(TextEncoding.timestamp(nanoseconds: start)),"
            + "\(TextEncoding.timestamp(nanoseconds: end)),\(dwell),\(kind)\n")
    }

    /// Writes `text` to a new file at `path` (`locate --pseudo-device-map`), with the errors of the visits files.
    static func write(_ text: String, to path: String) throws(Failure) {
        let file = try open(path)
        file.buffer.append(text)
        file.buffer.flush()
        if closeDescriptor(file.fd) != 0 { throw Failure(description: "\(path): cannot write (\(String(cString: strerror(errno))))") }
    }

    private static func open(_ path: String) throws(Failure) -> File {
        let fd = createFile(path)
        guard fd >= 0 else { throw Failure(description: "\(path): cannot create (\(String(cString: strerror(errno)))); check the directory exists and is writable") }
        return File(path: path, fd: fd, buffer: OutputBuffer(fd: fd))
    }
}

// File-scope wrappers: inside VisitsOutput, `open` and `close` name its own methods.
private func createFile(_ path: String) -> Int32 { open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644) }
private func closeDescriptor(_ fd: Int32) -> Int32 { close(fd) }
