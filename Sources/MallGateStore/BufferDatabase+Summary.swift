internal import GRDB

/// Visits, passers-by and median dwell of one store, from the `visits` table.
public struct StoreVisitSummary: Sendable, Equatable {
    public var storeName: String
    /// Visits (passer_by = 0) and the distinct devices among them.
    public var visits: Int
    public var visitors: Int
    /// Passes in front of the store without going in.
    public var passersBy: Int
    /// Median dwell of the visits, seconds; nil without visits.
    public var medianDwellSeconds: Double?

    public init(storeName: String, visits: Int, visitors: Int, passersBy: Int, medianDwellSeconds: Double?) {
        self.storeName = storeName
        self.visits = visits
        self.visitors = visitors
        self.passersBy = passersBy
        self.medianDwellSeconds = medianDwellSeconds
    }
}

extension BufferDatabase {
    /// The largest row id of `table` (0 when empty): a mark to summarize only what is written after it.
    public func lastRowID(_ table: StoreTable) throws -> Int64 {
        try read("read the last row id of \(table.rawValue)") { db in
            try Int64.fetchOne(db, sql: "SELECT coalesce(max(id), 0) FROM \(table.rawValue)") ?? 0
        }
    }

    /// Per store, the visits and passers-by of the rows with id greater than `afterID`, by store name.
    ///
    /// What `mallgate replay` prints at the end: read back from the database, so the report is
    /// what was committed, not what the pipeline meant to write.
    public func visitSummary(afterID: Int64 = 0) throws -> [StoreVisitSummary] {
        try read("summarize visits") { db in
            var summaries: [String: StoreVisitSummary] = [:]
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT store_name,
                           sum(passer_by = 0) AS visits,
                           count(DISTINCT CASE WHEN passer_by = 0 THEN device_id END) AS visitors,
                           sum(passer_by = 1) AS passers_by
                    FROM visits WHERE id > ? GROUP BY store_name ORDER BY store_name
                    """,
                arguments: [afterID])
            for row in rows {
                let name: String = row["store_name"]
                summaries[name] = StoreVisitSummary(storeName: name, visits: row["visits"], visitors: row["visitors"], passersBy: row["passers_by"], medianDwellSeconds: nil)
            }
            let dwell = try Row.fetchAll(
                db, sql: "SELECT store_name, dwell_ns FROM visits WHERE id > ? AND passer_by = 0 ORDER BY store_name, dwell_ns",
                arguments: [afterID])
            var byStore: [String: [Int64]] = [:]
            for row in dwell { byStore[row["store_name"], default: []].append(row["dwell_ns"]) }
            for (name, values) in byStore where !values.isEmpty {
                let n = values.count
                let median = n % 2 == 1 ? Double(values[n / 2]) : (Double(values[n / 2 - 1]) + Double(values[n / 2])) / 2
                summaries[name]?.medianDwellSeconds = median / 1e9
            }
            return summaries.keys.sorted().map { summaries[$0]! }
        }
    }
}
