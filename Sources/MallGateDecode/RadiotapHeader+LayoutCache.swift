/// Where the fields this decoder reads sit in one radiotap layout, recorded by a full walk
/// and replayed for later frames with the same header length and presence bitmaps.
///
/// A radio emits the same presence words on every frame, so the field offsets are the same
/// every time (https://www.radiotap.org: alignment depends only on which fields precede a
/// field). Replaying them skips the bitmap walk, the per-field size/alignment lookups and the
/// namespace bookkeeping, which were the largest share of a radiotap frame's decode.
///
/// The key is the raw header bytes up to the end of the presence words (version, pad, length
/// and every bitmap word), so any difference in layout or length is a miss and walks again.
/// Only layouts whose reads depend on those bytes alone are cached: no vendor namespace
/// (its skip_length is data), at most one XChannel field, at most
/// ``ChainSignals/capacity`` chains, a header of at most 255 bytes and 32 key bytes.
/// Offsets are stored as bytes from the header start; 0 means "absent" (no field starts
/// before byte 8).
struct RadiotapLayoutCache: Sendable {
    static let maxKeyLength = 32

    /// Header bytes `0 ..< keyLength`, zero past `keyLength`; meaningful only when `keyLength != 0`.
    var key: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
    /// 0 while nothing is cached.
    var keyLength = 0
    /// The end of the last field read, so one check covers every replayed read.
    var fieldsEnd: UInt8 = 0

    var tsft: UInt8 = 0
    var flags: UInt8 = 0
    var rate: UInt8 = 0
    var channel: UInt8 = 0
    var xchannel: UInt8 = 0
    var noise: UInt8 = 0
    /// The first namespace's dBm antenna signal and antenna index.
    var signal: UInt8 = 0
    var antenna: UInt8 = 0
    /// Per-chain (later namespace) signal offsets in byte i, antenna offsets likewise (0 = none).
    var chainSignals: UInt64 = 0
    var chainAntennas: UInt64 = 0
    var chainCount: UInt8 = 0

    /// The last frequency turned into a channel number, and the number (a memo: frames
    /// of one radio stay on a channel for a while).
    var memoMHz: UInt16 = 0
    var memoChannel: UInt16? = nil

    /// Cleared while recording when the layout cannot be replayed from the key alone.
    var cacheable = true
    // Offsets of the namespace being walked, paired up in `noteFinish`.
    var pendingSignal: UInt8 = 0
    var pendingAntenna: UInt8 = 0

    init() {}

    /// Records a field the walk read (called right where ``RadiotapHeader/read`` is), mirroring
    /// its rules: first-namespace-only fields, first signal/antenna per namespace, first noise.
    @inline(__always)
    mutating func note(field: Int, at offset: Int, size: Int, firstNamespace: Bool) {
        let end = offset + size  // both ≤ 65535 (inside the header)
        guard end <= 255 else {
            cacheable = false
            return
        }
        let at = UInt8(offset)
        switch field {
        case 0: if firstNamespace { tsft = at } else { return }
        case 1: if firstNamespace { flags = at } else { return }
        case 2: if firstNamespace { rate = at } else { return }
        case 3: if firstNamespace { channel = at } else { return }
        case 5: if pendingSignal == 0 { pendingSignal = at } else { return }
        case 6: if noise == 0 { noise = at } else { return }
        case 11: if pendingAntenna == 0 { pendingAntenna = at } else { return }
        case 18:
            // The walk tries each XChannel in turn (its value decides); one is all we replay.
            if xchannel == 0 { xchannel = at } else { cacheable = false }
        default: return
        }
        fieldsEnd = Swift.max(fieldsEnd, UInt8(end))
    }

    /// Records the end of a radiotap namespace, mirroring ``RadiotapHeader/finish``.
    @inline(__always)
    mutating func noteFinish(namespace: Int) {
        if namespace == 0 {
            signal = pendingSignal
            antenna = pendingAntenna
        } else if pendingSignal != 0 {
            if chainCount >= UInt8(ChainSignals.capacity) {
                cacheable = false
            } else {
                let shift = UInt64(chainCount) * 8
                chainSignals |= UInt64(pendingSignal) << shift
                chainAntennas |= UInt64(pendingAntenna) << shift
                chainCount += 1
            }
        }
        pendingSignal = 0
        pendingAntenna = 0
    }

    /// Makes the recorded layout the cached one for headers starting like `header` (whose
    /// presence words end at `wordsEnd`), if it can be replayed from those bytes alone.
    mutating func seal(header: UnsafeRawBufferPointer, wordsEnd: Int) {
        guard cacheable, header.count <= 255, wordsEnd <= Self.maxKeyLength,
              let base = header.baseAddress, wordsEnd <= header.count
        else {
            keyLength = 0
            return
        }
        var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        Swift.withUnsafeMutableBytes(of: &words) { $0.baseAddress!.copyMemory(from: base, byteCount: wordsEnd) }
        key = words
        keyLength = wordsEnd
    }

    /// Whether `frame` starts with the cached key.
    @inline(__always)
    func matches(_ frame: UnsafeRawBufferPointer) -> Bool {
        guard keyLength != 0, frame.count >= 8, let base = frame.baseAddress,
              base.loadUnaligned(as: UInt64.self) == key.0
        else { return false }
        // The first word carried the header length, equal to ours (≥ keyLength); the
        // caller still checks it against the frame, so compare only bytes inside the frame.
        guard keyLength <= frame.count else { return false }
        var i = 8
        return Swift.withUnsafeBytes(of: key) { stored in
            while keyLength - i >= 8 {
                if base.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                    != stored.loadUnaligned(fromByteOffset: i, as: UInt64.self) { return false }
                i += 8
            }
            if i < keyLength {  // presence words are 4 bytes, so 4 remain
                if base.loadUnaligned(fromByteOffset: i, as: UInt32.self)
                    != stored.loadUnaligned(fromByteOffset: i, as: UInt32.self) { return false }
            }
            return true
        }
    }

    /// Reads the recorded fields of a header with the cached key into `radio` (fresh).
    ///
    /// - Returns: false if a field would end past `header` (impossible for a matching key,
    ///   whose length equals the recorded one; checked anyway so a read can never stray).
    @inline(__always)
    func replay(_ header: UnsafeRawBufferPointer, into radio: inout RadioInfo) -> Bool {
        guard Int(fieldsEnd) <= header.count, let base = header.baseAddress else { return false }
        // Every offset + size below is ≤ fieldsEnd ≤ header.count (recorded by `note`).
        @inline(__always) func u8(_ at: UInt8) -> UInt8 { base.load(fromByteOffset: Int(at), as: UInt8.self) }
        @inline(__always) func le16(_ at: UInt8) -> UInt16 {
            UInt16(littleEndian: base.loadUnaligned(fromByteOffset: Int(at), as: UInt16.self))
        }
        if tsft != 0 { radio.tsft = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: Int(tsft), as: UInt64.self)) }
        if flags != 0 { radio.flags = RadioFlags(rawValue: u8(flags)) }
        if rate != 0 { radio.rateKbps = UInt32(u8(rate)) * 500 }
        if channel != 0 {
            radio.channelMHz = le16(channel)
            radio.channelFlags = le16(channel &+ 2)  // channel + 4 ≤ fieldsEnd ≤ 255
        } else if xchannel != 0 {
            let mhz = le16(xchannel &+ 4)  // xchannel + 8 ≤ fieldsEnd ≤ 255
            if mhz != 0 { radio.channelMHz = mhz }
        }
        if noise != 0 { radio.noiseDBm = Int8(bitPattern: u8(noise)) }
        if antenna != 0 { radio.antenna = u8(antenna) }
        if signal != 0 { radio.signalDBm = Int8(bitPattern: u8(signal)) }
        var i: UInt64 = 0
        while i < UInt64(chainCount) {
            let s = UInt8(truncatingIfNeeded: chainSignals >> (i * 8))
            let a = UInt8(truncatingIfNeeded: chainAntennas >> (i * 8))
            let dBm = Int8(bitPattern: u8(s))
            radio.chainSignals.append(dBm: dBm, antenna: a != 0 ? u8(a) : 0, hasAntenna: a != 0)
            if radio.signalDBm == nil { radio.signalDBm = dBm }
            i += 1
        }
        return true
    }

    /// ``RadioInfo/channelNumber(forMHz:)``, remembered for the last frequency.
    @inline(__always)
    mutating func channelNumber(forMHz mhz: UInt16) -> UInt16? {
        if mhz != memoMHz {  // memoChannel == channelNumber(memoMHz) always (both start at 0 → nil)
            memoMHz = mhz
            memoChannel = RadioInfo.channelNumber(forMHz: mhz)
        }
        return memoChannel
    }
}
