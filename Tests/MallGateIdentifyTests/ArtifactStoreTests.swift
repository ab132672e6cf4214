import Glibc
import MallGateState
import Synchronization
import Testing
import MallGateTestSupport

/// A verification that accepts anything and says it belongs to `venue`.
private func accept(_ venue: String = "demo-mall", layout: UInt64 = 0x1234) -> (ArtifactCandidate) throws -> ArtifactIdentity {
    { _ in ArtifactIdentity(venueID: venue, layoutHash: layout) }
}

private struct Refusal: Error, CustomStringConvertible {
    var description: String
}

/// Names of the files in `directory` (no dot files but the store's `.incoming` ones).
private func listing(_ directory: String) -> [String] {
    directoryEntries(directory).filter { !$0.hasPrefix(".") || $0.hasPrefix(".incoming") }
}

struct ArtifactStoreTests {
    let one = Array("model one".utf8)
    let two = Array("model two, longer".utf8)
    let three = Array("model three".utf8)

    @Test func sha256MatchesTheFIPSExample() {
        // FIPS 180-2, appendix B.1: SHA-256("abc").
        #expect(ArtifactStore.sha256Hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func nothingInstalledInAFreshStateDirectory() throws {
        let store = ArtifactStore(stateDirectory: makeTemporaryDirectory("identify"))
        #expect(try store.current(.model) == nil)
        #expect(try store.previous(.venue) == nil)
        #expect(throws: ArtifactStoreError.self) { try store.rollback(.model) }
    }

    @Test func installKeepsThePreviousAndRollbackSwaps() throws {
        let state = makeTemporaryDirectory("identify")
        let store = ArtifactStore(stateDirectory: state)
        let first = try store.install(.model, bytes: one, source: .pulled, origin: "http://collector/v1", verify: accept())
        #expect(fileBytes(first.path) == one)
        #expect(first.manifest.sha256 == ArtifactStore.sha256Hex(one))
        #expect(first.manifest.size == one.count)
        #expect(first.manifest.venueID == "demo-mall")
        #expect(first.manifest.layoutHash == 0x1234)
        #expect(first.manifest.source == .pulled)
        #expect(abs(first.manifest.installedAt - Int64(time(nil))) < 60)
        let second = try store.install(.model, bytes: two, source: .trained, verify: accept(layout: 0x99))
        // A fresh value reading the files again sees the same thing (nothing cached in memory).
        let reread = ArtifactStore(stateDirectory: state)
        #expect(try reread.current(.model) == second)
        #expect(try reread.previous(.model) == first)
        #expect(try reread.current(.venue) == nil)
        #expect(try reread.rollback(.model) == first)
        #expect(try reread.current(.model) == first)
        #expect(try reread.previous(.model) == second)
        // A second rollback undoes the first.
        #expect(try reread.rollback(.model) == second)
        // A third install drops the oldest file.
        let third = try store.install(.model, bytes: three, source: .technician, verify: accept())
        let files = listing(state + "/artifacts/model")
        #expect(files == ["installed", second.path.split(separator: "/").last.map(String.init)!, third.path.split(separator: "/").last.map(String.init)!].sorted())
    }

    @Test func aRefusedArtifactChangesNothing() throws {
        let state = makeTemporaryDirectory("identify")
        let store = ArtifactStore(stateDirectory: state)
        let good = try store.install(.venue, bytes: one, source: .pulled, verify: accept())
        let pointerBefore = fileBytes(state + "/artifacts/venue/installed")
        var seen: ArtifactCandidate?
        let error = #expect(throws: ArtifactStoreError.self) {
            try store.install(.venue, bytes: two, source: .pulled) { candidate in
                seen = candidate
                throw Refusal(description: "venue \"other-mall\" is not this gateway's venue")
            }
        }
        #expect(error?.isRefused == true)
        #expect(error?.reason == "venue \"other-mall\" is not this gateway's venue")
        // The verification saw the written bytes under a temporary name.
        #expect(seen?.bytes == two)
        #expect(seen?.sha256 == ArtifactStore.sha256Hex(two))
        #expect(seen.map { $0.path.contains(".incoming-") } == true)
        #expect(try store.current(.venue) == good)
        #expect(try store.previous(.venue) == nil)
        #expect(fileBytes(state + "/artifacts/venue/installed") == pointerBefore)
        // `listing` sorts: compare with the expected names sorted the same way (a hash may start with a digit).
        #expect(listing(state + "/artifacts/venue") == ["installed", ArtifactStore.sha256Hex(one) + ".json"].sorted())
    }

    @Test func installingTheCurrentOneAgainIsANoOp() throws {
        let store = ArtifactStore(stateDirectory: makeTemporaryDirectory("identify"))
        let first = try store.install(.model, bytes: one, source: .pulled, verify: accept())
        let again = try store.install(.model, bytes: one, source: .trained) { _ in
            throw Refusal(description: "must not be asked")
        }
        #expect(again == first)
        #expect(try store.previous(.model) == nil)
    }

    @Test func rollbackPastTheFirstInstallReturnsToTheConfigurationAndDeclinesIt() throws {
        let store = ArtifactStore(stateDirectory: makeTemporaryDirectory("identify"))
        let first = try store.install(.venue, bytes: one, source: .pulled, verify: accept())
        #expect(try store.declined(.venue) == [])
        #expect(try store.rollback(.venue) == nil)
        #expect(try store.current(.venue) == nil)
        #expect(try store.previous(.venue) == first)
        #expect(try store.declined(.venue) == [first.manifest.sha256])
        // Rolling forward again takes it off the declined list.
        #expect(try store.rollback(.venue) == first)
        #expect(try store.declined(.venue) == [])
        // A pulled copy of a declined artifact stays declined; one installed by a person does not.
        try store.rollback(.venue)
        let second = try store.install(.venue, bytes: two, source: .pulled, verify: accept())
        #expect(try store.declined(.venue) == [first.manifest.sha256])
        try store.install(.venue, bytes: one, source: .technician, verify: accept())
        #expect(try store.declined(.venue) == [])
        #expect(try store.previous(.venue) == second)
    }

    @Test func clearReturnsToTheConfigurationAndRollbackUndoesIt() throws {
        let store = ArtifactStore(stateDirectory: makeTemporaryDirectory("identify"))
        let first = try store.install(.model, bytes: one, source: .pulled, verify: accept())
        #expect(try store.clear(.model) == first)
        #expect(try store.current(.model) == nil)
        #expect(try store.previous(.model) == first)
        #expect(try store.rollback(.model) == first)
        #expect(try store.current(.model) == first)
    }

    /// An install stopped after any step leaves the old artifact current or the new one —
    /// never a missing or partial file — and the next install succeeds and cleans up.
    @Test(arguments: ArtifactStore.InstallStep.allCases)
    func anInterruptedInstallLeavesAConsistentStore(step: ArtifactStore.InstallStep) throws {
        let state = makeTemporaryDirectory("identify")
        var store = ArtifactStore(stateDirectory: state)
        let old = try store.install(.model, bytes: one, source: .pulled, verify: accept())
        store.stepObserver = { reached in if reached == step { throw Refusal(description: "stop") } }
        #expect(throws: ArtifactStoreError.self) { try store.install(.model, bytes: two, source: .pulled, verify: accept()) }
        store.stepObserver = nil
        let current = try #require(try store.current(.model))
        #expect(fileBytes(current.path) == (step == .switched ? two : one))
        if step != .switched { #expect(current == old) }
        #expect(fileBytes(current.path).count == current.manifest.size)
        #expect(ArtifactStore.sha256Hex(fileBytes(current.path)) == current.manifest.sha256)
        // The next install works and leaves no temporary behind.
        try store.install(.model, bytes: three, source: .pulled, verify: accept())
        #expect(!listing(state + "/artifacts/model").contains { $0.hasPrefix(".incoming") })
        #expect(listing(state + "/artifacts/model").count == 3)
    }

    @Test func aDamagedPointerFileIsReportedWithItsLine() throws {
        let state = makeTemporaryDirectory("identify")
        let store = ArtifactStore(stateDirectory: state)
        try store.install(.model, bytes: one, source: .pulled, verify: accept())
        let pointer = state + "/artifacts/model/installed"
        writeText(pointer, "# header\ncurrent.sha256 00\ngarbage\n")
        let error = #expect(throws: ArtifactStoreError.self) { try store.current(.model) }
        #expect(error?.description.contains("installed:3:") == true)
        // What the message advises works on the damaged file: clear starts over from the configuration's files.
        #expect(try store.clear(.model) == nil)
        #expect(try store.current(.model) == nil)
        #expect(try store.previous(.model) == nil)
        // An artifact file deleted by hand is named, not silently ignored.
        let again = ArtifactStore(stateDirectory: makeTemporaryDirectory("identify"))
        let installed = try again.install(.model, bytes: one, source: .pulled, verify: accept())
        unlink(installed.path)
        let missing = #expect(throws: ArtifactStoreError.self) { try again.current(.model) }
        #expect(missing?.description.contains(installed.manifest.sha256) == true)
    }

    @Test func concurrentInstallersSerialize() async throws {
        let state = makeTemporaryDirectory("identify")
        let payloads = (0..<8).map { Array("model \($0)".utf8) }
        await withTaskGroup(of: Void.self) { group in
            for bytes in payloads {
                group.addTask { _ = try? ArtifactStore(stateDirectory: state).install(.model, bytes: bytes, source: .pulled, verify: accept()) }
            }
        }
        let store = ArtifactStore(stateDirectory: state)
        let (current, previous) = try store.installed(.model)
        let c = try #require(current), p = try #require(previous)
        #expect(c.manifest.sha256 != p.manifest.sha256)
        #expect(payloads.contains(fileBytes(c.path)) && payloads.contains(fileBytes(p.path)))
        #expect(listing(state + "/artifacts/model").count == 3)
    }
}
