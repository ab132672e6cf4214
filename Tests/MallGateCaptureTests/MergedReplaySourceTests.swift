import MallGateDecode
import Testing
@testable import MallGateCapture
import MallGateTestSupport

@Suite(needsCaptures)
struct MergedReplaySourceTests {
    @Test func mergesThreeFilesInTimestampOrderWithSourceIndex() throws {
        // zamani 1.pcap (15 frames), 11.pcap (6), and 1.pcap again so every frame of it ties.
        let files: [(path: String, sensor: SensorID)] = [
            (capture("zamani_polimi/1.pcap"), "a"),
            (capture("zamani_polimi/11.pcap"), "b"),
            (capture("zamani_polimi/1.pcap"), "c"),
        ]
        let source = try MergedReplaySource(files: files)
        #expect(source.sensors == ["a", "b", "c"])
        #expect(source.linkTypes == [.radiotap, .radiotap, .radiotap])
        let (frames, error) = readAll(source, batch: 5)
        #expect(error == nil)
        #expect(frames.count == 15 + 6 + 15)
        #expect(zip(frames, frames.dropFirst()).allSatisfy { $0.nanos <= $1.nanos })
        // Ties go to the earlier file.
        #expect(zip(frames, frames.dropFirst()).allSatisfy { $0.nanos < $1.nanos || $0.sourceIndex <= $1.sourceIndex })
        for index in 0..<3 {
            let numbers = frames.filter { $0.sourceIndex == index }.map(\.frameNumber)
            #expect(numbers == Array(1...UInt64(index == 1 ? 6 : 15)))
        }
        // capinfos: 1.pcap spans 1751627196.397459–1751627336.470028, 11.pcap starts at 1751630000.604386,
        // so all 30 frames of the two copies of 1.pcap come first.
        #expect(frames.prefix(30).allSatisfy { $0.sourceIndex != 1 })
        #expect(frames.first?.nanos == 1_751_627_196_397_459_000)
        #expect(frames.last?.nanos == 1_751_630_148_938_136_000)
        let stats = source.statistics()
        #expect(stats.map(\.framesRead) == [15, 6, 15])
        #expect(stats.map(\.sensor) == ["a", "b", "c"])
    }

    @Test func mergesFilesWhoseFramesInterleave() throws {
        let source = try MergedReplaySource(files: [
            (capture("baccichet_probing_patterns/iPhone12Pro-C_anonymized.pcap"), "12pro"),
            (capture("baccichet_probing_patterns/iPhone11-F_anonymized.pcap"), "11f"),
            (capture("baccichet_probing_patterns/iPhone11-M_anonymized.pcap"), "11m"),
        ])
        let (frames, error) = readAll(source, batch: 32)
        #expect(error == nil)
        #expect(frames.count == 154 + 106 + 497)
        #expect(zip(frames, frames.dropFirst()).allSatisfy { $0.nanos <= $1.nanos })
        // The reference merge, one interface per input file:
        //   mergecap -I none -F pcapng -w m.pcapng iPhone12Pro-C… iPhone11-F… iPhone11-M…
        //   tshark -r m.pcapng -T fields -e frame.interface_id | uniq -c → 137×2, 85×0, 106×1, 69×0, 360×2
        var runs: [(index: Int, count: Int)] = []
        for frame in frames {
            if let last = runs.last, last.index == frame.sourceIndex {
                runs[runs.count - 1].count += 1
            } else {
                runs.append((frame.sourceIndex, 1))
            }
        }
        #expect(runs.map(\.index) == [2, 0, 1, 0, 2])
        #expect(runs.map(\.count) == [137, 85, 106, 69, 360])
    }

    @Test func aTruncatedFileIsReportedAndTheOthersContinue() throws {
        let directory = makeTemporaryDirectory("capture")
        defer { removeTree(directory) }
        let original = (readFile(capture("baccichet_probing_patterns/OppoFindX3Neo-A_anonymized.pcap")) ?? [])
        let cut = directory + "/cut.pcap"
        // head -c 100000 … | capinfos -c → 512 whole frames, then a partial one.
        writeFile(cut, Array(original.prefix(100_000)))
        let source = try MergedReplaySource(files: [
            (cut, "cut"),
            (capture("zamani_polimi/1.pcap"), "z1"),
        ])
        var frames: [Seen] = []
        var errors: [CaptureError] = []
        while true {
            do {
                let outcome = try source.read(maxFrames: 50) { frame in
                    frames.append(Seen(frameNumber: frame.frameNumber, nanos: frame.timestampNanoseconds,
                                       sourceIndex: frame.sourceIndex, captured: frame.bytes.count,
                                       original: frame.originalLength, firstByte: nil))
                }
                if outcome == .endOfInput { break }
            } catch {
                errors.append(error)
            }
        }
        #expect(frames.filter { $0.sourceIndex == 0 }.count == 512)
        #expect(frames.filter { $0.sourceIndex == 1 }.count == 15)
        #expect(errors.count == 1)
        #expect(errors.first?.kind == .truncated)
        #expect(errors.first?.frameNumber == 513)
        #expect(errors.first?.sensor == "cut")
        #expect(source.statistics().first?.truncatedAtFrame == 513)
    }

    @Test func anyUnopenableFileFailsTheWholeReplay() {
        #expect {
            _ = try MergedReplaySource(files: [
                (capture("zamani_polimi/1.pcap"), "ok"),
                (capture("testsuites/other_encaps/tcpdump_lwapp-data.pcap"), "eth"),
            ])
        } throws: { error in
            let error = error as! CaptureError
            return error.kind == .unsupportedLinkType && error.sensor == "eth"
        }
    }
}
