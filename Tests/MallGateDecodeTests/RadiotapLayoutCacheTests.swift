import Glibc
import Testing
@testable import MallGateDecode

/// The radiotap layout cache must be invisible: a decoder replaying a cached layout gives
/// exactly what a fresh decoder (which always walks the presence words) gives.
@Suite struct RadiotapLayoutCacheTests {
    /// Decodes `frames` with one long-lived decoder (cache warm from the previous frame), then
    /// each frame again (a hit whenever its layout was cacheable), and compares both with a
    /// fresh decoder's walk. Returns how many frames were replayed from the cache.
    @discardableResult
    static func expectCacheInvisible(_ frames: [[UInt8]], _ linkType: LinkType, _ what: String) -> Int {
        var warm = FrameDecoder(linkType: linkType)
        var walked = FrameDecoder(linkType: linkType)
        var replayed = 0
        for (index, frame) in frames.enumerated() {
            frame.withUnsafeBytes { bytes in
                let fresh = FrameDecoder.decode(bytes, linkType: linkType, options: .init())
                let first = warm.decode(bytes)
                let cachedBefore = warm.radiotapCache.keyLength != 0 && warm.radiotapCache.matches(bytes)
                let second = warm.decode(bytes)
                _ = walked.decode(bytes)
                if cachedBefore { replayed += 1 }
                #expect(first == fresh, "\(what) frame \(index + 1): warm cache differs from a walk")
                #expect(second == fresh, "\(what) frame \(index + 1): replayed layout differs from a walk")
            }
        }
        var doubled = walked.counters
        doubled.add(walked.counters)
        #expect(warm.counters == doubled, "\(what): counters differ")
        return replayed
    }

    @Test func fixturesReplayLikeTheWalk() {
        let frames = [
            Fixture.radiotap() + Fixture.probe,
            Fixture.radiotap(flags: 0x10) + Fixture.probe + Fixture.probeFCS,
            RadiotapTests.threeChains + Fixture.probe,
            Fixture.radiotap() + Fixture.probe,
        ]
        let replayed = Self.expectCacheInvisible(frames, .radiotap, "fixtures")
        #expect(replayed == frames.count, "every fixture layout is cacheable")
    }

    /// A vendor namespace makes the layout depend on its skip_length, so it is never cached.
    @Test func vendorNamespaceIsNotCached() throws {
        let frame = hex(
            "00 00 1f 00",     // version 0, length 31
            "20 00 00 c0",     // word 0: signal(5); bit 30 vendor NS next, bit 31 more
            "01 00 00 a0",     // word 1 (vendor NS): vendor bit 0; bit 29 radiotap NS next, bit 31 more
            "20 08 00 00",     // word 2 (radiotap NS again): signal(5) antenna(11)
            "c8",              // @16 signal -56 dBm
            "ff",              // @17 padding to 2-byte alignment for the vendor header
            "00 11 22",        // @18 vendor OUI
            "00",              // @21 sub-namespace 0
            "05 00",           // @22 skip_length 5
            "aa bb cc dd ee",  // @24 vendor data (skipped)
            "b0", "01"         // @29 signal -80 dBm, @30 antenna 1
        ) + Fixture.probe
        var decoder = FrameDecoder(linkType: .radiotap)
        _ = frame.withUnsafeBytes { decoder.decode($0) }
        #expect(decoder.radiotapCache.keyLength == 0)
        #expect(Self.expectCacheInvisible([frame, frame], .radiotap, "vendor namespace") == 0)
    }

    /// Same presence words, different length: a miss, so truncation is still reported per frame.
    @Test func differentLengthIsAMissAndStillDropsTruncatedFields() throws {
        let good = Fixture.radiotap() + Fixture.probe
        var short = good
        short[2] = 0x16  // header length 22: the antenna signal (@22) no longer fits
        let (_, counters) = decodeOne(short, .radiotap)
        #expect(counters.dropped(.truncatedRadioField) == 1)
        Self.expectCacheInvisible([good, short, good, short], .radiotap, "length change")
    }

    /// Every radiotap frame of every classic pcap in ../shared/captures, in order.
    @Test(.enabled(if: capturesDirectory != nil, "../shared/captures is absent"))
    func everyCaptureReplaysLikeTheWalk() throws {
        let paths = Self.classicPcaps(under: try #require(capturesDirectory))
        #expect(paths.count > 40)
        var replayed = 0
        for path in paths {
            guard let pcap = try? PcapFile(path: path), pcap.linkType == .radiotap else { continue }
            replayed += Self.expectCacheInvisible(pcap.records.map(\.data), .radiotap, path)
        }
        #expect(replayed > 5000, "the real captures exercise the cache")
    }

    /// Random byte flips in real radiotap headers (layout words, lengths and field values),
    /// each decoded warm and fresh.
    @Test(.enabled(if: capturesDirectory != nil, "../shared/captures is absent"))
    func mutatedHeadersReplayLikeTheWalk() throws {
        let paths = Self.classicPcaps(under: try #require(capturesDirectory))
        var originals: [[UInt8]] = []
        for path in paths {
            guard let pcap = try? PcapFile(path: path), pcap.linkType == .radiotap else { continue }
            originals += pcap.records.prefix(20).map(\.data)
        }
        var rng = SplitMix64(state: 0x4D47_5043)
        var frames: [[UInt8]] = []
        for _ in 0 ..< 20_000 {
            var frame = originals[Int(rng.next() % UInt64(originals.count))]
            guard frame.count > 8 else { continue }
            frames.append(frame)  // the original first, so the mutant meets a warm cache
            let headerLength = min(Int(frame[2]) | Int(frame[3]) << 8, frame.count)
            for _ in 0 ... rng.next() % 3 {
                let at = Int(rng.next() % UInt64(max(headerLength, 8)))
                frame[at] ^= UInt8(truncatingIfNeeded: rng.next() | 1)
            }
            frames.append(frame)
        }
        Self.expectCacheInvisible(frames, .radiotap, "mutants")
    }

    /// Paths of the `.pcap` files under `directory`, sorted.
    static func classicPcaps(under directory: String) -> [String] {
        var found: [String] = []
        guard let dir = opendir(directory) else { return [] }
        defer { closedir(dir) }
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name == "." || name == ".." { continue }
            let path = directory + "/" + name
            if Int32(entry.pointee.d_type) == Int32(DT_DIR) {
                found += classicPcaps(under: path)
            } else if name.hasSuffix(".pcap") {
                found.append(path)
            }
        }
        return found.sorted()
    }
}
