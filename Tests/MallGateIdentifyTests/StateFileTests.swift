import Glibc
import MallGateDecode
import MallGateIdentify
import MallGateState
import Testing
import MallGateTestSupport

func fileMode(_ path: String) -> UInt32 {
    var info = stat()
    return stat(path, &info) == 0 ? UInt32(info.st_mode & 0o7777) : 0
}

func fileBytes(_ path: String) -> [UInt8] {
    guard let f = fopen(path, "rb") else { return [] }
    defer { fclose(f) }
    var out: [UInt8] = []
    while true {
        let c = fgetc(f)
        if c == EOF { break }
        out.append(UInt8(c))
    }
    return out
}

struct IdentityKeyFileTests {
    @Test func createdWithMode0600AndIdempotent() throws {
        let dir = makeTemporaryDirectory("identify")
        let (key, created) = try IdentityKeyFile.loadOrCreate(stateDirectory: dir)
        let path = dir + "/" + IdentityKeyFile.fileName
        #expect(created)
        #expect(fileMode(path) == 0o600)
        let onDisk = fileBytes(path)
        #expect(onDisk.count == 32)
        key.withKeyMaterial { #expect(Array($0) == onDisk) }
        let (again, createdAgain) = try IdentityKeyFile.loadOrCreate(stateDirectory: dir)
        #expect(!createdAgain)
        again.withKeyMaterial { #expect(Array($0) == onDisk) }
        #expect(fileBytes(path) == onDisk)
        // Same key, same ids.
        let mac = MACAddress(rawValue: 0x0011_2233_4455)
        #expect(DeviceIDScheme(key: key, rotation: .never).deviceID(mac, epoch: 0) == DeviceIDScheme(key: again, rotation: .never).deviceID(mac, epoch: 0))
        // No temporary file left behind.
        #expect(directoryEntries(dir) == [IdentityKeyFile.fileName])
    }

    @Test func aKeyReadableByOthersIsRefusedWithTheFix() throws {
        let dir = makeTemporaryDirectory("identify")
        let path = dir + "/" + IdentityKeyFile.fileName
        writeFile(path, [UInt8](repeating: 7, count: 32), mode: 0o644)
        let error = #expect(throws: StateFileError.self) { try IdentityKeyFile.loadOrCreate(stateDirectory: dir) }
        #expect(error?.description == "\(path): the identity key is readable by group or others (mode 0644); run `chmod 600 \(path)` (and make the daemon's user its owner), then start again")
        #expect(fileMode(path) == 0o644, "refused, not silently fixed")
        chmod(path, 0o640)
        #expect(throws: StateFileError.self) { try IdentityKeyFile.load(path: path) }
        chmod(path, 0o600)
        #expect(throws: Never.self) { try IdentityKeyFile.load(path: path) }
    }

    @Test(arguments: [0, 31, 33, 64])
    func aKeyOfTheWrongLengthIsRefusedExactly(length: Int) throws {
        let dir = makeTemporaryDirectory("identify")
        let path = dir + "/" + IdentityKeyFile.fileName
        writeFile(path, [UInt8](repeating: 9, count: length), mode: 0o600)
        let error = #expect(throws: StateFileError.self) { try IdentityKeyFile.loadOrCreate(stateDirectory: dir) }
        #expect(error?.description == "\(path): an identity key file holds exactly 32 bytes, this one has \(length); restore it from a backup, or delete it to create a new key (every device id will change)")
    }

    @Test func aMissingStateDirectoryNamesThePath() {
        let error = #expect(throws: StateFileError.self) { try IdentityKeyFile.loadOrCreate(stateDirectory: "/nonexistent-mallgate-state") }
        #expect(error?.path.hasPrefix("/nonexistent-mallgate-state/") == true)
    }
}

struct OptOutFileTests {
    @Test func roundTripsHashesAndWritesNoMAC() throws {
        let dir = makeTemporaryDirectory("identify")
        let path = dir + "/" + OptOutFile.fileName
        let key = IdentityKey.random()
        #expect(try OptOutFile.load(path: path, key: key).isEmpty, "absent file = empty list")
        var list = OptOutList(key: key)
        let macs = [MACAddress(rawValue: 0x3C22_FBAB_CDEF), MACAddress(rawValue: 0xF804_2E12_3456)]
        for m in macs { list.add(m) }
        try OptOutFile.save(list, path: path)
        #expect(fileMode(path) == 0o600)
        let loaded = try OptOutFile.load(path: path, key: key)
        #expect(loaded.hashes == list.hashes)
        for m in macs { #expect(loaded.contains(m)) }
        let text = String(decoding: fileBytes(path), as: UTF8.self).lowercased()
        for m in macs {
            let (_, spellings) = DeviceIdentifierTests.spellings(m)
            for s in spellings { #expect(!text.contains(s.lowercased())) }
        }
    }

    @Test func aBadLineIsNamed() throws {
        let dir = makeTemporaryDirectory("identify")
        let path = dir + "/" + OptOutFile.fileName
        writeFile(path, Array("# comment\n0123456789abcdef0123456789abcdef\n\naa:bb:cc:dd:ee:ff\n".utf8), mode: 0o600)
        let error = #expect(throws: StateFileError.self) { try OptOutFile.load(path: path, key: IdentityKey.random()) }
        #expect(error?.description.hasPrefix("\(path):4: \"aa:bb:cc:dd:ee:ff\" is not an opt-out hash") == true)
    }
}
