/// Reads fingerprint tables (one row per sample: label columns, one RSSI column per sensor),
/// the format of UJIIndoorLoc, the UCI sets and most published Wi-Fi/BLE fingerprint data,
/// so the same trainer and evaluator run on them.
///
/// This file is the pure parser (bytes in, ``FingerprintSet`` out); `Loading/` reads files.
public enum FingerprintCSV {
    /// A column by 0-based index or by header name.
    public enum Column: Sendable, Equatable, CustomStringConvertible {
        case index(Int)
        case name(String)

        /// Digits are an index, anything else a name.
        public init(_ text: String) {
            if let i = Int(text), i >= 0 { self = .index(i) } else { self = .name(text) }
        }

        public var description: String {
            switch self {
            case .index(let i): "column \(i)"
            case .name(let n): "column \"\(n)\""
            }
        }
    }

    /// Which columns hold RSSI readings.
    public enum Columns: Sendable, Equatable {
        /// Columns `a...b` (0-based, inclusive).
        case range(ClosedRange<Int>)
        /// Every column whose header starts with this (e.g. `WAP`).
        case prefix(String)
        case list([Column])
        /// Every column that is not a label, sequence or time column.
        case rest

        /// Parses `3-9`, `3..9`, `WAP*` or `WAP` (prefix), `a,b,c`, `rest`.
        public init(_ text: String) {
            if text == "rest" || text == "*" {
                self = .rest
                return
            }
            for sep in ["...", "..", "-", ":"] {
                let parts = text.split(separator: sep, omittingEmptySubsequences: false)
                if parts.count == 2, let a = Int(parts[0]), let b = Int(parts[1]), a >= 0, a <= b {
                    self = .range(a...b)
                    return
                }
            }
            if text.contains(",") {
                self = .list(text.split(separator: ",").map { Column(String($0)) })
            } else if text.hasSuffix("*") {
                self = .prefix(String(text.dropLast()))
            } else if let i = Int(text), i >= 0 {
                self = .list([.index(i)])
            } else {
                self = .prefix(text)
            }
        }
    }

    public struct Options: Sendable {
        public var labelColumns: [Column]
        public var rssColumns: Columns
        /// Whether the first line names the columns.
        public var hasHeader: Bool = true
        /// Field separator; nil picks tab if the first line has one, else `;` if it has one and no comma, else comma.
        public var separator: UInt8? = nil
        /// The value that means "not heard" (100 in UJI files).
        public var notHeardValue: Float? = 100
        /// Readings below this are taken as not heard (e.g. −105 dBm), if set.
        public var notHeardBelow: Float? = nil
        /// Optional column naming the device or tag of a row (for smoothing over sequences).
        public var sequenceColumn: Column? = nil
        /// Optional numeric time column, in the file's unit.
        public var timeColumn: Column? = nil

        public init(labelColumns: [Column], rssColumns: Columns) {
            self.labelColumns = labelColumns
            self.rssColumns = rssColumns
        }
    }

    /// Parses a whole file's bytes.
    /// - Parameter file: names the file in errors.
    /// - Throws: ``FingerprintCSVError`` naming file, line and column.
    public static func parse(_ bytes: [UInt8], file: String, options: Options) throws -> FingerprintSet {
        var lines = LineSplitter(bytes: bytes)
        guard let first = lines.next() else { throw FingerprintCSVError(file: file, line: 1, column: nil, message: "the file is empty") }
        let separator = options.separator ?? detectSeparator(bytes[first.range])
        var fields: [Range<Int>] = []
        split(bytes, first.range, separator, into: &fields)
        let width = fields.count
        let header: [String]? = options.hasHeader ? fields.map { unquote(bytes, $0) } : nil

        func resolve(_ c: Column) throws -> Int {
            switch c {
            case .index(let i):
                guard i < width else {
                    throw FingerprintCSVError(file: file, line: 1, column: nil, message: "\(c) does not exist: the first line has \(width) columns (0–\(width - 1))")
                }
                return i
            case .name(let n):
                guard let header else {
                    throw FingerprintCSVError(file: file, line: 1, column: nil, message: "\(c) is a name but the file has no header: give a 0-based index")
                }
                guard let i = header.firstIndex(of: n) else {
                    throw FingerprintCSVError(file: file, line: 1, column: nil, message: "no \(c) in the header (\(header.prefix(12).joined(separator: ", "))\(header.count > 12 ? ", …" : ""))")
                }
                return i
            }
        }
        let labelIdx = try options.labelColumns.map(resolve)
        let seqIdx = try options.sequenceColumn.map(resolve)
        let timeIdx = try options.timeColumn.map(resolve)
        let reserved = Set(labelIdx + [seqIdx, timeIdx].compactMap { $0 })
        var rssIdx: [Int]
        switch options.rssColumns {
        case .range(let r):
            guard r.upperBound < width else {
                throw FingerprintCSVError(file: file, line: 1, column: nil, message: "RSSI columns \(r.lowerBound)–\(r.upperBound) do not exist: the first line has \(width) columns")
            }
            rssIdx = Array(r)
        case .prefix(let p):
            guard let header else {
                throw FingerprintCSVError(file: file, line: 1, column: nil, message: "RSSI columns by prefix \"\(p)\" need a header; give a range such as 0-6")
            }
            rssIdx = header.indices.filter { header[$0].hasPrefix(p) }
            guard !rssIdx.isEmpty else { throw FingerprintCSVError(file: file, line: 1, column: nil, message: "no header starts with \"\(p)\"") }
        case .list(let l):
            rssIdx = try l.map(resolve)
        case .rest:
            rssIdx = (0..<width).filter { !reserved.contains($0) }
        }
        if let overlap = rssIdx.first(where: { reserved.contains($0) }) {
            throw FingerprintCSVError(file: file, line: 1, column: overlap + 1, message: "column \(overlap) is both a label (or sequence/time) and an RSSI column")
        }
        let sensorNames = rssIdx.map { header?[$0] ?? "\($0)" }
        let labelNames = labelIdx.map { header?[$0] ?? "\($0)" }
        var set = FingerprintSet(sensorNames: sensorNames, labelNames: labelNames,
                                 sequence: seqIdx == nil ? nil : [], time: timeIdx == nil ? nil : [])
        var lineNumber = 1
        var pending: (range: Range<Int>, number: Int)? = options.hasHeader ? nil : (first.range, 1)
        while true {
            let line: Range<Int>
            let number: Int
            if let p = pending {
                line = p.range
                number = p.number
                pending = nil
            } else {
                guard let l = lines.next() else { break }
                lineNumber += 1
                line = l.range
                number = lineNumber
            }
            if line.isEmpty { continue }
            split(bytes, line, separator, into: &fields)
            guard fields.count == width else {
                throw FingerprintCSVError(file: file, line: number, column: nil, message: "\(fields.count) fields, the first line has \(width)")
            }
            var sensors = [SensorSummary](repeating: .notHeard, count: rssIdx.count)
            for (s, col) in rssIdx.enumerated() {
                guard let v = parseNumber(bytes, fields[col]).map(Float.init) else {
                    throw FingerprintCSVError(file: file, line: number, column: col + 1,
                                              message: "\"\(unquote(bytes, fields[col]))\" is not an RSSI number (\(header.map { "column \($0[col])" } ?? "column \(col)"))")
                }
                if let nh = options.notHeardValue, v == nh { continue }
                if let below = options.notHeardBelow, v < below { continue }
                sensors[s] = SensorSummary(rssi: v)
            }
            set.samples.append(Sample(sensors: sensors))
            set.labels.append(labelIdx.map { unquote(bytes, fields[$0]) })
            if let seqIdx { set.sequence!.append(unquote(bytes, fields[seqIdx])) }
            if let timeIdx {
                guard let t = parseNumber(bytes, fields[timeIdx]) else {
                    throw FingerprintCSVError(file: file, line: number, column: timeIdx + 1, message: "\"\(unquote(bytes, fields[timeIdx]))\" is not a time")
                }
                set.time!.append(t)
            }
        }
        if set.count == 0 { throw FingerprintCSVError(file: file, line: lineNumber, column: nil, message: "no data rows") }
        return set
    }

    private static func parseNumber(_ bytes: [UInt8], _ range: Range<Int>) -> Double? {
        var r = range
        while let f = r.first, bytes[f] == 0x20 || bytes[f] == 0x22 { r = (f + 1)..<r.upperBound }
        while let l = r.last, bytes[l] == 0x20 || bytes[l] == 0x22 { r = r.lowerBound..<l }
        guard !r.isEmpty else { return nil }
        var i = r.lowerBound
        var negative = false
        if bytes[i] == UInt8(ascii: "-") || bytes[i] == UInt8(ascii: "+") {
            negative = bytes[i] == UInt8(ascii: "-")
            i += 1
        }
        var value: Double = 0
        var digits = 0
        while i < r.upperBound, bytes[i] >= 0x30, bytes[i] <= 0x39 {
            value = value * 10 + Double(bytes[i] - 0x30)
            i += 1
            digits += 1
        }
        if i < r.upperBound, bytes[i] == UInt8(ascii: ".") {
            i += 1
            var scale = 0.1
            while i < r.upperBound, bytes[i] >= 0x30, bytes[i] <= 0x39 {
                value += Double(bytes[i] - 0x30) * scale
                scale *= 0.1
                i += 1
                digits += 1
            }
        }
        if i < r.upperBound, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
            i += 1
            var eNeg = false
            if i < r.upperBound, bytes[i] == UInt8(ascii: "-") || bytes[i] == UInt8(ascii: "+") {
                eNeg = bytes[i] == UInt8(ascii: "-")
                i += 1
            }
            var e = 0
            var eDigits = 0
            while i < r.upperBound, bytes[i] >= 0x30, bytes[i] <= 0x39, e < 400 {
                e = e * 10 + Int(bytes[i] - 0x30)
                i += 1
                eDigits += 1
            }
            guard eDigits > 0 else { return nil }
            let p = pow(10, e)
            value = eNeg ? value / p : value * p
        }
        guard digits > 0, i == r.upperBound else { return nil }
        return negative ? -value : value
    }

    private static func detectSeparator(_ line: ArraySlice<UInt8>) -> UInt8 {
        if line.contains(0x09) { return 0x09 }
        if line.contains(UInt8(ascii: ";")) && !line.contains(UInt8(ascii: ",")) { return UInt8(ascii: ";") }
        return UInt8(ascii: ",")
    }

    /// Splits one line into field ranges; double quotes protect separators (RFC 4180).
    private static func split(_ bytes: [UInt8], _ line: Range<Int>, _ sep: UInt8, into fields: inout [Range<Int>]) {
        fields.removeAll(keepingCapacity: true)
        var start = line.lowerBound
        var quoted = false
        var i = line.lowerBound
        while i < line.upperBound {
            let b = bytes[i]
            if b == 0x22 { quoted.toggle() } else if b == sep && !quoted {
                fields.append(start..<i)
                start = i + 1
            }
            i += 1
        }
        fields.append(start..<line.upperBound)
    }

    private static func unquote(_ bytes: [UInt8], _ range: Range<Int>) -> String {
        var s = String(decoding: bytes[range], as: UTF8.self)
        while s.hasPrefix(" ") { s.removeFirst() }
        while s.hasSuffix(" ") { s.removeLast() }
        if s.count >= 2, s.hasPrefix("\""), s.hasSuffix("\"") {
            s = String(s.dropFirst().dropLast()).replacingOccurrences(of: "\"\"", with: "\"")
        }
        return s
    }
}

extension String {
    fileprivate func replacingOccurrences(of a: String, with b: String) -> String {
        split(separator: a, omittingEmptySubsequences: false).joined(separator: b)
    }
}

/// Lines of a byte buffer, without the `\n` or `\r\n`.
private struct LineSplitter {
    let bytes: [UInt8]
    var offset = 0

    mutating func next() -> (range: Range<Int>, Void)? {
        guard offset < bytes.count else { return nil }
        var end = offset
        while end < bytes.count, bytes[end] != 0x0A { end += 1 }
        var stop = end
        if stop > offset, bytes[stop - 1] == 0x0D { stop -= 1 }
        defer { offset = end + 1 }
        return (offset..<stop, ())
    }
}

/// A fingerprint file that cannot be read as asked, with file, line and column (1-based).
public struct FingerprintCSVError: Error, CustomStringConvertible, Equatable {
    public let file: String
    public let line: Int
    public let column: Int?
    public let message: String

    public var description: String {
        "\(file):\(line)\(column.map { ":\($0)" } ?? ""): \(message)"
    }
}

extension FingerprintSet {
    /// Takes the labels (and their names) of `labels`, row by row: for datasets that keep the
    /// RSSI matrix and the positions in separate files (UJI long-term library).
    public func withLabels(from labels: FingerprintSet, file: String) throws -> FingerprintSet {
        guard labels.count == count else {
            throw FingerprintCSVError(file: file, line: min(labels.count, count) + 1, column: nil,
                                      message: "\(labels.count) label rows for \(count) RSSI rows; the files must align row by row")
        }
        var copy = self
        copy.labelNames = labels.labelNames
        copy.labels = labels.labels
        return copy
    }
}
