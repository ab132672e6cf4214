#if canImport(Glibc)
internal import Glibc
#endif

/// A buffered text file for the truth CSVs and the summary.
struct TextFile: ~Copyable {
    private let file: UnsafeMutablePointer<FILE>
    private var buffer: [UInt8] = []
    let path: String

    init(path: String) throws(SimulationError) {
        guard let file = fopen(path, "wb") else { throw SimulationError(.cannotWrite(path: path, errno: errno)) }
        self.file = file
        self.path = path
        buffer.reserveCapacity(1 << 20)
    }

    deinit { fclose(file) }

    mutating func write(_ text: String) throws(SimulationError) {
        buffer.append(contentsOf: text.utf8)
        if buffer.count >= 1 << 20 { try flush() }
    }

    mutating func line(_ fields: String...) throws(SimulationError) {
        for (i, f) in fields.enumerated() {
            if i > 0 { buffer.append(UInt8(ascii: ",")) }
            buffer.append(contentsOf: f.utf8)
        }
        buffer.append(UInt8(ascii: "\n"))
        if buffer.count >= 1 << 20 { try flush() }
    }

    mutating func flush() throws(SimulationError) {
        guard !buffer.isEmpty else { return }
        let n = buffer.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
        guard n == buffer.count else { throw SimulationError(.cannotWrite(path: path, errno: errno)) }
        buffer.removeAll(keepingCapacity: true)
    }

    consuming func close() throws(SimulationError) {
        try flush()
        guard fflush(file) == 0 else { throw SimulationError(.cannotWrite(path: path, errno: errno)) }
    }
}

/// Quotes a CSV field when it needs it (RFC 4180).
func csvField(_ s: String) -> String {
    guard s.utf8.contains(where: { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 10 || $0 == 13 }) else { return s }
    var out = "\""
    for ch in s { out += ch == "\"" ? "\"\"" : String(ch) }
    return out + "\""
}

/// `aa:bb:cc:dd:ee:ff`.
func macText(_ mac: UInt64) -> String {
    let digits: [Character] = Array("0123456789abcdef")
    var s = ""
    s.reserveCapacity(17)
    for i in (0..<6).reversed() {
        let octet = Int((mac >> (UInt64(i) * 8)) & 0xFF)
        s.append(digits[octet >> 4])
        s.append(digits[octet & 15])
        if i > 0 { s.append(":") }
    }
    return s
}

/// A number with a fixed count of decimals, without Foundation's formatters.
func decimal(_ value: Double, _ places: Int) -> String {
    var scale = 1.0
    for _ in 0..<places { scale *= 10 }
    let scaled = (value * scale).rounded()
    let negative = scaled < 0
    let whole = Int64(abs(scaled))
    var text = String(whole / Int64(scale))
    if places > 0 {
        var frac = String(whole % Int64(scale))
        while frac.count < places { frac = "0" + frac }
        text += "." + frac
    }
    return negative && whole != 0 ? "-" + text : text
}
