internal import CZlib
/// 802.11 MAC frame classification (IEEE 802.11-2020 clause 9.2–9.3).
///
/// Reads frame control, addresses and sequence control; probe requests (management
/// subtype 4) get their element list decoded.
enum IEEE80211Frame {
    /// Frame control flag bits (second byte).
    static let toDS: UInt8 = 0x01
    static let fromDS: UInt8 = 0x02
    static let retry: UInt8 = 0x08
    static let protected: UInt8 = 0x40
    static let order: UInt8 = 0x80

    /// The smallest 802.11 frame (ACK/CTS: FC, duration, RA, FCS-less) is 10 bytes.
    static let minimumLength = 10

    /// Classifies an 802.11 frame (FCS already removed); a probe request is decoded into
    /// `probe`, whose `radio` the caller has already filled.
    @inline(__always)
    static func classify(
        _ mpdu: UnsafeRawBufferPointer, into probe: inout ProbeRequest, includeDeviceFrames: Bool,
        counters: inout DecodeCounters, elementCache: inout ElementSummaryCache
    ) -> DecodeStatus {
        guard let fc0 = mpdu.u8(0), let fc1 = mpdu.u8(1), mpdu.count >= minimumLength else {
            return counters.dropping(.truncated80211Header)
        }
        guard fc0 & 0x03 == 0 else { return counters.dropping(.unsupported80211Version) }
        let type = (fc0 >> 2) & 0x03
        let subtype = fc0 >> 4

        switch type {
        case 0:  // management
            // With the Order bit set a management frame carries a 4-byte HT Control field.
            let headerLength = fc1 & order != 0 ? 28 : 24
            guard let addr1 = mpdu.mac(4), let addr2 = mpdu.mac(10), let addr3 = mpdu.mac(16),
                  let sequenceControl = mpdu.le16(22), mpdu.count >= headerLength
            else { return counters.dropping(.truncated80211Header) }
            if subtype == 4 {
                // Written in place: the element summary is ~200 bytes, not worth copying around.
                probe.source = addr2
                probe.destination = addr1
                probe.bssid = addr3
                probe.sequenceNumber = sequenceControl >> 4
                probe.fragmentNumber = UInt8(sequenceControl & 0x0F)
                probe.isRetry = fc1 & retry != 0
                elementCache.parse(mpdu.suffix(from: headerLength), into: &probe.elements)
                counters.probeRequests &+= 1  // UInt64 counter: wrapping needs centuries of frames
                if probe.elements.hasMalformedElements { counters.malformedElementLists &+= 1 }  // UInt64 counter: wrapping needs centuries of frames
                return .probeRequest
            }
            guard includeDeviceFrames else { return counters.other() }
            let kind: DeviceFrame.Kind
            switch subtype {
            case 0: kind = .associationRequest
            case 2: kind = .reassociationRequest
            case 10: kind = .disassociation
            case 11: kind = .authentication
            case 12: kind = .deauthentication
            case 13: kind = .action
            default: return counters.other()
            }
            counters.deviceFrames &+= 1  // UInt64 counter: wrapping needs centuries of frames
            return .deviceFrame(source: addr2, destination: addr1, kind: kind, sequenceNumber: sequenceControl >> 4)
        case 1:  // control: only PS-Poll is sent by a client, with its address as TA
            guard includeDeviceFrames, subtype == 10 else { return counters.other() }
            guard let ra = mpdu.mac(4), let ta = mpdu.mac(10) else { return counters.dropping(.truncated80211Header) }
            counters.deviceFrames &+= 1  // UInt64 counter: wrapping needs centuries of frames
            return .deviceFrame(source: ta, destination: ra, kind: .powerSavePoll, sequenceNumber: nil)
        case 2:  // data
            guard includeDeviceFrames else { return counters.other() }
            // Only station → AP (ToDS=1, FromDS=0): the transmitter is the device.
            guard fc1 & (toDS | fromDS) == toDS else { return counters.other() }
            guard let addr1 = mpdu.mac(4), let addr2 = mpdu.mac(10), let sequenceControl = mpdu.le16(22) else {
                return counters.dropping(.truncated80211Header)
            }
            // Subtype bit 2 (0x4) marks "no data" (Null, QoS Null).
            let kind: DeviceFrame.Kind = subtype & 0x04 != 0 ? .nullDataToAP : .dataToAP
            counters.deviceFrames &+= 1  // UInt64 counter: wrapping needs centuries of frames
            return .deviceFrame(source: addr2, destination: addr1, kind: kind, sequenceNumber: sequenceControl >> 4)
        default:  // extension frames (type 3): not from phones we track
            return counters.other()
        }
    }
}

/// The IEEE 802.3 CRC-32 used for the 802.11 FCS, computed by the system zlib.
enum CRC32 {
    static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        UInt32(truncatingIfNeeded: crc32(0, bytes.baseAddress?.assumingMemoryBound(to: Bytef.self), uInt(bytes.count)))
    }
}
