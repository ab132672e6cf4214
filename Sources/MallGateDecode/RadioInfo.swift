/// What the radio header said about one received frame: time, rate, channel and power.
///
/// Every field is optional because each capture format (radiotap, PPI, Prism, AVS, TZSP)
/// carries a different subset; nil means "the header did not say", never a guess.
public struct RadioInfo: Sendable, Equatable {
    /// Radiotap TSFT (or the equivalent MAC timestamp): microseconds of the receiver's TSF.
    public var tsft: UInt64?
    /// Radiotap-style flags (https://www.radiotap.org/fields/Flags.html).
    public var flags: RadioFlags = []
    /// The PHY data rate in kb/s, when the header gave a legacy rate.
    public var rateKbps: UInt32?
    /// The centre frequency in MHz.
    public var channelMHz: UInt16?
    /// Radiotap channel flags (2 GHz, 5 GHz, OFDM, CCK, …), as the header gave them.
    public var channelFlags: UInt16?
    /// The channel number: derived from ``channelMHz`` or given directly (Prism, AVS, TZSP).
    public var channel: UInt16?
    /// The received signal in dBm: the combined value, or the first one the header gave.
    ///
    /// Reported exactly as the radio wrote it, including implausible values (some drivers
    /// write 0 or positive numbers; see the zamani_polimi captures); filtering is the
    /// consumer's policy. Never derived from non-dBm units (Prism raw RSSI, AVS ssi_type ≠ 2).
    public var signalDBm: Int8?
    /// Per-chain signals (radiotap antenna signal in later namespaces, with their antenna index).
    public var chainSignals = ChainSignals()
    /// The noise floor in dBm.
    public var noiseDBm: Int8?
    /// The antenna index paired with ``signalDBm``.
    public var antenna: UInt8?
    /// Whether the captured frame ended with the 4-byte FCS (stripped before 802.11 decoding).
    public var fcsPresent = false
    /// Whether the radio flagged the frame as failing its FCS check.
    public var badFCS = false

    public init() {}
}

/// Radiotap Flags field bits (https://www.radiotap.org/fields/Flags.html); PPI/TZSP map onto them.
public struct RadioFlags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let cfp = RadioFlags(rawValue: 0x01)
    public static let shortPreamble = RadioFlags(rawValue: 0x02)
    public static let wep = RadioFlags(rawValue: 0x04)
    public static let fragmentation = RadioFlags(rawValue: 0x08)
    /// The frame includes the FCS at its end.
    public static let fcsAtEnd = RadioFlags(rawValue: 0x10)
    public static let dataPad = RadioFlags(rawValue: 0x20)
    /// The frame failed its FCS check.
    public static let badFCS = RadioFlags(rawValue: 0x40)
    public static let shortGI = RadioFlags(rawValue: 0x80)
}

/// One receive chain's signal: which antenna (if the header said) and the power in dBm.
public struct ChainSignal: Sendable, Equatable {
    public var antenna: UInt8?
    public var dBm: Int8
    public init(antenna: UInt8?, dBm: Int8) {
        self.antenna = antenna
        self.dBm = dBm
    }
}

/// Up to eight per-chain signals stored inline (two words), so a frame's radio data never allocates.
///
/// Extra chains past the capacity are counted in ``overflowCount`` rather than stored.
public struct ChainSignals: Sendable, Equatable, RandomAccessCollection {
    public static let capacity = 8
    // Byte i of `dBms` holds chain i's dBm; byte i of `antennas` its antenna index.
    // Bit i of `antennaKnown` says whether an index was given. Unused bytes stay 0 so
    // synthesized equality compares only the stored chains.
    private var dBms: UInt64 = 0
    private var antennas: UInt64 = 0
    private var antennaKnown: UInt8 = 0
    private var stored: UInt8 = 0
    /// How many chains did not fit.
    public private(set) var overflowCount: UInt8 = 0

    public init() {}

    public var startIndex: Int { 0 }
    public var endIndex: Int { Int(stored) }

    public subscript(position: Int) -> ChainSignal {
        let i = UInt64(Swift.min(Swift.max(position, 0), 7))
        let dBm = Int8(bitPattern: UInt8(truncatingIfNeeded: dBms >> (i * 8)))
        let known = antennaKnown & (1 << UInt8(i)) != 0
        return ChainSignal(antenna: known ? UInt8(truncatingIfNeeded: antennas >> (i * 8)) : nil, dBm: dBm)
    }

    /// ``append(_:)`` without the optional, for the radiotap replay.
    @inline(__always)
    mutating func append(dBm: Int8, antenna: UInt8, hasAntenna: Bool) {
        guard stored < 8 else {
            if overflowCount < .max { overflowCount &+= 1 }  // < .max
            return
        }
        let shift = UInt64(stored) &* 8  // ≤ 56
        dBms |= UInt64(UInt8(bitPattern: dBm)) << shift
        if hasAntenna {
            antennas |= UInt64(antenna) << shift
            antennaKnown |= 1 << stored
        }
        stored &+= 1  // < 8
    }

    /// Adds a chain, or counts it in ``overflowCount`` when all eight slots are used.
    public mutating func append(_ chain: ChainSignal) {
        guard stored < 8 else {
            if overflowCount < .max { overflowCount += 1 }
            return
        }
        let shift = UInt64(stored) * 8
        dBms |= UInt64(UInt8(bitPattern: chain.dBm)) << shift
        if let antenna = chain.antenna {
            antennas |= UInt64(antenna) << shift
            antennaKnown |= 1 << stored
        }
        stored += 1
    }
}

extension RadioInfo {
    /// The IEEE channel number for a centre frequency in MHz (2.4, 4.9, 5 and 6 GHz bands), nil if none.
    ///
    /// Follows IEEE 802.11 Annex E channel starting frequencies, the same mapping as Linux's
    /// `ieee80211_freq_khz_to_channel`.
    public static func channelNumber(forMHz mhz: UInt16) -> UInt16? {
        switch mhz {
        case 2484: return 14
        case 2412 ... 2472 where (mhz - 2407) % 5 == 0: return (mhz - 2407) / 5
        case 4910 ... 4980 where mhz % 5 == 0: return (mhz - 4000) / 5
        case 5005 ... 5925 where mhz % 5 == 0: return (mhz - 5000) / 5
        case 5935: return 2
        case 5955 ... 7115 where (mhz - 5950) % 5 == 0: return (mhz - 5950) / 5
        default: return nil
        }
    }
}
