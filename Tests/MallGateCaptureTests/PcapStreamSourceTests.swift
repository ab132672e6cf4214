import Glibc
import MallGateDecode
import Testing
@testable import MallGateCapture
import MallGateTestSupport

@Suite(needsCaptures)
struct PcapStreamSourceTests {
    @Test func tcpdumpPipedIntoAFifoDeliversEveryFrame() throws {
        let directory = makeTemporaryDirectory("capture")
        defer { removeTree(directory) }
        let fifo = directory + "/sensor.fifo"
        #expect(mkfifo(fifo, 0o600) == 0)
        let file = capture("baccichet_probing_patterns/OppoFindX3Neo-A_anonymized.pcap")
        // As on a gateway: ssh sensor tcpdump -w - | … ; here tcpdump replays a real capture.
        let writer = spawn(["sh", "-c", "tcpdump -r '\(file)' -w - 2>/dev/null > '\(fifo)'"])
        let source = try PcapStreamSource(path: fifo, sensor: "remote")
        #expect(source.linkTypes == [.radiotap])
        let (frames, error) = readAll(source, batch: 50)
        #expect(wait(writer) == 0)
        #expect(error == nil)
        #expect(frames.count == 1185)  // README table
        #expect(frames.map(\.frameNumber) == Array(1...1185))
        // tshark -r OppoFindX3Neo-A_anonymized.pcap -T fields -e frame.time_epoch -c 1 → 1697026814.689429000
        #expect(frames.first?.nanos == 1_697_026_814_689_429_000)
    }

    @Test func framesArriveBeforeTheStreamEnds() throws {
        let directory = makeTemporaryDirectory("capture")
        defer { removeTree(directory) }
        let fifo = directory + "/live.fifo"
        #expect(mkfifo(fifo, 0o600) == 0)
        // The first three records of a real capture: 24-byte header, then 16-byte record
        // headers each followed by the caplen bytes they announce.
        let bytes = (readFile(capture("zamani_polimi/1.pcap")) ?? [])
        let records = splitRecords(bytes)
        // O_RDWR on a FIFO does not wait for a reader, and keeps the FIFO open as its writer.
        let writer = open(fifo, O_RDWR)
        #expect(writer >= 0)
        defer { close(writer) }
        writeAll(writer, Array(bytes.prefix(24)) + records[0])
        let source = try PcapStreamSource(path: fifo, sensor: "remote")
        var numbers: [UInt64] = []
        // A batch of up to 100 returns with the one frame that has arrived, instead of waiting for 99 more.
        #expect(try source.read(maxFrames: 100) { numbers.append($0.frameNumber) } == .frames(1))
        writeAll(writer, records[1] + records[2])
        #expect(try source.read(maxFrames: 100) { numbers.append($0.frameNumber) } == .frames(2))
        #expect(numbers == [1, 2, 3])
    }

    @Test func interruptEndsABlockedRead() throws {
        let directory = makeTemporaryDirectory("capture")
        defer { removeTree(directory) }
        let fifo = directory + "/quiet.fifo"
        #expect(mkfifo(fifo, 0o600) == 0)
        let writer = open(fifo, O_RDWR)
        defer { close(writer) }
        // A valid header, then silence: a read would wait forever.
        writeAll(writer, Array((readFile(capture("zamani_polimi/1.pcap")) ?? []).prefix(24)))
        let source = try PcapStreamSource(path: fifo, sensor: "remote")
        let reading = BlockingCall { Result { () throws(CaptureError) in try source.read(maxFrames: 10) { _ in } } }
        usleep(100_000)  // let the read block; the result does not depend on it
        source.interrupt()
        #expect(try reading.join().get() == .endOfInput)
        #expect(try source.read(maxFrames: 10) { _ in } == .endOfInput)
    }

    @Test func emptyStreamAndNonPcapStreamAreNamed() throws {
        let directory = makeTemporaryDirectory("capture")
        defer { removeTree(directory) }
        let fifo = directory + "/empty.fifo"
        #expect(mkfifo(fifo, 0o600) == 0)
        let writer = spawn(["sh", "-c", ": > '\(fifo)'"])
        #expect {
            _ = try PcapStreamSource(path: fifo, sensor: "remote")
        } throws: { error in
            (error as! CaptureError).kind == .emptyFile
        }
        _ = wait(writer)
        let text = spawn(["sh", "-c", "echo 'tcpdump: mon0: No such device exists' > '\(fifo)'"])
        #expect {
            _ = try PcapStreamSource(path: fifo, sensor: "remote")
        } throws: { error in
            let error = error as! CaptureError
            return error.kind == .notACapture && error.description.contains("not a pcap or pcapng file")
        }
        _ = wait(text)
    }

    @Test func dashReadsStandardInput() throws {
        // Stand a pipe in for stdin just while the source duplicates descriptor 0; no other test reads stdin.
        var ends: [Int32] = [-1, -1]
        #expect(pipe(&ends) == 0)
        let savedStdin = dup(STDIN_FILENO)
        #expect(dup2(ends[0], STDIN_FILENO) == STDIN_FILENO)
        close(ends[0])
        let bytes = (readFile(capture("zamani_polimi/8.pcap")) ?? [])
        writeAll(ends[1], bytes)
        close(ends[1])
        let source: PcapStreamSource
        do {
            defer {
                dup2(savedStdin, STDIN_FILENO)
                close(savedStdin)
            }
            source = try PcapStreamSource(path: "-", sensor: "stdin")
        }
        let (frames, error) = readAll(source)
        #expect(error == nil)
        #expect(frames.count == 5)  // README table: 8.pcap has 5 frames
        #expect(source.statistics().first?.ended == true)
        // Our descriptor was a duplicate: the process's stdin is still open.
        #expect(fcntl(STDIN_FILENO, F_GETFD) >= 0)
    }

    @Test func missingFifoIsNamed() {
        #expect {
            _ = try PcapStreamSource(path: "/nonexistent/sensor.fifo", sensor: "remote")
        } throws: { error in
            let error = error as! CaptureError
            return error.kind == .fileNotFound && error.description.contains("/nonexistent/sensor.fifo")
        }
    }
}

/// Splits a little-endian pcap file (after its 24-byte header) into whole records.
func splitRecords(_ bytes: [UInt8]) -> [[UInt8]] {
    var records: [[UInt8]] = []
    var offset = 24
    while offset + 16 <= bytes.count {
        // incl_len: bytes 8..<12 of the record header.
        let caplen = Int(bytes[offset + 8]) | Int(bytes[offset + 9]) << 8 | Int(bytes[offset + 10]) << 16 | Int(bytes[offset + 11]) << 24
        let end = offset + 16 + caplen
        guard end <= bytes.count else { break }
        records.append(Array(bytes[offset..<end]))
        offset = end
    }
    return records
}

func writeAll(_ fd: Int32, _ bytes: [UInt8]) {
    var written = 0
    while written < bytes.count {
        let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + written, $0.count - written) }
        precondition(n > 0, "write failed")
        written += n
    }
}
