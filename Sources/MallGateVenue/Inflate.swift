// DEFLATE decompression (RFC 1951) and CRC-32, for reading IMDF .zip archives.
//
// FoundationEssentials has no zip support. Rather than link zlib through a new system
// library target (one more package on every gateway and build machine), this is a small
// decoder after Mark Adler's "puff" (zlib/contrib/puff): canonical Huffman codes decoded
// bit by bit. It is slow next to zlib (tens of MB/s) but IMDF archives are a few MB, read
// once at import. https://www.rfc-editor.org/rfc/rfc1951

struct InflateError: Error {
    var message: String
}

enum Inflate {
    /// Decompresses a raw DEFLATE stream (no zlib or gzip header).
    /// - Parameter limit: the most bytes to produce; more is an error (a zip bomb, or a lie in the header).
    static func decompress(_ input: [UInt8], limit: Int) throws(InflateError) -> [UInt8] {
        var state = State(input: input, limit: limit)
        var last = false
        while !last {
            last = try state.bits(1) == 1
            switch try state.bits(2) {
            case 0: try state.stored()
            case 1: try state.codes(State.fixedLengths, State.fixedDistances)
            case 2: try state.dynamic()
            default: throw InflateError(message: "invalid block type 3")
            }
        }
        return state.output
    }

    /// Canonical Huffman code: how many codes of each length, and the symbols in code order.
    struct Huffman {
        var count = [Int](repeating: 0, count: 16)
        var symbol: [Int]

        init(lengths: ArraySlice<Int>) throws(InflateError) {
            symbol = [Int](repeating: 0, count: lengths.count)
            for length in lengths { count[length] += 1 }
            // Over-subscribed sets cannot be decoded; incomplete ones can (a single distance code).
            var left = 1
            for length in 1..<16 {
                left <<= 1
                left -= count[length]
                if left < 0 { throw InflateError(message: "over-subscribed Huffman code") }
            }
            var offsets = [Int](repeating: 0, count: 16)
            for length in 1..<15 { offsets[length + 1] = offsets[length] + count[length] }
            for (i, length) in lengths.enumerated() where length != 0 {
                symbol[offsets[length]] = i
                offsets[length] += 1
            }
            count[0] = 0
        }
    }

    struct State {
        let input: [UInt8]
        let limit: Int
        var position = 0
        var bitBuffer: UInt32 = 0
        var bitCount: UInt32 = 0
        var output: [UInt8] = []

        init(input: [UInt8], limit: Int) {
            self.input = input
            self.limit = limit
        }

        mutating func bits(_ n: UInt32) throws(InflateError) -> Int {
            while bitCount < n {
                guard position < input.count else { throw InflateError(message: "compressed data ends early") }
                bitBuffer |= UInt32(input[position]) << bitCount
                position += 1
                bitCount += 8
            }
            let value = bitBuffer & ((1 << n) - 1)
            bitBuffer >>= n
            bitCount -= n
            return Int(value)
        }

        mutating func stored() throws(InflateError) {
            bitBuffer = 0
            bitCount = 0
            guard position + 4 <= input.count else { throw InflateError(message: "stored block header ends early") }
            let length = Int(input[position]) | Int(input[position + 1]) << 8
            let complement = Int(input[position + 2]) | Int(input[position + 3]) << 8
            position += 4
            guard length == ~complement & 0xFFFF else { throw InflateError(message: "stored block length check failed") }
            guard position + length <= input.count else { throw InflateError(message: "stored block ends early") }
            guard output.count + length <= limit else { throw InflateError(message: "more data than the archive declares") }
            output.append(contentsOf: input[position..<(position + length)])
            position += length
        }

        mutating func decode(_ h: Huffman) throws(InflateError) -> Int {
            var code = 0
            var first = 0
            var index = 0
            for length in 1..<16 {
                code |= try bits(1)
                let count = h.count[length]
                if code - count < first { return h.symbol[index + (code - first)] }
                index += count
                first += count
                first <<= 1
                code <<= 1
            }
            throw InflateError(message: "invalid Huffman code")
        }

        static let lengthBase = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258]
        static let lengthExtra: [UInt32] = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]
        static let distanceBase = [
            1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145,
            8193, 12289, 16385, 24577,
        ]
        static let distanceExtra: [UInt32] = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13]

        static let fixedLengths: Huffman = {
            var lengths = [Int](repeating: 8, count: 288)
            for i in 144..<256 { lengths[i] = 9 }
            for i in 256..<280 { lengths[i] = 7 }
            // The fixed code is complete by construction (RFC 1951 §3.2.6).
            return try! Huffman(lengths: lengths[...])
        }()
        static let fixedDistances: Huffman = try! Huffman(lengths: [Int](repeating: 5, count: 30)[...])

        mutating func codes(_ lengths: Huffman, _ distances: Huffman) throws(InflateError) {
            while true {
                let symbol = try decode(lengths)
                if symbol < 256 {
                    guard output.count < limit else { throw InflateError(message: "more data than the archive declares") }
                    output.append(UInt8(symbol))
                } else if symbol == 256 {
                    return
                } else {
                    let s = symbol - 257
                    guard s < 29 else { throw InflateError(message: "invalid length code") }
                    let length = State.lengthBase[s] + (try bits(State.lengthExtra[s]))
                    let d = try decode(distances)
                    guard d < 30 else { throw InflateError(message: "invalid distance code") }
                    let distance = State.distanceBase[d] + (try bits(State.distanceExtra[d]))
                    guard distance <= output.count else { throw InflateError(message: "distance too far back") }
                    guard output.count + length <= limit else { throw InflateError(message: "more data than the archive declares") }
                    let start = output.count - distance
                    // Byte by byte: the copy may overlap what it is producing (distance < length).
                    for k in 0..<length { output.append(output[start + k]) }
                }
            }
        }

        mutating func dynamic() throws(InflateError) {
            let literalCount = try bits(5) + 257
            let distanceCount = try bits(5) + 1
            let codeCount = try bits(4) + 4
            guard literalCount <= 286, distanceCount <= 30 else { throw InflateError(message: "too many length or distance codes") }
            let order = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]
            var codeLengths = [Int](repeating: 0, count: 19)
            for i in 0..<codeCount { codeLengths[order[i]] = try bits(3) }
            let lengthCode = try Huffman(lengths: codeLengths[...])
            var lengths = [Int](repeating: 0, count: literalCount + distanceCount)
            var i = 0
            while i < lengths.count {
                let symbol = try decode(lengthCode)
                if symbol < 16 {
                    lengths[i] = symbol
                    i += 1
                    continue
                }
                var value = 0
                let repeatCount: Int
                switch symbol {
                case 16:
                    guard i > 0 else { throw InflateError(message: "repeat with no previous length") }
                    value = lengths[i - 1]
                    repeatCount = 3 + (try bits(2))
                case 17: repeatCount = 3 + (try bits(3))
                default: repeatCount = 11 + (try bits(7))
                }
                guard i + repeatCount <= lengths.count else { throw InflateError(message: "too many lengths") }
                for _ in 0..<repeatCount {
                    lengths[i] = value
                    i += 1
                }
            }
            guard lengths[256] != 0 else { throw InflateError(message: "no end-of-block code") }
            let literals = try Huffman(lengths: lengths[0..<literalCount])
            let distances = try Huffman(lengths: lengths[literalCount...])
            try codes(literals, distances)
        }
    }
}

/// CRC-32 (ISO 3309, the one zip uses), to check each archive member after inflating it.
enum CRC32 {
    static let table: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    static func checksum(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        return crc ^ 0xFFFF_FFFF
    }
}

/// The members of a zip archive (PKWARE APPNOTE 6.3, without zip64, encryption or
/// multi-disk archives), read through the central directory.
struct ZipArchive {
    struct Entry {
        var name: String
        var method: Int
        var crc: UInt32
        var compressedSize: Int
        var uncompressedSize: Int
        var localHeaderOffset: Int
    }

    let bytes: [UInt8]
    let entries: [Entry]

    init(_ bytes: [UInt8]) throws(InflateError) {
        self.bytes = bytes
        func u16(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 }
        func u32(_ at: Int) -> Int { u16(at) | u16(at + 2) << 16 }
        // The end-of-central-directory record sits within the last 22 + 65535 bytes (its comment).
        var end = -1
        var i = bytes.count - 22
        while i >= max(0, bytes.count - 22 - 65535) {
            if u32(i) == 0x0605_4B50 {
                end = i
                break
            }
            i -= 1
        }
        guard end >= 0 else { throw InflateError(message: "not a zip archive (no end-of-central-directory record)") }
        let count = u16(end + 10)
        var at = u32(end + 16)
        var entries: [Entry] = []
        for _ in 0..<count {
            guard at + 46 <= bytes.count, u32(at) == 0x0201_4B50 else {
                throw InflateError(message: "damaged central directory")
            }
            let nameLength = u16(at + 28)
            let extraLength = u16(at + 30)
            let commentLength = u16(at + 32)
            guard at + 46 + nameLength <= bytes.count else { throw InflateError(message: "damaged central directory") }
            let flags = u16(at + 8)
            if flags & 1 != 0 { throw InflateError(message: "encrypted archives are not supported; unzip it first") }
            entries.append(
                Entry(
                    name: String(decoding: bytes[(at + 46)..<(at + 46 + nameLength)], as: UTF8.self),
                    method: u16(at + 10), crc: UInt32(u32(at + 16)), compressedSize: u32(at + 20),
                    uncompressedSize: u32(at + 24), localHeaderOffset: u32(at + 42)))
            at += 46 + nameLength + extraLength + commentLength
        }
        self.entries = entries
    }

    /// The uncompressed bytes of `entry`, CRC-checked.
    func read(_ entry: Entry) throws(InflateError) -> [UInt8] {
        func u16(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 }
        let at = entry.localHeaderOffset
        guard at + 30 <= bytes.count, u16(at) | u16(at + 2) << 16 == 0x0403_4B50 else {
            throw InflateError(message: "\(entry.name): damaged local header")
        }
        let start = at + 30 + u16(at + 26) + u16(at + 28)
        guard start + entry.compressedSize <= bytes.count else { throw InflateError(message: "\(entry.name): data ends early") }
        let data = Array(bytes[start..<(start + entry.compressedSize)])
        let out: [UInt8]
        switch entry.method {
        case 0:
            out = data
        case 8:
            do {
                out = try Inflate.decompress(data, limit: entry.uncompressedSize)
            } catch {
                throw InflateError(message: "\(entry.name): \(error.message)")
            }
        default:
            throw InflateError(
                message: "\(entry.name) uses compression method \(entry.method); only stored (0) and deflate (8) are supported: unzip the archive and import the folder")
        }
        guard out.count == entry.uncompressedSize, CRC32.checksum(out) == entry.crc else {
            throw InflateError(message: "\(entry.name): CRC or size mismatch (damaged archive)")
        }
        return out
    }
}
