/// A phone model: the information elements its probe requests carry, how it scans, and
/// how it treats its MAC address.
///
/// The IE sets are the ones real phones send (ported from scripts/bench/make-probe-pcap.py,
/// itself modelled on captures in ../shared/captures): a localizer that groups randomized
/// MACs by IE fingerprint must see the same set on every MAC of one phone, and different
/// sets across models.
public struct PhoneModel: Sendable {
    public var name: String
    /// Share of visitors' phones that are this model (relative weight).
    public var weight: Double
    /// Vendor OUIs for the global (burned-in) MAC of units that do not randomize.
    public var ouis: [UInt32]
    /// Share of units that randomize their MAC on every scan; the rest keep their global MAC
    /// (older OS versions, or randomization switched off).
    public var randomizedShare: Double
    /// Whether the 802.11 sequence counter carries on across MAC changes (some Android
    /// builds) or restarts at a random value with every new MAC (iOS, recent Android).
    public var continuesSequence: Bool
    /// Share of bursts that probe for a remembered network by name instead of the wildcard SSID.
    public var directedShare: Double
    /// The rate probe requests go out at, in 500 kb/s units (2 = 1 Mb/s CCK, 12 = 6 Mb/s OFDM).
    public var rate: UInt8
    /// Channels one scan covers, in order.
    public var channels: [UInt8]
    /// Probe requests per channel in one scan.
    public var probesPerChannel: ClosedRange<Int>
    /// Time spent on each channel during a scan, in seconds, and between probes on one channel.
    public var channelDwell: Double
    public var probeGap: Double
    /// Elements after the SSID and before the DS Parameter Set, and after it (the DS element
    /// is built per channel).
    public var head: [UInt8]
    public var tail: [UInt8]
    /// How long a randomized MAC is kept, in seconds: nil for a new MAC with every scan
    /// (iOS, recent Samsung), a range for phones that keep one random MAC for a few minutes
    /// (several Android builds: the Baccichet captures show an Oppo using 15 MACs for 1,185 probes).
    public var macLifetime: ClosedRange<Double>? = nil

    /// Where the WPS UUID-E sits in ``tail``, if the model sends a WPS element: phones derive
    /// it per device, so it is written per unit (and makes their fingerprint device-unique,
    /// as in real captures).
    var wpsUUIDRange: Range<Int>? {
        let marker: [UInt8] = [0x10, 0x47, 0x00, 0x10]  // attribute UUID-E, length 16
        guard tail.count >= marker.count + 16 else { return nil }
        for i in 0...(tail.count - marker.count - 16) where Array(tail[i..<(i + marker.count)]) == marker {
            return (i + marker.count)..<(i + marker.count + 16)
        }
        return nil
    }

    /// The elements after the DS Parameter Set as one unit sends them: the model's, with a
    /// per-unit WPS UUID when the model has one.
    func tail(unit: UInt64) -> [UInt8] {
        guard let range = wpsUUIDRange else { return tail }
        var bytes = tail
        var state = unit
        for i in range { bytes[i] = UInt8(truncatingIfNeeded: SimulationRandom.splitMix(&state)) }
        return bytes
    }

    /// The models visitors carry; weights roughly follow a European mall's mix.
    public static let all: [PhoneModel] = [
        PhoneModel(
            name: "iphone-ios17", weight: 22, ouis: [0x3C22FB, 0xF01898], randomizedShare: 0.97,
            continuesSequence: false, directedShare: 0.04, rate: 2, channels: Array(1...13), probesPerChannel: 1...1,
            channelDwell: 0.030, probeGap: 0.004,
            head: [Elements.ratesB, Elements.xRates8].flatMap { $0 },
            tail: [
                ie(45, Elements.ht1SS), ie(127, [0x04, 0x00, 0x0A, 0x82, 0x01, 0x40, 0x00, 0x40]),
                ie(191, Elements.vht1SS), extIE(35, Elements.heCaps), Elements.apple,
            ].flatMap { $0 }),
        PhoneModel(
            name: "iphone-ios14", weight: 12, ouis: [0xA483E7], randomizedShare: 0.9,
            continuesSequence: true, directedShare: 0.08, rate: 2, channels: Array(1...13), probesPerChannel: 1...2,
            channelDwell: 0.030, probeGap: 0.004,
            head: [Elements.ratesB, Elements.xRates8].flatMap { $0 },
            tail: [
                ie(45, Elements.ht1SS), ie(127, [0x04, 0x00, 0x08, 0x84, 0x00, 0x00, 0x00, 0x40]),
                Elements.apple, Elements.broadcom,
            ].flatMap { $0 }),
        PhoneModel(
            name: "samsung-s22", weight: 18, ouis: [0xF8042E, 0x8C71F8], randomizedShare: 0.85,
            continuesSequence: true, directedShare: 0.15, rate: 2, channels: Array(1...13), probesPerChannel: 2...2,
            channelDwell: 0.040, probeGap: 0.003,
            head: [Elements.ratesBG, Elements.xRates4].flatMap { $0 },
            tail: [
                ie(45, Elements.ht2SS), ie(127, [0x00, 0x00, 0x0A, 0x02, 0x01, 0x40, 0x40, 0x00, 0x00, 0x21]),
                extIE(35, Elements.heCaps),
                Elements.wps(manufacturer: "samsung", model: "SM-S901B", name: "Galaxy S22", uuid: Array(0..<16)),
                Elements.msType8,
            ].flatMap { $0 }),
        PhoneModel(
            name: "samsung-a5x", weight: 10, ouis: [0x5CCB99], randomizedShare: 0.85,
            continuesSequence: true, directedShare: 0.2, rate: 2, channels: [1, 6, 11], probesPerChannel: 2...3,
            channelDwell: 0.060, probeGap: 0.005,
            head: [Elements.ratesBG, Elements.xRates4].flatMap { $0 },
            tail: [
                ie(45, Elements.ht1SS), ie(127, [0x00, 0x00, 0x08, 0x80, 0x00, 0x00, 0x00, 0x00, 0x01, 0x20]),
                Elements.wps(manufacturer: "samsung", model: "SM-A536B", name: "Galaxy A53 5G", uuid: Array(16..<32)),
            ].flatMap { $0 }),
        PhoneModel(
            name: "pixel-7", weight: 12, ouis: [0x3C286D], randomizedShare: 0.95,
            continuesSequence: false, directedShare: 0.1, rate: 12, channels: Array(1...13), probesPerChannel: 1...2,
            channelDwell: 0.035, probeGap: 0.003,
            head: [Elements.ratesBG, Elements.xRates4].flatMap { $0 },
            tail: [
                ie(45, Elements.ht2SS), ie(127, [0x04, 0x00, 0x4A, 0x02, 0x01, 0x40, 0x40, 0x00, 0x40, 0x21]),
                ie(191, Elements.vht2SS), extIE(35, Elements.heCaps), Elements.msType8,
            ].flatMap { $0 }),
        PhoneModel(
            name: "xiaomi-broadcom", weight: 10, ouis: [0x64CC2E], randomizedShare: 0.7,
            continuesSequence: true, directedShare: 0.25, rate: 2, channels: [1, 6, 11], probesPerChannel: 2...3,
            channelDwell: 0.050, probeGap: 0.006,
            head: [Elements.ratesBG, Elements.xRates4].flatMap { $0 },
            tail: [
                ie(45, Elements.ht2SS), ie(127, [0x00, 0x00, 0x08, 0x80, 0x00, 0x00, 0x00, 0x40, 0x00]),
                Elements.broadcom, Elements.epigramHT,
            ].flatMap { $0 }, macLifetime: 120...600),
        PhoneModel(
            name: "oppo-vht", weight: 8, ouis: [0xA43EA0], randomizedShare: 0.8,
            continuesSequence: true, directedShare: 0.15, rate: 2, channels: Array(1...13), probesPerChannel: 1...2,
            channelDwell: 0.035, probeGap: 0.004,
            head: [Elements.ratesBG, Elements.xRates4].flatMap { $0 },
            tail: [
                ie(45, Elements.ht1SS), ie(127, [0x00, 0x00, 0x08, 0x80, 0x00, 0x00, 0x00, 0x40]),
                ie(191, Elements.vht1SS),
                Elements.wps(manufacturer: "OPPO", model: "CPH2219", name: "OPPO Find X3 Neo", uuid: Array(32..<48)),
            ].flatMap { $0 }, macLifetime: 120...600),
        PhoneModel(
            name: "huawei-tablet", weight: 8, ouis: [0x48435A], randomizedShare: 0.6,
            continuesSequence: true, directedShare: 0.3, rate: 2, channels: [1, 6, 11], probesPerChannel: 1...3,
            channelDwell: 0.050, probeGap: 0.005,
            head: [Elements.ratesBG, Elements.xRates4].flatMap { $0 },
            tail: [
                ie(45, Elements.ht2SS), ie(127, [0x04, 0x00, 0x08, 0x80, 0x00, 0x00, 0x00, 0x40, 0x00, 0x20]),
                ie(191, Elements.vht2SS), Elements.broadcom, Elements.epigramHT,
            ].flatMap { $0 }, macLifetime: 120...600),
    ]

    /// Remembered networks phones probe for by name (directed probe requests).
    static let directedSSIDs: [[UInt8]] = [
        "MallFreeWiFi", "eduroam", "FRITZ!Box 7590 XY", "Vodafone-5G", "iPhone di Marco", "Starbucks WiFi",
        "HOME-4F2A", "café wifi", "TP-Link_2.4GHz_1A2B", "AndroidAP",
    ].map { Array($0.utf8) }
}

@inline(__always)
func ie(_ id: UInt8, _ body: [UInt8]) -> [UInt8] { [id, UInt8(body.count)] + body }

@inline(__always)
func extIE(_ extensionID: UInt8, _ body: [UInt8]) -> [UInt8] { [255, UInt8(body.count + 1), extensionID] + body }

/// Element bodies shared by several models (IEEE 802.11-2020 clause 9.4.2).
enum Elements {
    static func le16(_ v: UInt16) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8)] }
    static func le32(_ v: UInt32) -> [UInt8] { le16(UInt16(v & 0xFFFF)) + le16(UInt16(v >> 16)) }
    static func be16(_ v: UInt16) -> [UInt8] { [UInt8(v >> 8), UInt8(v & 0xFF)] }

    /// HT Capabilities (9.4.2.55): info(2) A-MPDU(1) MCS set(16) extended(2) TxBF(4) ASEL(1) = 26 bytes.
    static func htCaps(info: UInt16, ampdu: UInt8, streams: Int) -> [UInt8] {
        let mcs = [UInt8](repeating: 0xFF, count: streams) + [UInt8](repeating: 0, count: 10 - streams) + [0, 0, 0, 0, 0, 0]
        return le16(info) + [ampdu] + mcs + le16(0) + le32(0) + [0]
    }
    static let ht1SS = htCaps(info: 0x012D, ampdu: 0x17, streams: 1)  // LDPC, SM PS off, SGI20, RX STBC 1
    static let ht2SS = htCaps(info: 0x09EF, ampdu: 0x17, streams: 2)  // + 40 MHz, SGI40, TX STBC
    /// VHT Capabilities (9.4.2.157): info(4) + MCS/NSS set(8).
    static let vht2SS = le32(0x0F82_59B2) + le16(0xFFFA) + le16(0) + le16(0xFFFA) + le16(0)
    static let vht1SS = le32(0x0391_C9B0) + le16(0xFFFE) + le16(0) + le16(0xFFFE) + le16(0)
    /// HE Capabilities (9.4.2.248): MAC caps(6) PHY caps(11) MCS map ≤ 80 MHz (4).
    static let heCaps: [UInt8] =
        [0x01, 0x08, 0x08, 0x00, 0x02, 0x00] + [0x06, 0x20, 0x02, 0xC0, 0x0F, 0x03, 0x95, 0x18, 0x00, 0xCC, 0x00]
        + le16(0xFFFA) + le16(0xFFFA)
    static let ratesB = ie(1, [0x02, 0x04, 0x0B, 0x16])
    static let ratesBG = ie(1, [0x02, 0x04, 0x0B, 0x16, 0x0C, 0x12, 0x18, 0x24])
    static let xRates8 = ie(50, [0x0C, 0x12, 0x18, 0x24, 0x30, 0x48, 0x60, 0x6C])
    static let xRates4 = ie(50, [0x30, 0x48, 0x60, 0x6C])
    static let apple = ie(221, [0x00, 0x17, 0xF2, 0x0A, 0x00, 0x01, 0x04, 0x00, 0x00, 0x00, 0x00])
    static let broadcom = ie(221, [0x00, 0x10, 0x18, 0x02, 0x00, 0x00, 0x1C, 0x00, 0x00])
    static let epigramHT = ie(221, [0x00, 0x90, 0x4C, 0x33] + ht2SS)
    static let msType8 = ie(221, [0x00, 0x50, 0xF2, 0x08, 0x00, 0x00, 0x00])

    /// Wi-Fi Simple Configuration (WPS) vendor element, Microsoft OUI type 4, big-endian TLVs.
    static func wps(manufacturer: String, model: String, name: String, uuid: [UInt8]) -> [UInt8] {
        func tlv(_ type: UInt16, _ value: [UInt8]) -> [UInt8] { be16(type) + be16(UInt16(value.count)) + value }
        let body =
            tlv(0x104A, [0x10]) + tlv(0x103A, [0x00]) + tlv(0x1008, [0x31, 0x48]) + tlv(0x1047, uuid)
            + tlv(0x1054, [0x00, 0x0A, 0x00, 0x50, 0xF2, 0x04, 0x00, 0x05]) + tlv(0x103C, [0x03])
            + tlv(0x1002, [0, 0]) + tlv(0x1009, [0, 0]) + tlv(0x1012, [0, 0])
            + tlv(0x1021, Array(manufacturer.utf8)) + tlv(0x1023, Array(model.utf8)) + tlv(0x1024, Array(model.utf8))
            + tlv(0x1011, Array(name.utf8)) + tlv(0x1049, [0x00, 0x37, 0x2A, 0x00, 0x01, 0x20])
        return ie(221, [0x00, 0x50, 0xF2, 0x04] + body)
    }
}
