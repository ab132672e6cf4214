/// Everything a simulation run depends on besides the venue; a run is a pure function of
/// the venue and this value.
public struct SimulationConfiguration: Sendable {
    /// Seeds every random choice: crowd, phones, shadowing, fading.
    public var seed: UInt64
    /// Wall-clock time the simulated capture starts at (the mall opens; visitors arrive from then on).
    public var start: Instant
    /// Seconds simulated. The capture runs longer when the calibration walk needs longer.
    public var duration: Double
    /// Visitors arriving over the duration (uniformly).
    public var visitors: Int
    /// Staff: each stays in one store for the whole run.
    public var staff: Int
    /// Whether a technician walks the venue with a calibration phone and writes `labels.csv`.
    public var calibrationWalk: Bool
    public var calibration: CalibrationSettings
    public var crowd: CrowdSettings
    public var phones: PhoneSettings
    /// Seconds between rows of `truth-positions.csv`.
    public var truthInterval: Double
    /// Standard deviation of per-frame (fast) fading, in dB.
    public var fastFadingSigmaDB: Double
    /// Run sensors on all cores.
    public var parallel: Bool

    public init(
        seed: UInt64 = 1, start: Instant = Instant(rfc3339: "2026-11-29T10:00:00Z")!, duration: Double = 3600,
        visitors: Int = 1000, staff: Int = 10, calibrationWalk: Bool = true,
        calibration: CalibrationSettings = .init(), crowd: CrowdSettings = .init(), phones: PhoneSettings = .init(),
        truthInterval: Double = 5, fastFadingSigmaDB: Double = 2.5, parallel: Bool = true
    ) {
        self.seed = seed
        self.start = start
        self.duration = duration
        self.visitors = visitors
        self.staff = staff
        self.calibrationWalk = calibrationWalk
        self.calibration = calibration
        self.crowd = crowd
        self.phones = phones
        self.truthInterval = truthInterval
        self.fastFadingSigmaDB = fastFadingSigmaDB
        self.parallel = parallel
    }
}

/// How the technician walks: spots per zone and how long they stand at each.
public struct CalibrationSettings: Sendable {
    /// The calibration phone's MAC: global (not randomized), fixed for the whole walk.
    public var mac: UInt64
    /// Seconds standing at each spot; labels cover the standing time minus `labelMargin` at each end.
    public var standSeconds: Double
    public var labelMargin: Double
    /// Spots per zone: one per `squareMetresPerSpot` of floor area, between `minSpots` and `maxSpots`.
    public var squareMetresPerSpot: Double
    public var minSpots: Int
    public var maxSpots: Int
    /// Seconds between the calibration phone's scans (an app keeps the screen on and scans).
    public var scanInterval: ClosedRange<Double>
    /// After the spots, seconds walking a line through the zone at `lineSpeed` m/s (0: none).
    public var lineSeconds: Double
    public var lineSpeed: Double
    public init(
        mac: UInt64 = 0xF804_2ECA_11B0, standSeconds: Double = 20, labelMargin: Double = 2, squareMetresPerSpot: Double = 150,
        minSpots: Int = 2, maxSpots: Int = 3, scanInterval: ClosedRange<Double> = 2...4, lineSeconds: Double = 0, lineSpeed: Double = 0.6
    ) {
        self.lineSeconds = lineSeconds
        self.lineSpeed = lineSpeed
        self.mac = mac
        self.standSeconds = standSeconds
        self.labelMargin = labelMargin
        self.squareMetresPerSpot = squareMetresPerSpot
        self.minSpots = minSpots
        self.maxSpots = maxSpots
        self.scanInterval = scanInterval
    }
}

/// How visitors behave.
public struct CrowdSettings: Sendable {
    /// Share of visitors who only walk through (entrance to entrance, no store).
    public var passThroughShare: Double
    /// Mean number of stores a shopper visits beyond the first (geometric).
    public var extraStoresMean: Double
    public var maxStores: Int
    /// Time inside one store: log-normal with this median (seconds) and σ, clamped.
    public var dwellMedian: Double
    public var dwellSigma: Double
    public var dwellRange: ClosedRange<Double>
    /// Seconds standing at each spot while browsing in a store.
    public var browsePause: ClosedRange<Double>
    /// Walking speed, m/s, drawn per person.
    public var speed: ClosedRange<Double>
    /// Share of shoppers who also sit in an open area (food court) for a while, and how long.
    public var areaStopShare: Double
    public var areaStop: ClosedRange<Double>
    /// Share of shoppers who stop outside a store's window for a moment while passing it.
    public var windowShoppingShare: Double
    /// Share of people without a phone, and with a phone whose Wi-Fi is off.
    public var noPhoneShare: Double
    public var wifiOffShare: Double
    public init(
        passThroughShare: Double = 0.15, extraStoresMean: Double = 1.5, maxStores: Int = 6, dwellMedian: Double = 360,
        dwellSigma: Double = 0.7, dwellRange: ClosedRange<Double> = 60...2400, browsePause: ClosedRange<Double> = 20...120,
        speed: ClosedRange<Double> = 0.8...1.5, areaStopShare: Double = 0.2, areaStop: ClosedRange<Double> = 300...1200,
        windowShoppingShare: Double = 0.3, noPhoneShare: Double = 0.08, wifiOffShare: Double = 0.07
    ) {
        self.passThroughShare = passThroughShare
        self.extraStoresMean = extraStoresMean
        self.maxStores = maxStores
        self.dwellMedian = dwellMedian
        self.dwellSigma = dwellSigma
        self.dwellRange = dwellRange
        self.browsePause = browsePause
        self.speed = speed
        self.areaStopShare = areaStopShare
        self.areaStop = areaStop
        self.windowShoppingShare = windowShoppingShare
        self.noPhoneShare = noPhoneShare
        self.wifiOffShare = wifiOffShare
    }
}

/// How phones scan.
public struct PhoneSettings: Sendable {
    /// The models and their shares.
    public var models: [PhoneModel]
    /// Screen on / idle periods: exponential with these means, in seconds.
    public var screenOnMean: Double
    public var idleMean: Double
    /// Seconds between scans with the screen on, and idle (log-normal medians; σ of the log).
    public var screenOnScanMedian: Double
    public var idleScanMedian: Double
    public var scanSigma: Double
    /// Transmit power spread between phone units (σ, dB; clamped to ±`txOffsetLimitDB`).
    public var txOffsetSigmaDB: Double
    public var txOffsetLimitDB: Double
    /// Added to every visitor's and staff phone's offset (not the calibration phone's): e.g. +8
    /// to test a localizer against phones 8 dB louder than the one it was calibrated with.
    public var txOffsetMeanDB: Double
    public init(
        models: [PhoneModel] = PhoneModel.all, screenOnMean: Double = 90, idleMean: Double = 300,
        screenOnScanMedian: Double = 12, idleScanMedian: Double = 120, scanSigma: Double = 0.5,
        txOffsetSigmaDB: Double = 2.5, txOffsetLimitDB: Double = 6, txOffsetMeanDB: Double = 0
    ) {
        self.models = models
        self.screenOnMean = screenOnMean
        self.idleMean = idleMean
        self.screenOnScanMedian = screenOnScanMedian
        self.idleScanMedian = idleScanMedian
        self.scanSigma = scanSigma
        self.txOffsetSigmaDB = txOffsetSigmaDB
        self.txOffsetLimitDB = txOffsetLimitDB
        self.txOffsetMeanDB = txOffsetMeanDB
    }
}
