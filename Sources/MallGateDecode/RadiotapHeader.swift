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
    /// Alignment and size of radiotap-namespace fields 0…27 (https://www.radiotap.org/fields/defined),
    /// packed as `align << 8 | size`; 0 means "unknown size, stop walking".
    @usableFromInline
    static let fieldLayout: (UInt16, UInt16, UInt16, UInt16, UInt16, UInt16, UInt16, UInt16,
                             UInt16, UInt16, UInt16, UInt16, UInt16, UInt16, UInt16, UInt16,
                             UInt16, UInt16, UInt16, UInt16, UInt16, UInt16, UInt16, UInt16,
                             UInt16, UInt16, UInt16, UInt16) = (
        0x0808, // 0 TSFT u64
        0x0101, // 1 Flags u8
        0x0101, // 2 Rate u8 (500 kb/s)
        0x0204, // 3 Channel u16 freq, u16 flags
        0x0102, // 4 FHSS u8 hop set, u8 pattern
        0x0101, // 5 dBm antenna signal s8
        0x0101, // 6 dBm antenna noise s8
        0x0202, // 7 Lock quality u16
        0x0202, // 8 TX attenuation u16
        0x0202, // 9 dB TX attenuation u16
        0x0101, // 10 dBm TX power s8
        0x0101, // 11 Antenna u8
        0x0101, // 12 dB antenna signal u8
        0x0101, // 13 dB antenna noise u8
        0x0202, // 14 RX flags u16
        0x0202, // 15 TX flags u16
        0x0101, // 16 RTS retries u8
        0x0101, // 17 data retries u8
        0x0408, // 18 XChannel u32 flags, u16 freq, u8 channel, u8 max power
        0x0103, // 19 MCS u8 known, u8 flags, u8 mcs
        0x0408, // 20 A-MPDU status u32, u16, u8, u8
        0x020C, // 21 VHT u16, u8, u8, u8×4, u8, u8, u16
        0x080C, // 22 timestamp u64, u16, u8, u8
        0x020C, // 23 HE u16×6
        0x020C, // 24 HE-MU u16, u16, u8×8
        0x0206, // 25 HE-MU-other-user u16, u16, u8, u8
        0x0101, // 26 0-length-PSDU u8
        0x0204  // 27 L-SIG u16, u16
    )

    @inline(__always)
    static func layout(_ bit: Int) -> (align: Int, size: Int)? {
        guard bit >= 0 && bit < 28 else { return nil }
        let packed = withUnsafeBytes(of: fieldLayout) { $0.load(fromByteOffset: bit * 2, as: UInt16.self) }
        return (Int(packed >> 8), Int(packed & 0xFF))
    }

    /// Parses the radiotap header at the start of `frame`.
    ///
    /// - Returns: the radio data and header length, or why the frame must be dropped:
    ///   ``DropReason/truncatedRadioHeader`` (fewer than 8 bytes),
    ///   ``DropReason/unsupportedRadioHeaderVersion`` (version ≠ 0),
    ///   ``DropReason/radioHeaderLengthMismatch`` (length < 8 or > frame),
    ///   ``DropReason/unterminatedPresenceBitmap``, ``DropReason/truncatedRadioField``.
    public static func parse(_ frame: UnsafeRawBufferPointer) -> Result<RadioHeader, DropReason> {
        guard let version = frame.u8(0), let lengthField = frame.le16(2), frame.has(8, at: 0) else {
            return .failure(.truncatedRadioHeader)
        }
        guard version == 0 else { return .failure(.unsupportedRadioHeaderVersion) }
        let length = Int(lengthField)
        guard length >= 8, length <= frame.count else { return .failure(.radioHeaderLengthMismatch) }
        // Only the header's own bytes: fields may never spill into the 802.11 frame.
        guard let header = frame.slice(0, length) else { return .failure(.radioHeaderLengthMismatch) }

        // Find the end of the bitmap chain first: fields start after the last word.
        var wordsEnd = 4
        while true {
            guard let word = header.le32(wordsEnd) else { return .failure(.unterminatedPresenceBitmap) }
            wordsEnd += 4  // ≤ length ≤ 65535: no overflow
            if word & 0x8000_0000 == 0 { break }
        }

        var radio = RadioInfo()
        var offset = wordsEnd
        var wordOffset = 4
        var inVendorNamespace = false
        var namespaceWord = 0  // index of the current word within its namespace
        var namespaceIndex = 0  // 0 = the first radiotap namespace
        // Per-namespace values, paired when the namespace ends.
        var nsSignal: Int8? = nil
        var nsAntenna: UInt8? = nil
        var stopped = false

        func finishNamespace() {
            if namespaceIndex == 0 {
                radio.antenna = nsAntenna
                if let s = nsSignal { radio.signalDBm = s }
            } else if let s = nsSignal {
                radio.chainSignals.append(ChainSignal(antenna: nsAntenna, dBm: s))
                if radio.signalDBm == nil { radio.signalDBm = s }
            }
            nsSignal = nil
            nsAntenna = nil
        }

        while wordOffset < wordsEnd, let word = header.le32(wordOffset) {
            wordOffset += 4
            if !stopped {
                if inVendorNamespace {
                    if namespaceWord == 0 {
                        // OUI(3), sub-namespace(1), skip_length(2), aligned to 2, then the vendor data.
                        offset = aligned(offset, 2)
                        guard let skip = header.le16(offset + 4) else { return .failure(.truncatedRadioField) }
                        offset += 6 + Int(skip)
                        guard offset <= length else { return .failure(.truncatedRadioField) }
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
                        guard header.has(size, at: offset) else { return .failure(.truncatedRadioField) }
                        read(field: namespaceWord * 32 + bit, at: offset, in: header, into: &radio,
                             signal: &nsSignal, antenna: &nsAntenna, firstNamespace: namespaceIndex == 0)
                        offset += size
                    }
                }
            }
            let radiotapNext = word & 0x2000_0000 != 0
            let vendorNext = word & 0x4000_0000 != 0
            if radiotapNext && vendorNext {
                // Contradictory: the layout of what follows is unknown.
                stopped = true
            } else if radiotapNext || vendorNext {
                if !inVendorNamespace { finishNamespace() }
                // Every radiotap namespace after the first is another chain's (or a vendor's interlude).
                if radiotapNext { namespaceIndex += 1 }
                inVendorNamespace = vendorNext
                namespaceWord = 0
            } else {
                namespaceWord += 1
            }
        }
        if !inVendorNamespace { finishNamespace() }

        if radio.flags.contains(.fcsAtEnd) { radio.fcsPresent = true }
        if radio.flags.contains(.badFCS) { radio.badFCS = true }
        if let mhz = radio.channelMHz { radio.channel = RadioInfo.channelNumber(forMHz: mhz) }
        return .success(RadioHeader(radio: radio, length: length))
    }

    @inline(__always)
    static func read(
        field: Int, at offset: Int, in header: UnsafeRawBufferPointer, into radio: inout RadioInfo,
        signal: inout Int8?, antenna: inout UInt8?, firstNamespace: Bool
    ) {
        switch field {
        case 0: if firstNamespace { radio.tsft = header.le64(offset) }
        case 1: if firstNamespace, let f = header.u8(offset) { radio.flags = RadioFlags(rawValue: f) }
        case 2: if firstNamespace, let r = header.u8(offset) { radio.rateKbps = UInt32(r) * 500 }
        case 3:
            if firstNamespace {
                radio.channelMHz = header.le16(offset)
                radio.channelFlags = header.le16(offset + 2)
            }
        case 5: if signal == nil { signal = header.i8(offset) }
        case 6: if radio.noiseDBm == nil { radio.noiseDBm = header.i8(offset) }
        case 11: if antenna == nil { antenna = header.u8(offset) }
        case 18:
            // XChannel, only when no plain Channel field gave the frequency.
            if radio.channelMHz == nil, let mhz = header.le16(offset + 4), mhz != 0 { radio.channelMHz = mhz }
        default: break
        }
    }
}
