import Glibc
import MallGateTestSupport
import Testing

/// The suites' scratch directories: made unique and empty, removed with everything in them, and
/// never through a symbolic link (a fixture links ../shared datasets into its directory).
///
/// A run of `scripts/test.sh` used to leave ~350 directories (~370 MB) in /tmp. Removal at the
/// test process's exit calls ``removeTree(_:)`` on each directory made; this checks that removal
/// on a tree shaped like the fixtures'.
@Suite("Test scratch directories")
struct TemporaryDirectoryTests {
    @Test func eachCallMakesANewEmptyDirectory() throws {
        let a = makeTemporaryDirectory("scratch")
        let b = makeTemporaryDirectory("scratch")
        #expect(a != b)
        #expect(a.hasPrefix("/tmp/mallgate-scratch-") && b.hasPrefix("/tmp/mallgate-scratch-"))
        #expect(Self.kind(a) == S_IFDIR && directoryEntries(a).isEmpty)
    }

    @Test func aTreeIsRemovedButNotWhatItsLinksPointTo() throws {
        // Outside the tree: a file and a directory that links inside the tree point at.
        let outside = makeTemporaryDirectory("scratch-outside")
        try #require(writeText(outside + "/dataset.csv", "kept"))
        let tree = makeTemporaryDirectory("scratch-tree")
        mkdir(tree + "/state", 0o700)
        mkdir(tree + "/state/models", 0o700)
        try #require(writeText(tree + "/state/buffer.sqlite", String(repeating: "x", count: 100_000)))
        try #require(writeText(tree + "/state/models/previous.mgm", "model"))
        try #require(writeText(tree + "/.hidden", "dot file"))
        #expect(symlink(outside + "/dataset.csv", tree + "/linked-file") == 0)
        #expect(symlink(outside, tree + "/state/linked-directory") == 0)
        #expect(symlink(tree + "/missing", tree + "/dangling") == 0)

        removeTree(tree)

        #expect(Self.kind(tree) == nil, "the tree is gone")
        #expect(Self.kind(outside + "/dataset.csv") == S_IFREG, "a linked file outside survives")
        #expect(directoryEntries(outside) == ["dataset.csv"], "a linked directory outside keeps its contents")
        removeTree(tree)  // already gone: nothing to do, no crash
        #expect(Self.kind(tree) == nil)
    }

    static func kind(_ path: String) -> mode_t? {
        var info = stat()
        return lstat(path, &info) == 0 ? info.st_mode & S_IFMT : nil
    }
}
