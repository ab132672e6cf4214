// Single-threaded decode loop for profiling MallGateDecode alone (built by decode-loop.sh
// together with Sources/MallGateDecode/*.swift as one module; not part of the package).
//
// Reads a classic pcap into memory, then decodes every record with one FrameDecoder into one
// ProbeRequest, as the capture thread does, with no libpcap, threads or batching. valgrind's
// callgrind cannot follow the threaded mallgate binary; it can follow this.
import Glibc

@main
enum DecodeLoop {
    static func main() {
        let args = CommandLine.arguments
        guard args.count >= 2, let file = fopen(args[1], "rb") else {
            fputs("usage: decode-loop FILE.pcap [FRAMES] [REPEATS]\n", stderr)
            exit(2)
        }
        let limit = args.count >= 3 ? Int(args[2]) ?? Int.max : Int.max
        let repeats = args.count >= 4 ? max(Int(args[3]) ?? 1, 1) : 1
        fseek(file, 0, SEEK_END)
        let size = ftell(file)
        fseek(file, 0, SEEK_SET)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(size, 24), alignment: 8)
        defer { buffer.deallocate() }
        guard size >= 24, fread(buffer.baseAddress, 1, size, file) == size,
              buffer.load(as: UInt32.self) == 0xA1B2_C3D4 || buffer.load(as: UInt32.self) == 0xA1B2_3C4D
        else {
            fputs("decode-loop: \(args[1]) is not a little-endian classic pcap\n", stderr)
            exit(1)
        }
        fclose(file)
        let bytes = UnsafeRawBufferPointer(rebasing: buffer[0 ..< size])
        var best = UInt64.max
        var result = (frames: 0, probes: UInt64(0), checksum: UInt64(0))
        for _ in 0 ..< repeats {
            let start = nanoseconds()
            result = run(bytes, limit: limit)
            best = min(best, nanoseconds() - start)
        }
        print("frames=\(result.frames) probes=\(result.probes) checksum=\(result.checksum) best_ns_per_frame=\(Double(best) / Double(max(result.frames, 1)))")
    }

    @inline(never)
    static func run(_ pcap: UnsafeRawBufferPointer, limit: Int) -> (frames: Int, probes: UInt64, checksum: UInt64) {
        var decoder = FrameDecoder(linkType: LinkType(rawValue: Int32(pcap.loadUnaligned(fromByteOffset: 20, as: UInt32.self))))
        var probe = ProbeRequest()
        var offset = 24
        var frames = 0
        var checksum: UInt64 = 0
        while frames < limit, pcap.count - offset >= 16 {
            let captured = Int(pcap.loadUnaligned(fromByteOffset: offset + 8, as: UInt32.self))
            offset += 16
            guard captured <= pcap.count - offset else { break }
            let frame = UnsafeRawBufferPointer(rebasing: pcap[offset ..< offset + captured])
            if case .probeRequest = decoder.decode(frame, into: &probe) {
                // Folds a few results so the decode cannot be optimized away.
                checksum = checksum &* 31 ^ probe.fingerprint.rawValue ^ UInt64(UInt8(bitPattern: probe.radio.signalDBm ?? 0))
            }
            offset += captured
            frames += 1
        }
        return (frames, decoder.counters.probeRequests, checksum)
    }

    static func nanoseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
    }
}
