// gzip (RFC 1952) for batch bodies, through the system zlib: the body of every upload is
// gzip(BatchEnvelope), and the collector must refuse anything that inflates past its limit.
internal import CZlib

/// gzip compression and bounded decompression of whole buffers.
///
/// Whole-buffer rather than streaming: batches are bounded (a few hundred kB at most), and the
/// collector needs the complete payload to check its hash before storing anything.
public enum Gzip {
    /// Compresses `bytes` into one gzip member.
    /// - Parameter level: zlib level 1…9; 6 is zlib's default speed/size balance.
    public static func compress(_ bytes: [UInt8], level: Int32 = 6) -> [UInt8] {
        var stream = z_stream()
        // deflateInit2 fails only for bad parameters or out of memory; both are programmer errors here.
        precondition(mallgate_deflate_init_gzip(&stream, level) == Z_OK, "zlib deflateInit2 failed")
        defer { deflateEnd(&stream) }
        let bound = Int(deflateBound(&stream, uLong(bytes.count))) + 32
        var output = [UInt8](repeating: 0, count: bound)
        var input = bytes
        let status = input.withUnsafeMutableBytes { inBytes in
            output.withUnsafeMutableBytes { outBytes -> Int32 in
                stream.next_in = inBytes.baseAddress?.assumingMemoryBound(to: Bytef.self)
                stream.avail_in = uInt(inBytes.count)
                stream.next_out = outBytes.baseAddress?.assumingMemoryBound(to: Bytef.self)
                stream.avail_out = uInt(outBytes.count)
                return deflate(&stream, Z_FINISH)
            }
        }
        // deflateBound guarantees room for one Z_FINISH call.
        precondition(status == Z_STREAM_END, "zlib deflate did not finish within deflateBound (status \(status))")
        output.removeSubrange(Int(stream.total_out)...)
        return output
    }

    /// Inflates one gzip member, refusing to produce more than `limit` bytes.
    /// - Throws: `WireError` if the data is not gzip, is corrupt or truncated, fails its CRC-32,
    ///   or inflates past `limit` (a gzip bomb).
    public static func decompress(_ bytes: [UInt8], limit: Int) throws(WireError) -> [UInt8] {
        var stream = z_stream()
        guard mallgate_inflate_init_gzip(&stream) == Z_OK else {
            throw WireError(.compression("zlib could not start inflating (out of memory?)"))
        }
        defer { inflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: min(max(bytes.count * 4, 4096), limit + 1))
        var input = bytes
        var status: Int32 = Z_OK
        var failure: WireError?
        input.withUnsafeMutableBytes { inBytes in
            stream.next_in = inBytes.baseAddress?.assumingMemoryBound(to: Bytef.self)
            stream.avail_in = uInt(inBytes.count)
            while true {
                let produced = Int(stream.total_out)
                if produced == output.count {
                    guard output.count <= limit else { return }
                    // Grow geometrically, one byte past the limit so overflow is detectable.
                    output.append(contentsOf: repeatElement(0, count: min(output.count, limit + 1 - output.count)))
                }
                status = output.withUnsafeMutableBytes { outBytes -> Int32 in
                    stream.next_out = outBytes.baseAddress!.assumingMemoryBound(to: Bytef.self) + produced
                    stream.avail_out = uInt(outBytes.count - produced)
                    return inflate(&stream, Z_NO_FLUSH)
                }
                if status == Z_STREAM_END { return }
                if status == Z_BUF_ERROR && stream.avail_in == 0 {
                    failure = WireError(.compression("gzip data ends early (truncated body)"))
                    return
                }
                guard status == Z_OK || status == Z_BUF_ERROR else {
                    let reason = stream.msg.map { String(cString: $0) } ?? "zlib status \(status)"
                    failure = WireError(.compression("not valid gzip data (\(reason))"))
                    return
                }
            }
        }
        if let failure { throw failure }
        let produced = Int(stream.total_out)
        guard produced <= limit else {
            throw WireError(.tooLarge("gzip body inflates to more than \(limit) bytes"))
        }
        guard status == Z_STREAM_END else {
            throw WireError(.compression("gzip data ends early (truncated body)"))
        }
        guard stream.avail_in == 0 else {
            throw WireError(.compression("\(stream.avail_in) bytes of trailing data after the gzip member"))
        }
        output.removeSubrange(produced...)
        return output
    }
}
