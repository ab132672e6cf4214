import Glibc
import MallGateDecode
import Testing
@testable import MallGateCapture
import MallGateTestSupport

@Suite(needsCaptures)
struct PcapFileSourceTests {
    @Test func readsEveryFrameOfAPcapInOrder() throws {
        let path = capture("baccichet_probing_patterns/OppoFindX3Neo-A_anonymized.pcap")
        let source = try PcapFileSource(path: path, sensor: "oppo")
        #expect(source.sensors == ["oppo"])
        #expect(source.linkTypes == [.radiotap])
        let (frames, error) = readAll(source, batch: 100)
        #expect(error == nil)
        // README table: 1185 frames.
        #expect(frames.count == 1185)
        #expect(frames.map(\.frameNumber) == Array(1...1185))
        // Three sniffers were merged into this file, so time steps back 31 times; frames come in file order.
        // tshark -r OppoFindX3Neo-A_anonymized.pcap -T fields -e frame.time_epoch | awk 'NR>1 && $1<p {c++} {p=$1} END {print c}' → 31
        #expect(zip(frames, frames.dropFirst()).filter { $0.nanos > $1.nanos }.count == 31)
        #expect(frames.allSatisfy { $0.sourceIndex == 0 })
        // tshark -r OppoFindX3Neo-A_anonymized.pcap -T fields -e frame.time_epoch -e frame.len -c 3
        //   1697026814.689429000 155 / 1697026814.691804000 169 / 1697026814.693077000 167
        #expect(frames.prefix(3).map(\.nanos) == [1_697_026_814_689_429_000, 1_697_026_814_691_804_000, 1_697_026_814_693_077_000])
        #expect(frames.prefix(3).map(\.original) == [155, 169, 167])
        // Radiotap version 0 starts every frame.
        #expect(frames.allSatisfy { $0.firstByte == 0 })
        let stats = try #require(source.statistics().first)
        #expect(stats.framesRead == 1185)
        #expect(stats.bytesRead == UInt64(frames.reduce(0) { $0 + $1.captured }))
        #expect(stats.kernelDropped == nil)
        #expect(stats.truncatedAtFrame == nil)
        #expect(stats.ended)
        // The end is sticky.
        #expect(try source.read(maxFrames: 10) { _ in } == .endOfInput)
    }

    @Test func readsPcapngWithNanosecondTimestamps() throws {
        let path = capture("vigo_polimi/01_HuaweiTablet_01_filtered.pcapng")
        let source = try PcapFileSource(path: path, sensor: "huawei")
        let (frames, error) = readAll(source)
        #expect(error == nil)
        #expect(frames.count == 1310)  // README table
        #expect(frames.last?.frameNumber == 1310)
        // tshark -r 01_HuaweiTablet_01_filtered.pcapng -T fields -e frame.time_epoch -c 3
        //   1724343795.451128463 / 1724343795.476266045 / 1724343795.496526006 (nanosecond if_tsresol)
        #expect(frames.prefix(3).map(\.nanos) == [1_724_343_795_451_128_463, 1_724_343_795_476_266_045, 1_724_343_795_496_526_006])
        #expect(zip(frames, frames.dropFirst()).allSatisfy { $0.nanos <= $1.nanos })
    }

    @Test func readsSecondPcapngAndMixedTraffic() throws {
        let samsung = try PcapFileSource(path: capture("vigo_polimi/01_SamsungA53_01_filtered.pcapng"), sensor: "a53")
        let (s, e1) = readAll(samsung)
        #expect(e1 == nil)
        #expect(s.count == 882)
        // tshark -r 01_SamsungA53_01_filtered.pcapng -T fields -e frame.time_epoch -c 1 → 1725011545.573084000
        #expect(s.first?.nanos == 1_725_011_545_573_084_000)
        let zamani = try PcapFileSource(path: capture("zamani_polimi/4.pcap"), sensor: "z4")
        let (z, e2) = readAll(zamani, batch: 7)
        #expect(e2 == nil)
        #expect(z.count == 579)
        // tshark -r zamani_polimi/4.pcap -T fields -e frame.time_epoch -e frame.len -c 3
        #expect(z.prefix(3).map(\.nanos) == [1_751_633_919_122_071_000, 1_751_633_919_122_083_000, 1_751_633_919_122_089_000])
        #expect(z.prefix(3).map(\.original) == [64, 76, 76])
    }

    @Test func batchesNeverExceedMaxFrames() throws {
        let source = try PcapFileSource(path: capture("zamani_polimi/1.pcap"), sensor: "z1")
        var outcomes: [ReadOutcome] = []
        while true {
            let outcome = try source.read(maxFrames: 4) { _ in }
            outcomes.append(outcome)
            if outcome == .endOfInput { break }
        }
        // 15 frames (README) in batches of 4.
        #expect(outcomes == [.frames(4), .frames(4), .frames(4), .frames(3), .endOfInput])
    }

    @Test func truncatedFileDeliversWholeFramesThenReportsTheBrokenFrame() throws {
        let directory = makeTemporaryDirectory("capture")
        defer { removeTree(directory) }
        let original = (readFile(capture("baccichet_probing_patterns/OppoFindX3Neo-A_anonymized.pcap")) ?? [])
        let cut = directory + "/cut.pcap"
        writeFile(cut, Array(original.prefix(100_000)))
        // head -c 100000 OppoFindX3Neo-A_anonymized.pcap > cut.pcap; capinfos -c cut.pcap → 512 packets,
        // and tshark says the file "appears to have been cut short in the middle of a packet".
        let source = try PcapFileSource(path: cut, sensor: "oppo")
        let (frames, error) = readAll(source, batch: 100)
        #expect(frames.count == 512)
        let thrown = try #require(error)
        #expect(thrown.kind == .truncated)
        #expect(thrown.frameNumber == 513)
        #expect(thrown.sensor == "oppo")
        #expect(thrown.description.contains("frame 513"))
        #expect(thrown.description.contains(cut))
        #expect(source.statistics().first?.truncatedAtFrame == 513)
        #expect(source.statistics().first?.framesRead == 512)
        // After the error the source is finished, not stuck re-throwing.
        #expect(try source.read(maxFrames: 10) { _ in } == .endOfInput)
    }

    @Test func missingFileIsNamed() {
        let path = capture("zamani_polimi/no-such-file.pcap")
        #expect {
            _ = try PcapFileSource(path: path, sensor: "s1")
        } throws: { error in
            let error = error as! CaptureError
            return error.kind == .fileNotFound && error.description.contains(path)
                && error.description.contains("does not exist") && error.sensor == "s1"
        }
    }

    @Test func nonCaptureFileShowsItsFirstBytes() {
        let readme = capture("zamani_polimi/README.md")
        #expect {
            _ = try PcapFileSource(path: readme, sensor: "s1")
        } throws: { error in
            let error = error as! CaptureError
            // README.md starts with "# ca" = 23 20 63 61.
            return error.kind == .notACapture
                && error.summary == "\(readme) is not a pcap or pcapng file (first bytes 23 20 63 61 70 74 75 72)"
        }
    }

    @Test func zeroLengthFileIsEmpty() throws {
        let directory = makeTemporaryDirectory("capture")
        defer { removeTree(directory) }
        let path = directory + "/empty.pcap"
        writeFile(path, [])
        #expect {
            _ = try PcapFileSource(path: path, sensor: "s1")
        } throws: { error in
            let error = error as! CaptureError
            return error.kind == .emptyFile && error.description.contains("0 bytes")
        }
    }

    @Test func ethernetCaptureIsRefusedWithItsDLT() {
        let path = capture("testsuites/other_encaps/tcpdump_lwapp-data.pcap")
        #expect {
            _ = try PcapFileSource(path: path, sensor: "s1")
        } throws: { error in
            let error = error as! CaptureError
            // capinfos: "File encapsulation: Ethernet" = DLT_EN10MB (1).
            return error.kind == .unsupportedLinkType && error.description.contains("DLT 1,")
                && error.description.contains("IEEE802_11_RADIO (127, radiotap)")
        }
    }

    @Test func absurdLengthsGiveAClearErrorNotACrash() throws {
        let directory = makeTemporaryDirectory("capture")
        defer { removeTree(directory) }
        let header: [UInt8] = [
            0xD4, 0xC3, 0xB2, 0xA1,  // magic: pcap, little-endian, microseconds
            0x02, 0x00, 0x04, 0x00,  // version 2.4
            0x00, 0x00, 0x00, 0x00,  // thiszone 0
            0x00, 0x00, 0x00, 0x00,  // sigfigs 0
            0xFF, 0xFF, 0xFF, 0xFF,  // snaplen 4 294 967 295: absurd (libpcap clamps it)
            0x7F, 0x00, 0x00, 0x00,  // linktype 127, radiotap
        ]
        let record: [UInt8] = [
            0x00, 0x00, 0x00, 0x00,  // ts_sec 0
            0x00, 0x00, 0x00, 0x00,  // ts_usec 0
            0x00, 0xFF, 0xFF, 0xFF,  // caplen 0xFFFFFF00: far beyond any snaplen
            0x00, 0xFF, 0xFF, 0xFF,  // len, the same
            0x01, 0x02, 0x03,        // three bytes of "data"
        ]
        let headerOnly = directory + "/absurd-snaplen.pcap"
        writeFile(headerOnly, header)
        let quiet = try PcapFileSource(path: headerOnly, sensor: "s1")
        let (none, noError) = readAll(quiet)
        #expect(none.isEmpty && noError == nil)

        let withRecord = directory + "/absurd-caplen.pcap"
        writeFile(withRecord, header + record)
        let source = try PcapFileSource(path: withRecord, sensor: "s1")
        let (frames, error) = readAll(source)
        #expect(frames.isEmpty)
        let thrown = try #require(error)
        // tcpdump -r absurd-caplen.pcap: "invalid packet capture length 4294967040, bigger than snaplen of 262144"
        #expect(thrown.kind == .corruptFile)
        #expect(thrown.frameNumber == 1)
        #expect(thrown.systemMessage?.contains("4294967040") == true)
    }

    @Test func directoryIsNotACaptureFile() {
        #expect {
            _ = try PcapFileSource(path: capturesDirectory, sensor: "s1")
        } throws: { error in
            (error as! CaptureError).description.contains("is a directory")
        }
    }

    @Test func interruptEndsAFileReplay() throws {
        let source = try PcapFileSource(path: capture("zamani_polimi/4.pcap"), sensor: "z4")
        #expect(try source.read(maxFrames: 10) { _ in } == .frames(10))
        source.interrupt()
        #expect(try source.read(maxFrames: 10) { _ in } == .endOfInput)
    }
}
