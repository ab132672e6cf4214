/// A parsed radio header: what it said and where the 802.11 frame starts.
public struct RadioHeader: Sendable, Equatable {
    public var radio: RadioInfo
    /// Bytes from the start of the captured frame to the 802.11 frame.
    public var length: Int
    public init(radio: RadioInfo, length: Int) {
        self.radio = radio
        self.length = length
    }
}

/// The radiotap header parser (DLT 127), https://www.radiotap.org.
///
/// Walks every presence word, including extended bitmaps (bit 31), radiotap namespace
/// resets (bit 29) and vendor namespaces (bit 30, skipped by their skip_length), aligning
/// each field to its natural size relative to the header start. Stops at the first field
/// it cannot size, keeping what it read; the header length still says where 802.11 starts.
public enum RadiotapHeader {
    /// Alignment and size of radiotap-namespace field `bit` (https://www.radiotap.org/fields/defined),
    /// or nil for fields whose size is unknown (TLVs, bit 28, and anything later).
    @inline(__always)
    static func layout(_ bit: Int) -> (align: Int, size: Int)? {
        switch bit {
        case 0: return (8, 8)    // TSFT u64
        case 1, 2: return (1, 1) // Flags u8; Rate u8 (500 kb/s)
        case 3: return (2, 4)    // Channel u16 freq, u16 flags
        case 4: return (1, 2)    // FHSS u8 hop set, u8 pattern
        case 5, 6: return (1, 1) // dBm antenna signal s8; dBm antenna noise s8
        case 7, 8, 9: return (2, 2) // lock quality; TX attenuation; dB TX attenuation (u16)
        case 10, 11, 12, 13: return (1, 1) // dBm TX power; antenna; dB signal; dB noise (u8)
        case 14, 15: return (2, 2) // RX flags; TX flags (u16)
        case 16, 17: return (1, 1) // RTS retries; data retries (u8)
        case 18: return (4, 8)   // XChannel u32 flags, u16 freq, u8 channel, u8 max power
        case 19: return (1, 3)   // MCS u8 known, u8 flags, u8 mcs
        case 20: return (4, 8)   // A-MPDU status u32, u16, u8, u8
        case 21: return (2, 12)  // VHT u16, u8, u8, u8×4, u8, u8, u16
        case 22: return (8, 12)  // timestamp u64, u16, u8, u8
        case 23, 24: return (2, 12) // HE u16×6; HE-MU u16, u16, u8×8
        case 25: return (2, 6)   // HE-MU-other-user u16, u16, u8, u8
        case 26: return (1, 1)   // 0-length-PSDU u8
        case 27: return (2, 4)   // L-SIG u16, u16
        default: return nil
        }
    }

    /// Parses the radiotap header at the start of `frame`.
    ///
    /// - Returns: the radio data and header length, or why the frame must be dropped:
    ///   ``DropReason/truncatedRadioHeader`` (fewer than 8 bytes),
    ///   ``DropReason/unsupportedRadioHeaderVersion`` (version ≠ 0),
    ///   ``DropReason/radioHeaderLengthMismatch`` (length < 8 or > frame),
    ///   ``DropReason/unterminatedPresenceBitmap``, ``DropReason/truncatedRadioField``.
    public static func parse(_ frame: UnsafeRawBufferPointer) -> Result<RadioHeader, DropReason> {
        var radio = RadioInfo()
        var cache = RadiotapLayoutCache()
        return parse(frame, into: &radio, cache: &cache, useCache: false).map { RadioHeader(radio: radio, length: $0) }
    }

    /// Parses the radiotap header at the start of `frame` into `radio` (a fresh value),
    /// replaying `cache` when the frame has its layout and walking (and recaching) otherwise.
    ///
    /// - Returns: the header length, or the same drop reasons as ``parse(_:)``.
    @inline(__always)
    static func parse(
        _ frame: UnsafeRawBufferPointer, into radio: inout RadioInfo, cache: inout RadiotapLayoutCache, useCache: Bool = true
    ) -> Result<Int, DropReason> {
        guard frame.count >= 8, let version = frame.u8(0), let lengthField = frame.le16(2) else {
            return .failure(.truncatedRadioHeader)
        }
        guard version == 0 else { return .failure(.unsupportedRadioHeaderVersion) }
        let length = Int(lengthField)
        guard length >= 8, length <= frame.count else { return .failure(.radioHeaderLengthMismatch) }
        // Only the header's own bytes: fields may never spill into the 802.11 frame.
        guard let header = frame.slice(0, length) else { return .failure(.radioHeaderLengthMismatch) }
        if useCache && cache.matches(header) && cache.replay(header, into: &radio) {
            finishRadio(&radio, cache: &cache)
            return .success(length)
        }
        var recorder = RadiotapLayoutCache()
        if let reason = walk(header, into: &radio, recorder: &recorder) { return .failure(reason) }
        if useCache {
            cache = recorder
            finishRadio(&radio, cache: &cache)
        } else {
            finishRadio(&radio, cache: &recorder)
        }
        return .success(length)
    }

    /// What every radiotap header's fields imply, cached or walked.
    @inline(__always)
    static func finishRadio(_ radio: inout RadioInfo, cache: inout RadiotapLayoutCache) {
        if radio.flags.contains(.fcsAtEnd) { radio.fcsPresent = true }
        if radio.flags.contains(.badFCS) { radio.badFCS = true }
        if let mhz = radio.channelMHz { radio.channel = cache.channelNumber(forMHz: mhz) }
    }

    /// Walks the presence words of `header` (exactly the header's bytes), reading every
    /// known field into `radio` and recording where each one was into `recorder`.
    ///
    /// - Returns: nil, or why the frame must be dropped.
    static func walk(
        _ header: UnsafeRawBufferPointer, into radio: inout RadioInfo, recorder: inout RadiotapLayoutCache
    ) -> DropReason? {
        let length = header.count
        // Find the end of the bitmap chain first: fields start after the last word.
        var wordsEnd = 4
        while true {
            guard let word = header.le32(wordsEnd) else { return .unterminatedPresenceBitmap }
            wordsEnd += 4  // ≤ length ≤ 65535: no overflow
            if word & 0x8000_0000 == 0 { break }
        }

        var offset = wordsEnd
        var wordOffset = 4
        var inVendorNamespace = false
        var namespaceWord = 0  // index of the current word within its namespace
        var namespaceIndex = 0  // 0 = the first radiotap namespace
        // Per-namespace values, paired when the namespace ends.
        var nsSignal: Int8? = nil
        var nsAntenna: UInt8? = nil
        var stopped = false

        while wordOffset < wordsEnd, let word = header.le32(wordOffset) {
            wordOffset += 4
            if !stopped {
                if inVendorNamespace {
                    // Where the data after a vendor namespace starts depends on its skip_length.
                    recorder.cacheable = false
                    if namespaceWord == 0 {
                        // OUI(3), sub-namespace(1), skip_length(2), aligned to 2, then the vendor data.
                        offset = aligned(offset, 2)
                        guard let skip = header.le16(offset + 4) else { return .truncatedRadioField }
                        offset += 6 + Int(skip)
                        guard offset <= length else { return .truncatedRadioField }
                    }
                } else {
                    var bits = word & 0x1FFF_FFFF
                    while bits != 0 {
                        let bit = bits.trailingZeroBitCount
                        bits &= bits - 1
                        guard let (align, size) = layout(namespaceWord * 32 + bit) else {
                            stopped = true
                            break
                        }
                        offset = aligned(offset, align)
                        guard header.has(size, at: offset) else { return .truncatedRadioField }
                        read(field: namespaceWord * 32 + bit, at: offset, in: header, into: &radio,
                             signal: &nsSignal, antenna: &nsAntenna, firstNamespace: namespaceIndex == 0)
                        recorder.note(field: namespaceWord * 32 + bit, at: offset, size: size,
                                      firstNamespace: namespaceIndex == 0)
                        offset += size
                    }
                }
            }
            let radiotapNext = word & 0x2000_0000 != 0
            let vendorNext = word & 0x4000_0000 != 0
            if vendorNext { recorder.cacheable = false }  // what follows depends on the vendor's skip_length
            if radiotapNext && vendorNext {
                // Contradictory: the layout of what follows is unknown.
                stopped = true
            } else if radiotapNext || vendorNext {
                if !inVendorNamespace {
                    finish(namespace: namespaceIndex, signal: &nsSignal, antenna: &nsAntenna, into: &radio)
                    recorder.noteFinish(namespace: namespaceIndex)
                }
                // Every radiotap namespace after the first is another chain's (or a vendor's interlude).
                if radiotapNext { namespaceIndex += 1 }
                inVendorNamespace = vendorNext
                namespaceWord = 0
            } else {
                namespaceWord += 1
            }
        }
        if !inVendorNamespace {
            finish(namespace: namespaceIndex, signal: &nsSignal, antenna: &nsAntenna, into: &radio)
            recorder.noteFinish(namespace: namespaceIndex)
        } else {
            recorder.cacheable = false
        }
        recorder.seal(header: header, wordsEnd: wordsEnd)
        return nil
    }

    /// Pairs a namespace's signal with its antenna: the first namespace gives the combined
    /// signal, later ones a chain each.
    @inline(__always)
    static func finish(namespace: Int, signal: inout Int8?, antenna: inout UInt8?, into radio: inout RadioInfo) {
        if namespace == 0 {
            radio.antenna = antenna
            if let s = signal { radio.signalDBm = s }
        } else if let s = signal {
            radio.chainSignals.append(ChainSignal(antenna: antenna, dBm: s))
            if radio.signalDBm == nil { radio.signalDBm = s }
        }
        signal = nil
        antenna = nil
    }

    /// Reads one field; the caller has checked that `size` bytes at `offset` are inside the header.
    @inline(__always)
    static func read(
        field: Int, at offset: Int, in header: UnsafeRawBufferPointer, into radio: inout RadioInfo,
        signal: inout Int8?, antenna: inout UInt8?, firstNamespace: Bool
    ) {
        @inline(__always) func u8(_ at: Int) -> UInt8 { header.loadUnaligned(fromByteOffset: at, as: UInt8.self) }
        @inline(__always) func le16(_ at: Int) -> UInt16 { UInt16(littleEndian: header.loadUnaligned(fromByteOffset: at, as: UInt16.self)) }
        switch field {
        case 0: if firstNamespace { radio.tsft = UInt64(littleEndian: header.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) }
        case 1: if firstNamespace { radio.flags = RadioFlags(rawValue: u8(offset)) }
        case 2: if firstNamespace { radio.rateKbps = UInt32(u8(offset)) * 500 }
        case 3:
            if firstNamespace {
                radio.channelMHz = le16(offset)
                radio.channelFlags = le16(offset + 2)
            }
        case 5: if signal == nil { signal = Int8(bitPattern: u8(offset)) }
        case 6: if radio.noiseDBm == nil { radio.noiseDBm = Int8(bitPattern: u8(offset)) }
        case 11: if antenna == nil { antenna = u8(offset) }
        case 18:
            // XChannel, only when no plain Channel field gave the frequency.
            let mhz = le16(offset + 4)
            if radio.channelMHz == nil, mhz != 0 { radio.channelMHz = mhz }
        default: break
        }
    }
}
