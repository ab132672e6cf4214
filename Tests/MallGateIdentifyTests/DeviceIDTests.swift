import Glibc
import MallGateDecode
import MallGateTestSupport
import Testing
@testable import MallGateIdentify

/// A fixed key for reproducible checks: bytes 0, 1, …, 31.
let fixedKey = try! IdentityKey(bytes: (0 ..< 32).map { UInt8($0) })

/// Runs a Python snippet (stdlib hmac/hashlib: an implementation independent of BoringSSL and of MallGate).
func python(_ code: String) -> String {
    let run = shell("python3 -c \(sh(code))")
    return run.output.trimmingCharacters(in: .whitespacesAndNewlines)
}

extension String {
    func trimmingCharacters(in set: Set<Character>) -> String {
        String(drop { set.contains($0) }.reversed().drop { set.contains($0) }.reversed())
    }
}
extension Set where Element == Character { static let whitespacesAndNewlines: Set<Character> = [" ", "\n", "\t", "\r"] }

let pythonAvailable = shell("python3 -c 'import hmac'").status == 0

@Suite(.enabled(if: pythonAvailable, "python3 is absent: the independent HMAC computation cannot run"))
struct DeviceIDAgainstPythonTests {
    /// The HMAC message as docs/privacy.md specifies it, computed by Python's hmac module.
    static func pythonID(label: String, tag: Int, epoch: Int64, mac: String, bytes: Int) -> String {
        python("""
            import hmac, hashlib
            key = bytes(range(32))
            msg = b'\(label)' + bytes([0, \(tag)]) + (\(epoch)).to_bytes(8, 'big', signed=True) + bytes.fromhex('\(mac)')
            print(hmac.new(key, msg, hashlib.sha256).hexdigest()[:\(bytes * 2)])
            """)
    }

    @Test(arguments: [
        (Rotation.never, Int64(0)), (.daily, 20_000), (.weekly, 2_900), (.daily, -3),
    ])
    func deviceIDIsTruncatedHMACSHA256(rotation: Rotation, epoch: Int64) {
        let scheme = DeviceIDScheme(key: fixedKey, rotation: rotation)
        for mac in ["aabbccddeeff", "02000000abcd", "3c22fb123456"] {
            let id = scheme.deviceID(MACAddress(rawValue: UInt64(mac, radix: 16)!), epoch: epoch)
            let expected = Self.pythonID(label: "MallGate device-id v1", tag: Int(rotation.tag), epoch: epoch, mac: mac, bytes: 8)
            #expect(OptOutHash.hex16(id) == expected, "\(mac) \(rotation) \(epoch)")
        }
    }

    @Test func optOutHashIs128BitsOfHMACUnderItsOwnLabel() {
        let scheme = DeviceIDScheme(key: fixedKey, rotation: .daily)
        let hash = scheme.optOutHash(MACAddress(rawValue: 0xAABB_CCDD_EEFF))
        #expect(hash.description == Self.pythonID(label: "MallGate opt-out v1", tag: 0, epoch: 0, mac: "aabbccddeeff", bytes: 16))
    }

    /// RFC 4231 test case 2 checks the HMAC layer itself (key "Jefe"), through the opt-out
    /// label's code path would need our message layout, so this checks swift-crypto + Python agree.
    @Test func pythonHMACMatchesRFC4231() {
        #expect(python("import hmac,hashlib;print(hmac.new(b'Jefe', b'what do ya want for nothing?', hashlib.sha256).hexdigest())")
            == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }
}

struct RotationTests {
    /// ISO weeks and UTC days from Python's datetime, for timestamps around boundaries.
    @Test func epochsFollowUTCDaysAndISOWeeks() throws {
        try #require(pythonAvailable)
        // 2026-11-26 (Thu) … 2026-12-02 (Wed) at 23:59:59 and 00:00:00, plus 1969/1970 around the Unix epoch.
        let seconds: [Int64] = [1_764_115_199, 1_764_115_200, 1_764_287_999, 1_764_288_000, 1_764_374_399, 1_764_374_400,
                                1_764_460_799, 1_764_460_800, 1_764_633_600, -259_201, -259_200, -1, 0, 345_599, 345_600]
        let list = seconds.map(String.init).joined(separator: ",")
        let lines = python("""
            import datetime
            for s in [\(list)]:
                d = datetime.datetime.fromtimestamp(s, datetime.timezone.utc)
                y, w, _ = d.isocalendar()
                print(d.date().toordinal(), y * 100 + w)
            """).split(separator: "\n")
        try #require(lines.count == seconds.count)
        let days = lines.map { Int64($0.split(separator: " ")[0])! }
        let weeks = lines.map { Int64($0.split(separator: " ")[1])! }
        for i in seconds.indices {
            for j in seconds.indices {
                let a = seconds[i] * 1_000_000_000, b = seconds[j] * 1_000_000_000
                #expect((Rotation.daily.epoch(unixNanoseconds: a) == Rotation.daily.epoch(unixNanoseconds: b)) == (days[i] == days[j]))
                #expect((Rotation.weekly.epoch(unixNanoseconds: a) == Rotation.weekly.epoch(unixNanoseconds: b)) == (weeks[i] == weeks[j]))
                #expect(Rotation.never.epoch(unixNanoseconds: a) == Rotation.never.epoch(unixNanoseconds: b))
            }
            // Consecutive days differ by exactly one epoch.
            #expect(Rotation.daily.epoch(unixNanoseconds: seconds[i] * 1_000_000_000) - days[i] == Rotation.daily.epoch(unixNanoseconds: 0) - 719_163)
        }
    }

    @Test func idsChangeAcrossTheBoundaryAndNotWithin() {
        let mac = MACAddress(rawValue: 0x0211_2233_4455)
        let lastSecond: Int64 = 1_795_996_799_000_000_000  // 2026-11-29 23:59:59 UTC, a Sunday
        let firstSecond: Int64 = 1_795_996_800_000_000_000  // 2026-11-30 00:00:00 UTC, a Monday
        let morning: Int64 = 1_795_939_200_000_000_000  // 2026-11-29 08:00:00 UTC
        for rotation in Rotation.allCases {
            var identifier = DeviceIdentifier(key: fixedKey, rotation: rotation)
            let a = identifier.deviceID(mac, unixNanoseconds: morning)
            let b = identifier.deviceID(mac, unixNanoseconds: lastSecond)
            let c = identifier.deviceID(mac, unixNanoseconds: firstSecond)
            #expect(a == b, "\(rotation): same day, same week")
            #expect((b != c) == (rotation != .never), "\(rotation): Sunday→Monday crosses both a day and an ISO week")
        }
        // Within one ISO week but across days: weekly keeps the id, daily changes it.
        var weekly = DeviceIdentifier(key: fixedKey, rotation: .weekly)
        var daily = DeviceIdentifier(key: fixedKey, rotation: .daily)
        let monday = firstSecond, tuesday = firstSecond + 86_400_000_000_000
        let weeklyIDs = (weekly.deviceID(mac, unixNanoseconds: monday), weekly.deviceID(mac, unixNanoseconds: tuesday))
        let dailyIDs = (daily.deviceID(mac, unixNanoseconds: monday), daily.deviceID(mac, unixNanoseconds: tuesday))
        #expect(weeklyIDs.0 == weeklyIDs.1)
        #expect(dailyIDs.0 != dailyIDs.1)
        #expect(daily.statistics.epochChanges == 1)
    }
}

struct DeviceIdentifierTests {
    @Test func cachedIDsEqualTheHMACAndSurviveEviction() {
        let scheme = DeviceIDScheme(key: fixedKey, rotation: .daily)
        var identifier = DeviceIdentifier(key: fixedKey, rotation: .daily, cacheCapacity: 16)
        let t: Int64 = 1_764_403_200_000_000_000
        let epoch = scheme.epoch(unixNanoseconds: t)
        let macs = (0 ..< 500).map { MACAddress(rawValue: UInt64($0) &* 0x9E37_79B9_7F4B | 0x0200_0000_0000) }
        for _ in 0 ..< 3 {
            for m in macs {
                let cached = identifier.deviceID(m, unixNanoseconds: t)
                #expect(cached == scheme.deviceID(m, epoch: epoch))
            }
        }
        #expect(identifier.cacheCapacity == 16)
        #expect(identifier.statistics.evictions > 0)
        // Hits on a working set that fits. The cache's hash is seeded at random: with 1,024 slots
        // (256 sets of 4) five of the 100 MACs landed in one set in about 1 run in 60 and one
        // was evicted; with 65,536 slots that takes about 1 run in a billion.
        var small = DeviceIdentifier(key: fixedKey, rotation: .daily, cacheCapacity: 1 << 16)
        for _ in 0 ..< 10 { for m in macs.prefix(100) { _ = small.deviceID(m, unixNanoseconds: t) } }
        #expect(small.statistics.misses == 100 && small.statistics.hits == 900)
    }

    @Test func optedOutMACsAreDroppedOnEveryFrame() {
        var list = OptOutList(key: fixedKey)
        let out = MACAddress(rawValue: 0x3C22_FB00_0001)
        let kept = MACAddress(rawValue: 0x3C22_FB00_0002)
        let first = list.add(out)
        let second = list.add(out)
        #expect(first && !second)
        #expect(list.contains(out) && !list.contains(kept))
        var identifier = DeviceIdentifier(key: fixedKey, rotation: .daily, optOut: list)
        for day in 0 ..< 3 {  // across rotations: the opt-out hash has no epoch
            let t = 1_764_403_200_000_000_000 + Int64(day) * 86_400_000_000_000
            for _ in 0 ..< 3 {
                let dropped = identifier.deviceID(out, unixNanoseconds: t)
                let passed = identifier.deviceID(kept, unixNanoseconds: t)
                #expect(dropped == nil && passed != nil)
            }
        }
        #expect(identifier.statistics.optedOutFrames == 9)
        // A list made with another key matches nothing.
        var other = OptOutList(key: IdentityKey.random())
        other.add(out)
        var foreign = DeviceIdentifier(key: fixedKey, optOut: OptOutList(key: fixedKey, hashes: other.hashes))
        let foreignID = foreign.deviceID(out, unixNanoseconds: 0)
        #expect(foreignID != nil)
    }

    /// Every spelling of a 48-bit MAC a memory image or a dump could show.
    static func spellings(_ mac: MACAddress) -> (bytes: [[UInt8]], text: [String]) {
        let be = (0 ..< 6).map { mac.octet($0) }
        let hex = be.map { String($0, radix: 16) }.map { $0.count == 1 ? "0" + $0 : $0 }
        let text = [hex.joined(separator: ":"), hex.joined(separator: "-"), hex.joined(), String(mac.rawValue),
                    String((0 ..< 6).reduce(UInt64(0)) { $0 | UInt64(mac.octet($1)) << (8 * UInt64($1)) })]
        return ([be, be.reversed()], text + text.map { $0.uppercased() })
    }

    @Test func theCacheHoldsNoMACInAnySpelling() {
        var identifier = DeviceIdentifier(key: fixedKey, rotation: .never, cacheCapacity: 1024)
        let macs = (1 ... 40).map { MACAddress(rawValue: UInt64($0) &* 0x0101_0101_0101 ^ 0x02AB_CDEF_0000) }
        for m in macs { _ = identifier.deviceID(m, unixNanoseconds: 0) }
        let keys = identifier.cachedKeys
        #expect(keys.count == 40 - Int(identifier.statistics.evictions))
        var image: [UInt8] = []
        for k in keys { withUnsafeBytes(of: k) { image += $0 } }
        for k in identifier.ids { withUnsafeBytes(of: k) { image += $0 } }
        var dumped = ""
        dump(identifier, to: &dumped)
        for m in macs {
            let (bytes, text) = Self.spellings(m)
            #expect(!keys.contains(m.rawValue))
            for b in bytes { #expect(!Self.contains(image, b), "\(m) bytes in the cache image") }
            for t in text where t.count >= 8 { #expect(!dumped.contains(t), "\(m) as \(t) in dump()") }
        }
        #expect(!dumped.isEmpty)
    }

    @Test func keysNeverPrint() {
        let key = IdentityKey.random()
        var text = "\(key) \(String(reflecting: key))"
        dump(key, to: &text)
        key.withKeyMaterial { raw in
            let hex: String = raw.map { (b: UInt8) -> String in b < 16 ? "0" + String(b, radix: 16) : String(b, radix: 16) }.joined()
            let decimals: String = "\(raw[0]), \(raw[1]), \(raw[2])"
            let showsHex = text.contains(String(hex.prefix(8)))
            let showsDecimals = text.contains(decimals)
            #expect(!showsHex && !showsDecimals)
        }
        #expect(text.contains("redacted"))
        #expect(throws: IdentityKeyError.self) { try IdentityKey(bytes: [UInt8](repeating: 1, count: 31)) }
    }

    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard haystack.count >= needle.count else { return false }
        for i in 0 ... (haystack.count - needle.count) where haystack[i] == needle[0] && Array(haystack[i ..< i + needle.count]) == needle {
            return true
        }
        return false
    }

    /// SipHash-2-4 reference vector (siphash.pdf appendix A / vectors.h): key 00…0f, message 00…07.
    @Test func sipHashMatchesTheReferenceVector() {
        let h = SipHash24(k0: 0x0706_0504_0302_0100, k1: 0x0F0E_0D0C_0B0A_0908)
        #expect(h.hash(0x0706_0504_0302_0100) == 0x93F5_F579_9A93_2462)
    }
}
