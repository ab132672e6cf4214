import MallGateStore
import Testing

/// `visitSummary(afterID:)`: what `mallgate replay` prints, checked against hand-counted rows.
struct VisitSummaryTests {
    static func visit(_ device: UInt64, _ store: String, dwellSeconds: Int64, passerBy: Bool = false) -> VisitRow {
        let enter: Int64 = 1_800_000_000_000_000_000
        return VisitRow(device: device, storeIndex: store == "cafe" ? 1 : 2, storeName: store, enterNanoseconds: enter,
                        exitNanoseconds: enter + dwellSeconds * 1_000_000_000, passerBy: passerBy)
    }

    @Test func countsVisitorsPassersByAndTheMedianDwellOfRowsAfterTheMark() async throws {
        let store = try BufferDatabase(StoreConfiguration(location: .inMemory))
        // An earlier run: left out by the mark.
        try await store.write(StoreBatch(visits: [Self.visit(9, "cafe", dwellSeconds: 5000)]))
        let mark = try await store.lastRowID(.visits)
        #expect(mark == 1)
        try await store.write(StoreBatch(visits: [
            // cafe: device 1 twice and device 2: three visits, two visitors, dwell 60, 120, 600 → median 120.
            Self.visit(1, "cafe", dwellSeconds: 60), Self.visit(1, "cafe", dwellSeconds: 600), Self.visit(2, "cafe", dwellSeconds: 120),
            Self.visit(3, "cafe", dwellSeconds: 10, passerBy: true),
            // shoes: two visits (dwell 30 and 90 → median 60) and two passes.
            Self.visit(4, "shoes", dwellSeconds: 30), Self.visit(5, "shoes", dwellSeconds: 90),
            Self.visit(6, "shoes", dwellSeconds: 5, passerBy: true), Self.visit(6, "shoes", dwellSeconds: 7, passerBy: true),
            // books: only passes, no dwell.
            Self.visit(7, "books", dwellSeconds: 4, passerBy: true),
        ]))
        let summary = try await store.visitSummary(afterID: mark)
        #expect(summary == [
            StoreVisitSummary(storeName: "books", visits: 0, visitors: 0, passersBy: 1, medianDwellSeconds: nil),
            StoreVisitSummary(storeName: "cafe", visits: 3, visitors: 2, passersBy: 1, medianDwellSeconds: 120),
            StoreVisitSummary(storeName: "shoes", visits: 2, visitors: 2, passersBy: 2, medianDwellSeconds: 60),
        ])
        try await store.close()
    }
}
