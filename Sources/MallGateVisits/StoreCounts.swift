/// Dwell times of visits in fixed buckets, so histograms of different stores, intervals and
/// gateways add up bucket by bucket.
///
/// Buckets (upper bounds exclusive): under 2 min, 2–5 min, 5–10 min, 10–20 min, 20–40 min,
/// 40 min and more. The edges follow retail practice (a glance, a browse, a purchase, a meal)
/// and the simulator's shopper dwell (log-normal, median 6 min, 1–40 min).
public struct DwellHistogram: Sendable, Equatable {
    /// Bucket upper bounds in seconds; the last bucket is open-ended.
    public static let upperBoundsSeconds: [Double] = [120, 300, 600, 1200, 2400]
    /// Column names for CSV output, one per bucket.
    public static let bucketNames = ["dwell_lt_2m", "dwell_2_5m", "dwell_5_10m", "dwell_10_20m", "dwell_20_40m", "dwell_ge_40m"]

    /// Visits per bucket (``bucketNames`` order).
    public var counts: [Int]

    public init() {
        counts = [Int](repeating: 0, count: Self.bucketNames.count)
    }

    /// The bucket a dwell falls in.
    public static func bucket(seconds: Double) -> Int {
        upperBoundsSeconds.firstIndex { seconds < $0 } ?? upperBoundsSeconds.count
    }

    public mutating func add(seconds: Double) {
        counts[Self.bucket(seconds: seconds)] += 1
    }

    public var total: Int { counts.reduce(0, +) }
}

/// What happened at one store during one interval: the counts a mall's dashboard shows.
public struct StoreCounts: Sendable, Equatable {
    /// Class index of the store (see ``VisitLayout``).
    public var store: Int
    /// The interval `[start, end)`, nanoseconds; intervals are aligned to multiples of their
    /// length since the epoch (15 min intervals start at :00, :15, :30, :45 UTC).
    public var startNanoseconds: Int64
    public var endNanoseconds: Int64
    /// Visits that started in the interval (entry time), counted once they reach the minimum dwell.
    public var footfall = 0
    /// Distinct devices among those visits.
    public var uniqueVisitors = 0
    /// Passes in front of the store (in the walkway its door opens onto) without going in,
    /// started in the interval; one per pass, so a device walking by twice counts twice.
    public var passersBy = 0
    /// Distinct devices among the passers-by.
    public var uniquePassersBy = 0
    /// Visits that ended in the interval, by dwell.
    public var dwell = DwellHistogram()
    /// Events counted here although their time lies in an interval already closed (the caller
    /// closed it before the visit was confirmed or the pass ended); 0 when the caller leaves
    /// enough settling time, see ``StoreVisitTracker/closeInterval(at:)``.
    public var late = 0

    public init(store: Int, startNanoseconds: Int64, endNanoseconds: Int64) {
        self.store = store
        self.startNanoseconds = startNanoseconds
        self.endNanoseconds = endNanoseconds
    }

    /// Visitors per passer-by (issue 4: capture rate = visitors / passers-by); `nil` without
    /// passers-by. Passers-by exclude visitors, so the ratio can exceed 1; the share of the
    /// traffic outside that came in is `footfall / (footfall + passersBy)`.
    public var captureRate: Double? {
        passersBy > 0 ? Double(footfall) / Double(passersBy) : nil
    }
}

/// Adds visit events into per-store counts per fixed interval and hands each interval out once
/// it is closed.
///
/// Memory is the open intervals only (normally one or two): per store a few counters and the
/// sets of devices seen in the interval, dropped when it closes.
public struct IntervalCounter: Sendable {
    struct Bucket: Sendable {
        var start: Int64
        var counts: [StoreCounts]
        var visitors: [Set<UInt64>]
        var passers: [Set<UInt64>]
    }

    /// Store class indices, in the order of each interval's rows.
    public let stores: [Int]
    public let intervalNanoseconds: Int64
    /// Per class, its row in ``stores`` or -1.
    private let row: [Int]
    private var open: [Bucket] = []
    /// Start of the first interval not yet closed (`.min` before the first event or close).
    private var nextStart: Int64 = .min

    /// - Parameters:
    ///   - layout: the stores counted (one row each per interval).
    ///   - intervalSeconds: interval length (e.g. 900 for 15 min).
    public init(layout: VisitLayout, intervalSeconds: Double) {
        precondition(intervalSeconds >= 1, "interval of at least one second")
        stores = layout.stores
        intervalNanoseconds = Int64(intervalSeconds * 1e9)
        var row = [Int](repeating: -1, count: layout.classCount)
        for (i, s) in stores.enumerated() { row[s] = i }
        self.row = row
    }

    /// Start of the interval holding `t`.
    public func intervalStart(_ t: Int64) -> Int64 {
        let q = t >= 0 ? t / intervalNanoseconds : (t - intervalNanoseconds + 1) / intervalNanoseconds
        return q * intervalNanoseconds
    }

    /// Counts one event: `entered` into footfall (by entry time), `exited` into the dwell
    /// histogram (by exit time), `passedBy` into passers-by (by pass start).
    public mutating func record(_ event: VisitEvent) {
        switch event {
        case .entered(let v):
            withCounts(store: v.store, time: v.enterNanoseconds) { c, bucket, r in
                c.footfall += 1
                if bucket.visitors[r].insert(v.device).inserted { c.uniqueVisitors += 1 }
            }
        case .exited(let v):
            withCounts(store: v.store, time: v.exitNanoseconds) { c, _, _ in c.dwell.add(seconds: v.dwellSeconds) }
        case .passedBy(let p):
            withCounts(store: p.store, time: p.startNanoseconds) { c, bucket, r in
                c.passersBy += 1
                if bucket.passers[r].insert(p.device).inserted { c.uniquePassersBy += 1 }
            }
        }
    }

    /// Closes every interval that ends at or before `t` (also those without any event, so a
    /// quiet quarter hour is a row of zeros rather than a gap) and returns their counts, one
    /// per store per interval, in time then store order.
    public mutating func close(upTo t: Int64) -> [StoreCounts] {
        if nextStart == .min { nextStart = intervalStart(t) }
        var out: [StoreCounts] = []
        while nextStart <= t - intervalNanoseconds {
            if let first = open.first, first.start == nextStart {
                out += first.counts
                open.removeFirst()
            } else {
                out += stores.map { StoreCounts(store: $0, startNanoseconds: nextStart, endNanoseconds: nextStart + intervalNanoseconds) }
            }
            nextStart += intervalNanoseconds
        }
        return out
    }

    /// Closes every interval holding counts (end of a capture), however recent.
    public mutating func closeAll() -> [StoreCounts] {
        guard let last = open.last else { return [] }
        return close(upTo: last.start + intervalNanoseconds)
    }

    private mutating func withCounts(store: Int, time: Int64, _ body: (inout StoreCounts, inout Bucket, Int) -> Void) {
        guard store >= 0 && store < row.count, row[store] >= 0 else { return }
        let r = row[store]
        var start = intervalStart(time)
        var late = false
        if nextStart == .min { nextStart = start }
        if start < nextStart {
            start = nextStart
            late = true
        }
        let i: Int
        if let found = open.firstIndex(where: { $0.start == start }) {
            i = found
        } else {
            let bucket = Bucket(
                start: start,
                counts: stores.map { StoreCounts(store: $0, startNanoseconds: start, endNanoseconds: start + intervalNanoseconds) },
                visitors: Array(repeating: [], count: stores.count), passers: Array(repeating: [], count: stores.count))
            i = open.firstIndex { $0.start > start } ?? open.count
            open.insert(bucket, at: i)
        }
        // Swapping the counts out of the bucket keeps one exclusive access at a time.
        var counts = open[i].counts[r]
        body(&counts, &open[i], r)
        if late { counts.late += 1 }
        open[i].counts[r] = counts
    }
}
