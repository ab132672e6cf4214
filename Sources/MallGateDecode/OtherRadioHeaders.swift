/// The PPI header parser (DLT 192), per the CACE "Per-Packet Information Header
/// Specification" v1.0.10: an 8-byte header, then TLV fields; only 802.11-Common (type 2) is read.
public enum PPIHeader {
    /// Parses the PPI header at the start of `frame`; the wrapped DLT must be 105 (802.11).
    public static func parse(_ frame: UnsafeRawBufferPointer) -> Result<RadioHeader, DropReason> {
        guard let version = frame.u8(0), let flags = frame.u8(1), let lengthField = frame.le16(2),
              let dlt = frame.le32(4)
        else { return .failure(.truncatedRadioHeader) }
        guard version == 0 else { return .failure(.unsupportedRadioHeaderVersion) }
        let length = Int(lengthField)
        guard length >= 8, length <= frame.count, let header = frame.slice(0, length) else {
            return .failure(.radioHeaderLengthMismatch)
        }
        guard dlt == UInt32(LinkType.ieee80211.rawValue) else { return .failure(.unsupportedEncapsulation) }
        let aligned32 = flags & 0x01 != 0

        var radio = RadioInfo()
        var offset = 8
        // Each field is ≥ 4 bytes, so this loop runs at most length/4 times.
        while let type = header.le16(offset), let dataLength = header.le16(offset + 2) {
            let data = offset + 4
            guard header.has(Int(dataLength), at: data) else { return .failure(.truncatedRadioField) }
            if type == 2 {
                // 802.11-Common: TSF u64, flags u16, rate u16, freq u16, channel flags u16,
                // FHSS hopset u8, pattern u8, dBm antsignal s8, dBm antnoise s8 (20 bytes).
                guard dataLength >= 20 else { return .failure(.truncatedRadioField) }
                radio.tsft = header.le64(data)
                let commonFlags = header.le16(data + 8) ?? 0
                if commonFlags & 0x0001 != 0 { radio.fcsPresent = true; radio.flags.insert(.fcsAtEnd) }
                if commonFlags & 0x0004 != 0 { radio.badFCS = true; radio.flags.insert(.badFCS) }
                // Zero means "not given" for rate and frequency in PPI.
                if let rate = header.le16(data + 10), rate != 0 { radio.rateKbps = UInt32(rate) * 500 }
                if let mhz = header.le16(data + 12), mhz != 0 {
                    radio.channelMHz = mhz
                    radio.channel = RadioInfo.channelNumber(forMHz: mhz)
                    radio.channelFlags = header.le16(data + 14)
                }
                radio.signalDBm = header.i8(data + 18)
                radio.noiseDBm = header.i8(data + 19)
            }
            offset = data + Int(dataLength)  // ≤ length ≤ 65535
            if aligned32 { offset = aligned(offset, 4) }
        }
        return .success(RadioHeader(radio: radio, length: length))
    }
}

/// The Prism monitor header parser (DLT 119): msgcode, msglen, device name, then 12-byte DID items.
///
/// Prism drivers disagree on units: hostap/madwifi put raw RSSI units in `signal`/`rssi`
/// (e.g. aircrack-ng's wpa.cap: rssi 0, signal 57). So this parser reports a value as
/// `signalDBm`/`noiseDBm` only when it is negative (a plausible dBm, −128…−1); positive
/// values are raw units and are **not** turned into dBm. The channel item is a channel number.
public enum PrismHeader {
    public static func parse(_ frame: UnsafeRawBufferPointer) -> Result<RadioHeader, DropReason> {
        guard let msgLength = frame.le32(4), frame.has(24, at: 0) else { return .failure(.truncatedRadioHeader) }
        guard msgLength >= 24, msgLength <= UInt32(frame.count), let header = frame.slice(0, Int(msgLength)) else {
            return .failure(.radioHeaderLengthMismatch)
        }
        var radio = RadioInfo()
        var rssi: Int32? = nil
        var signal: Int32? = nil
        var offset = 24
        while let did = header.le32(offset), let status = header.le16(offset + 4), let value = header.le32(offset + 8) {
            offset += 12  // ≤ msgLength
            guard status == 0 else { continue }  // status 1: "no value"
            // Type-1 DIDs are 0x000N0044, older type-2 ones 0x0000N041.
            let item: UInt32
            if did & 0xFFFF == 0x0044 { item = did >> 16 } else if did & 0xFFFF_0FFF == 0x0041 { item = (did >> 12) & 0xF } else { continue }
            switch item {
            case 2: radio.tsft = UInt64(value)
            case 3: if value > 0 && value < 256 { radio.channel = UInt16(value) }
            case 4: rssi = Int32(bitPattern: value)
            case 6: signal = Int32(bitPattern: value)
            case 7:
                let noise = Int32(bitPattern: value)
                if noise < 0 && noise >= -128 { radio.noiseDBm = Int8(noise) }
            case 8: if value > 0 && value < 0x1_0000 { radio.rateKbps = value * 500 }
            default: break
            }
        }
        if let v = signal, v < 0, v >= -128 {
            radio.signalDBm = Int8(v)
        } else if let v = rssi, v < 0, v >= -128 {
            radio.signalDBm = Int8(v)
        }
        return .success(RadioHeader(radio: radio, length: Int(msgLength)))
    }
}

/// The AVS (wlan-ng) radio header parser (DLT 163): big-endian, version 0x8021100N, 64+ bytes.
///
/// Only `ssi_type` 2 (dBm) yields ``RadioInfo/signalDBm``/``RadioInfo/noiseDBm``; types 1
/// (normalized RSSI) and 3 (raw RSSI) are not dBm and are not converted.
public enum AVSHeader {
    public static func parse(_ frame: UnsafeRawBufferPointer) -> Result<RadioHeader, DropReason> {
        guard let version = frame.be32(0), let lengthField = frame.be32(4) else { return .failure(.truncatedRadioHeader) }
        guard version & 0xFFFF_FFF0 == 0x8021_1000 else { return .failure(.unsupportedRadioHeaderVersion) }
        guard lengthField >= 64, lengthField <= UInt32(frame.count), let header = frame.slice(0, Int(lengthField)) else {
            return .failure(.radioHeaderLengthMismatch)
        }
        var radio = RadioInfo()
        // mactime u64 @8, hosttime u64 @16, phytype @24, channel @28, datarate @32 (100 kb/s),
        // antenna @36, priority @40, ssi_type @44, ssi_signal @48, ssi_noise @52.
        if let high = header.be32(8), let low = header.be32(12) { radio.tsft = UInt64(high) << 32 | UInt64(low) }
        if let channel = header.be32(28), channel > 0, channel < 256 { radio.channel = UInt16(channel) }
        if let rate = header.be32(32), rate > 0, rate < 100_000 { radio.rateKbps = rate * 100 }
        if let antenna = header.be32(36), antenna < 256 { radio.antenna = UInt8(antenna) }
        if header.be32(44) == 2 {
            if let s = header.be32(48).map({ Int32(bitPattern: $0) }), s >= -128, s <= 127 { radio.signalDBm = Int8(s) }
            if let n = header.be32(52).map({ Int32(bitPattern: $0) }), n >= -128, n <= 127 { radio.noiseDBm = Int8(n) }
        }
        return .success(RadioHeader(radio: radio, length: Int(lengthField)))
    }
}

/// A parsed TZSP header: its radio tags, its length, and what it wraps.
public struct TZSPHeader: Sendable, Equatable {
    public var radio: RadioInfo
    /// Bytes from the start of the datagram to the encapsulated frame.
    public var length: Int
    /// The encapsulated frame's link type: ``LinkType/ieee80211``, ``LinkType/prism`` or ``LinkType/avs``.
    public var encapsulation: LinkType

    /// Parses a TZSP datagram (UDP payload), as Wireshark's packet-tzsp.c reads it: version 1,
    /// type 0 (received tag list) or 1 (packet for transmit), encapsulation (18 802.11,
    /// 119 Prism, 127 AVS), tags up to the END tag (0 pad, 1 end, 10 signal dBm, 11 noise dBm,
    /// 12 rate, 13 timestamp µs BE32, 17 FCS error, 18 channel, others skipped by length).
    public static func parse(_ datagram: UnsafeRawBufferPointer) -> Result<TZSPHeader, DropReason> {
        guard let version = datagram.u8(0), let type = datagram.u8(1), let encap = datagram.be16(2) else {
            return .failure(.truncatedTZSP)
        }
        guard version == 1, type <= 1 else { return .failure(.unsupportedRadioHeaderVersion) }
        let encapsulation: LinkType
        switch encap {
        case 18: encapsulation = .ieee80211
        case 119: encapsulation = .prism
        case 127: encapsulation = .avs
        default: return .failure(.unsupportedEncapsulation)
        }
        var radio = RadioInfo()
        var offset = 4
        // Each iteration consumes ≥ 1 byte, so this ends within datagram.count steps.
        while true {
            guard let tag = datagram.u8(offset) else { return .failure(.truncatedTZSP) }
            if tag == 0 { offset += 1; continue }
            if tag == 1 { offset += 1; break }
            guard let length = datagram.u8(offset + 1), datagram.has(Int(length), at: offset + 2) else {
                return .failure(.truncatedTZSP)
            }
            let value = offset + 2
            switch tag {
            case 10: if length >= 1 { radio.signalDBm = datagram.i8(value) }
            case 11: if length >= 1 { radio.noiseDBm = datagram.i8(value) }
            case 12:
                if length >= 1, let code = datagram.u8(value), code != 0 {
                    // Old Prism sensors send 100 kb/s codes (10, 20, 55, 110), others 500 kb/s codes.
                    switch code {
                    case 10, 20, 55, 110: radio.rateKbps = UInt32(code) * 100
                    default: radio.rateKbps = UInt32(code) * 500
                    }
                }
            case 13: if length >= 4, let t = datagram.be32(value) { radio.tsft = UInt64(t) }
            case 17: if length >= 1, let e = datagram.u8(value), e != 0 { radio.badFCS = true; radio.flags.insert(.badFCS) }
            case 18: if length >= 1, let c = datagram.u8(value), c != 0 { radio.channel = UInt16(c) }
            default: break
            }
            offset = value + Int(length)
        }
        return .success(TZSPHeader(radio: radio, length: offset, encapsulation: encapsulation))
    }
}
