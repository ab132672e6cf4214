import Glibc
import MallGateSystem
import MallGateTestSupport
import Testing

/// The one whole-file reader: every byte of a file larger than its chunk, errors that say which
/// step failed, and a limit that stops reading an oversized file.
struct WholeFileTests {
    static func scratch(_ name: String) -> String {
        makeTemporaryDirectory("wholefile") + "/" + name
    }

    @Test func readsEveryByteAcrossChunks() throws {
        let path = Self.scratch("big")
        // 200,003 bytes: three whole 64 KiB chunks and a partial one, no byte like its neighbour.
        let bytes = (0..<200_003).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 8) }
        writeFile(path, bytes)
        #expect(try WholeFile.read(path) == bytes)
        #expect(readWholeFile(path) == bytes)
        let empty = Self.scratch("empty")
        writeFile(empty, [])
        #expect(try WholeFile.read(empty) == [])
    }

    @Test func aMissingFileFailsAtOpenADirectoryAtRead() {
        #expect(throws: WholeFile.ReadError.self) { try WholeFile.read("/nonexistent/mallgate/file") }
        do {
            _ = try WholeFile.read("/nonexistent/mallgate/file")
        } catch {
            #expect(error.step == .open && error.code == ENOENT)
            #expect(error.description == "/nonexistent/mallgate/file: cannot open: No such file or directory")
        }
        do {
            _ = try WholeFile.read("/tmp")
            Issue.record("a directory read as a file")
        } catch {
            #expect(error.step == .read && error.code == EISDIR, "\(error)")
        }
        errno = 0
        #expect(readWholeFile("/nonexistent/mallgate/file") == nil)
        #expect(errno == ENOENT)
    }

    @Test func theLimitStopsReadingPastIt() throws {
        let path = Self.scratch("limit")
        let bytes = [UInt8](repeating: 7, count: 1_000_000)
        writeFile(path, bytes)
        let read = try WholeFile.read(path, limit: 70_000)
        // Past the limit, so the caller refuses it, but not the whole megabyte.
        #expect(read.count > 70_000 && read.count < bytes.count)
        #expect(try WholeFile.read(path, limit: bytes.count) == bytes)
    }
}
