import Testing
@testable import MallGateSimulator

@Suite struct InstantTests {
    @Test func parsesAndFormatsRFC3339() throws {
        // 2026-11-29T10:00:00Z = 1795946400 s after the epoch (date -u -d 2026-11-29T10:00:00Z +%s).
        let t = try #require(Instant(rfc3339: "2026-11-29T10:00:00Z"))
        #expect(t.microseconds == 1_795_946_400 * 1_000_000)
        #expect(t.rfc3339() == "2026-11-29T10:00:00Z")
        #expect(t.adding(seconds: 5.25).rfc3339(fractional: true) == "2026-11-29T10:00:05.250Z")
        #expect(Instant(rfc3339: "2026-11-29T11:00:00+01:00") == t)
        #expect(Instant(rfc3339: "2026-11-29T10:00:00.5Z")?.microseconds == t.microseconds + 500_000)
        #expect(Instant(rfc3339: "2024-02-29T00:00:00Z")?.rfc3339() == "2024-02-29T00:00:00Z")
        #expect(Instant(rfc3339: "1970-01-01T00:00:00Z")?.microseconds == 0)
    }

    @Test func refusesWhatIsNotRFC3339() {
        for bad in ["", "2026-11-29", "2026-11-29T10:00:00", "2026-13-01T00:00:00Z", "2026-11-29T10:00:00Zx", "tomorrow"] {
            #expect(Instant(rfc3339: bad) == nil, "\(bad)")
        }
    }
}
