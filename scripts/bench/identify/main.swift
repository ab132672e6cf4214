// Identify-stage bench: ns per frame for DeviceIdentifier (cache hit, cache miss) and
// PseudoDeviceGrouper, one thread. Built in release by scripts/bench/identify.sh.
import Glibc
import MallGateDecode
import MallGateIdentify

func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) * 1e9 + Double(ts.tv_nsec)
}

func best(_ repeats: Int, _ body: () -> Int) -> Double {
    var b = Double.infinity
    for _ in 0..<repeats {
        let t0 = now()
        let n = body()
        b = min(b, (now() - t0) / Double(n))
    }
    return b
}

let env = ProcessInfoLite()
let frames = env.int("FRAMES", 5_000_000)
let repeats = env.int("REPEATS", 5)
var rng = SplitMix(state: 42)
let key = IdentityKey.random(using: &rng)
var sink: UInt64 = 0

// Cache hit: 10,000 MACs (a busy mall's live devices) cycled, cache of 65,536.
let working = (0..<10_000).map { _ in MACAddress(rawValue: rng.next() | 0x0200_0000_0000) }
var identifier = DeviceIdentifier(key: key, rotation: .daily)
for m in working { sink &+= identifier.deviceID(m, unixNanoseconds: 1_764_000_000_000_000_000) ?? 0 }
let hit = best(repeats) {
    var t: Int64 = 1_764_000_000_000_000_000
    for i in 0..<frames {
        sink &+= identifier.deviceID(working[i % working.count], unixNanoseconds: t) ?? 0
        t &+= 1000
    }
    return frames
}

// Cache miss: every MAC new (the HMAC path), without and with an opt-out list.
let missFrames = frames / 20
let fresh = (0..<missFrames).map { _ in MACAddress(rawValue: rng.next() | 0x0200_0000_0000) }
var cold = DeviceIdentifier(key: key, rotation: .daily, cacheCapacity: 1 << 12)
let miss = best(repeats) {
    for m in fresh { sink &+= cold.deviceID(m, unixNanoseconds: 1_764_000_000_000_000_000) ?? 0 }
    return fresh.count
}
var optOut = OptOutList(key: key)
optOut.add(MACAddress(rawValue: 0x02_00_00_00_00_01))
var coldOptOut = DeviceIdentifier(key: key, rotation: .daily, optOut: optOut, cacheCapacity: 1 << 12)
let missOptOut = best(repeats) {
    for m in fresh { sink &+= coldOptOut.deviceID(m, unixNanoseconds: 1_764_000_000_000_000_000) ?? 0 }
    return fresh.count
}

// Grouper: 2,000 phones, each burst of 20 frames with a new MAC every burst (iOS-like), 8 fingerprints.
let phones = 2_000
let inputs: [GroupingInput] = {
    var out: [GroupingInput] = []
    out.reserveCapacity(frames)
    var seq = (0..<phones).map { _ in UInt16(rng.next() & 0xFFF) }
    var t: Int64 = 0
    var burst = 0
    while out.count < frames {
        let p = burst % phones
        let mac = rng.next()
        for j in 0..<20 {
            out.append(GroupingInput(deviceID: mac, isRandomized: true, fingerprint: UInt64(p % 8), sequenceNumber: (seq[p] &+ UInt16(j)) & 0xFFF,
                                     timeNanoseconds: t, sensor: j % 6, rssi: -60))
            t += 200_000
        }
        seq[p] = (seq[p] &+ 20) & 0xFFF
        burst += 1
    }
    return out
}()
let group = best(repeats) {
    var g = PseudoDeviceGrouper()
    for i in inputs { sink &+= g.assign(i) }
    return inputs.count
}

// End to end: identify + group, each burst's MAC hashed once (a miss) and hit for its other 19 frames.
let e2e = best(repeats) {
    var g = PseudoDeviceGrouper()
    var id = DeviceIdentifier(key: key, rotation: .daily)
    for i in inputs {
        var x = i
        x.deviceID = id.deviceID(MACAddress(rawValue: i.deviceID | 0x0200_0000_0000), unixNanoseconds: 1_764_000_000_000_000_000 &+ i.timeNanoseconds) ?? 0
        sink &+= g.assign(x)
    }
    return inputs.count
}

func f(_ x: Double) -> String { String((x * 10).rounded() / 10) }
print("| path | ns/frame | frames/s (one core) |")
print("|---|---:|---:|")
print("| DeviceIdentifier cache hit (10,000 MACs) | \(f(hit)) | \(Int(1e9 / hit)) |")
print("| DeviceIdentifier cache miss (1 HMAC, empty opt-out list) | \(f(miss)) | \(Int(1e9 / miss)) |")
print("| DeviceIdentifier cache miss (2 HMACs, with opt-out list) | \(f(missOptOut)) | \(Int(1e9 / missOptOut)) |")
print("| PseudoDeviceGrouper.assign (new MAC every 20 frames) | \(f(group)) | \(Int(1e9 / group)) |")
print("| identify + group (one miss per 20 frames) | \(f(e2e)) | \(Int(1e9 / e2e)) |")
print("hit rate \(identifier.statistics.hits * 100 / max(1, identifier.statistics.hits + identifier.statistics.misses)) %, sink \(sink & 1)")

struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

struct ProcessInfoLite {
    func int(_ name: String, _ fallback: Int) -> Int {
        guard let v = getenv(name) else { return fallback }
        return Int(String(cString: v)) ?? fallback
    }
}
