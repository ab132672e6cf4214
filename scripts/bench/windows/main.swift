import Glibc
// FingerprintWindows.add: this tree vs the version before the in-place rewrite (OldFingerprintWindows, from git), same input, CPU time.
func cpu() -> Double { var u = rusage(); getrusage(RUSAGE_SELF.rawValue, &u); return Double(u.ru_utime.tv_sec) + Double(u.ru_utime.tv_usec) / 1e6 }
struct R { var s: UInt64 = 7; mutating func n() -> UInt64 { s = s &* 6364136223846793005 &+ 1442695040888963407; return s >> 33 } }
let N = 2_000_000
var r = R()
var input: [(UInt64, Int, Int64, Float)] = []
var t: Int64 = 1_800_000_000_000_000_000
for i in 0..<N {
    // bursts: a device is heard by 8 sensors within 20 ms, devices cycle
    let dev = UInt64((i / 8) % 20000)
    t += 300_000  // 0.3 ms per reading: 3,333 readings/s
    input.append((dev, Int(r.n() % 34), t, -40 - Float(r.n() % 50)))
}
for round in 0..<2 {
    var a = OldFingerprintWindows(sensorCount: 34)
    var c0 = cpu(); var w = 0
    for (d, s, tt, x) in input { w += a.add(device: d, sensor: s, timeNanoseconds: tt, rssi: x).count }
    let old = cpu() - c0
    var b = FingerprintWindows(sensorCount: 34)
    c0 = cpu(); var w2 = 0
    for (d, s, tt, x) in input { w2 += b.add(device: d, sensor: s, timeNanoseconds: tt, rssi: x).count }
    let new = cpu() - c0
    print("round \(round): old \(Int(old / Double(N) * 1e9)) ns/reading, new \(Int(new / Double(N) * 1e9)) ns/reading, windows \(w) \(w2), ratio \(old / new)")
}
