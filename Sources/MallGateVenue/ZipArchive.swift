// Zip archive reading for IMDF import: the central directory is parsed here (a few
// fixed-layout records), DEFLATE and CRC-32 come from the system zlib.
internal import CZlib

struct InflateError: Error {
    var message: String
}

enum Inflate {
    /// Decompresses a raw DEFLATE stream (no zlib or gzip header) with zlib.
    /// - Parameter limit: the size the archive announces; producing more is an error (a zip bomb, or a lie).
    static func decompress(_ input: [UInt8], limit: Int) throws(InflateError) -> [UInt8] {
        var stream = z_stream()
        guard mallgate_inflate_init_raw(&stream) == Z_OK else {
            throw InflateError(message: "zlib could not start inflating (out of memory?)")
        }
        defer { inflateEnd(&stream) }
        // One spare byte: filling it means the stream holds more than announced.
        var output = [UInt8](repeating: 0, count: limit + 1)
        var input = input
        let status = input.withUnsafeMutableBytes { inBytes in
            output.withUnsafeMutableBytes { outBytes -> Int32 in
                stream.next_in = inBytes.baseAddress?.assumingMemoryBound(to: Bytef.self)
                stream.avail_in = uInt(inBytes.count)
                stream.next_out = outBytes.baseAddress?.assumingMemoryBound(to: Bytef.self)
                stream.avail_out = uInt(outBytes.count)
                return inflate(&stream, Z_FINISH)
            }
        }
        let produced = Int(stream.total_out)
        guard status == Z_STREAM_END, produced <= limit else {
            if produced > limit || status == Z_BUF_ERROR && stream.avail_out == 0 {
                throw InflateError(message: "inflates to more than the \(limit) bytes the archive announces")
            }
            let reason = stream.msg.map { String(cString: $0) } ?? "zlib status \(status)"
            throw InflateError(message: "corrupt DEFLATE data (\(reason))")
        }
        output.removeSubrange(produced...)
        return output
    }
}

/// CRC-32 (ISO 3309, the one zip uses), to check each archive member after inflating it.
enum CRC32 {
    static func checksum(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBytes { raw in
            UInt32(crc32(0, raw.baseAddress?.assumingMemoryBound(to: Bytef.self), uInt(raw.count)))
        }
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
