/// Little-endian serialization for the model file.
struct ByteWriter {
    var data: [UInt8] = []

    mutating func u8(_ v: UInt8) { data.append(v) }
    mutating func u16(_ v: UInt16) { for i in 0..<2 { data.append(UInt8(truncatingIfNeeded: v >> (8 * i))) } }
    mutating func u32(_ v: UInt32) { for i in 0..<4 { data.append(UInt8(truncatingIfNeeded: v >> (8 * i))) } }
    mutating func u64(_ v: UInt64) { for i in 0..<8 { data.append(UInt8(truncatingIfNeeded: v >> (8 * i))) } }
    mutating func f32(_ v: Float) { u32(v.bitPattern) }
    mutating func f64(_ v: Double) { u64(v.bitPattern) }
    mutating func bytes(_ b: [UInt8]) { data.append(contentsOf: b) }
    mutating func string(_ s: String) {
        let utf8 = Array(s.utf8)
        u32(UInt32(utf8.count))
        data.append(contentsOf: utf8)
    }
    mutating func strings(_ s: [String]) {
        u32(UInt32(s.count))
        for v in s { string(v) }
    }
    mutating func floats(_ v: [Float]) {
        u32(UInt32(v.count))
        rawFloats(v)
    }
    mutating func rawFloats(_ v: [Float]) { for x in v { f32(x) } }
}

/// Bounds-checked little-endian reads; every read throws ``Truncated`` instead of trapping.
struct ByteReader {
    struct Truncated: Error {
        let offset: Int
        let needed: Int
    }

    let bytes: [UInt8]
    /// Offset of `bytes[0]` in the file, so errors name file offsets.
    let base: Int
    var offset = 0

    init(_ bytes: [UInt8], base: Int) {
        self.bytes = bytes
        self.base = base
    }

    var absolute: Int { base + offset }
    var remaining: Int { bytes.count - offset }
    var isAtEnd: Bool { offset == bytes.count }

    private mutating func take(_ n: Int) throws -> ArraySlice<UInt8> {
        guard n >= 0, n <= remaining else { throw Truncated(offset: base + bytes.count, needed: base + offset + n) }
        defer { offset += n }
        return bytes[offset..<(offset + n)]
    }

    private mutating func uint<T: FixedWidthInteger>(_: T.Type) throws -> T {
        var v: T = 0
        for (i, b) in try take(MemoryLayout<T>.size).enumerated() { v |= T(b) << (8 * i) }
        return v
    }

    mutating func u8() throws -> UInt8 { try uint(UInt8.self) }
    mutating func u16() throws -> UInt16 { try uint(UInt16.self) }
    mutating func u32() throws -> UInt32 { try uint(UInt32.self) }
    mutating func u64() throws -> UInt64 { try uint(UInt64.self) }
    mutating func f32() throws -> Float { Float(bitPattern: try u32()) }
    mutating func f64() throws -> Double { Double(bitPattern: try u64()) }
    mutating func bytes(_ n: Int) throws -> [UInt8] { Array(try take(n)) }

    /// A u32 count whose elements need at least `each` bytes: checked against what is left, so
    /// a corrupted count cannot make the reader allocate gigabytes.
    mutating func count(each: Int) throws -> Int {
        let n = Int(try u32())
        guard n * max(each, 1) <= remaining else { throw Truncated(offset: base + bytes.count, needed: base + offset + n * max(each, 1)) }
        return n
    }

    mutating func string() throws -> String {
        let n = try count(each: 1)
        return String(decoding: try take(n), as: UTF8.self)
    }
    mutating func strings() throws -> [String] { try (0..<count(each: 4)).map { _ in try string() } }
    mutating func floats() throws -> [Float] { try (0..<count(each: 4)).map { _ in try f32() } }
    mutating func rawFloats(_ n: Int) throws -> [Float] { try (0..<n).map { _ in try f32() } }
}
