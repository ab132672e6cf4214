import Glibc
import MallGateTestSupport
import Testing

/// The scenario, page by page: what a technician and a visitor do, and what they must see.
final class Session {
    let browser: Browser
    let http: HTTP
    let base: String
    let venue: VenueFacts
    let truth: Truth
    let state: String
    let directory: String
    /// The session cookie, once logged in, for the test's own API calls.
    var cookie: String?
    /// Devices the test typed in (their MACs go to the server in a request, never back).
    var typedDevices: Set<String> = []
    var modelBefore: [UInt8]?
    /// Lines of the browser's record written by the end of the access checks.
    var recordLinesAfterAccessControl = 0
    /// One line per part for the closing summary.
    var report: [String] = []

    init(browser: Browser, http: HTTP, base: String, venue: VenueFacts, truth: Truth, state: String, directory: String) {
        self.browser = browser
        self.http = http
        self.base = base
        self.venue = venue
        self.truth = truth
        self.state = state
        self.directory = directory
    }

    /// The API paths of the contract (docs/web-ui.md), each refused without a session.
    static let apiGets = ["/api/venue", "/api/venue/svg", "/api/live", "/api/calibration", "/api/train", "/api/whereami", "/api/dashboard"]
    static let apiPosts = [
        ("/api/calibration/phone", "{\"mac\":\"02:00:00:00:00:01\"}"), ("/api/calibration/start", "{\"zone\":\"L0-s01\"}"),
        ("/api/calibration/stop", "{}"), ("/api/train/start", "{}"), ("/api/train/accept", "{}"), ("/api/train/rollback", "{}"),
        ("/api/whereami", "{\"mac\":\"02:00:00:00:00:01\"}"),
    ]

    func path() throws -> String { try browser.string("location.pathname") ?? "" }

    func shoot(_ name: String) throws {
        let desktop = "\(WebUITests.screenshots)/\(name)-desktop.png"
        let phone = "\(WebUITests.screenshots)/\(name)-phone.png"
        try browser.screenshot(desktop, phone: false)
        let width = try browser.screenshot(phone, phone: true)
        // Usable at 360 px: the page fits the phone's width, nothing to scroll sideways.
        #expect(width.map { $0 <= 360 } == true, "\(name) at 360 px is \(width.map(String.init) ?? "?") px wide")
    }

    /// The pipeline clock (capture time in a replay), seconds, as the agent reports it.
    func pipelineClock() -> Double? {
        let live = http.get("/api/live", cookie: cookie)
        guard live.status == 200, let range = live.body.firstRange(of: "\"time\":") else { return nil }
        return Double(live.body[range.upperBound...].prefix { "0123456789.-eE+".contains($0) })
    }

    // MARK: (a) access control

    func checkAccessControl(code: String) throws {
        for path in Self.apiGets + ["/api/events"] {
            #expect(http.get(path, maxSeconds: 3).status == 401, "GET \(path) without a session")
        }
        for (path, body) in Self.apiPosts {
            #expect(http.post(path, json: body).status == 401, "POST \(path) without a session")
        }
        #expect(http.get("/api/live", cookie: "mallgate_session=forged-\(UInt32.random(in: 0...UInt32.max))").status == 401, "a forged session cookie")
        // Pages without a session: the login page, whatever was asked for.
        for page in ["/", "/calibrate", "/train", "/whereami", "/dashboard"] {
            let answer = http.get(page)
            #expect(answer.status == 303 || answer.status == 302 || (answer.status == 200 && answer.body.contains("login-code")), "GET \(page) without a session: \(answer.status)")
            #expect(!answer.body.contains("venue-map") && !answer.body.contains("cal-mac"), "GET \(page) without a session shows the page")
        }

        try browser.open(base + "/dashboard")
        try browser.wait("#login-code")
        #expect(try path() == "/login")
        #expect(try browser.evaluate("!!document.querySelector('#dash-stores, #venue-map')") == "false")
        #expect(try browser.evaluate("fetch('/api/live').then(r => r.status)") == "401")
        try shoot("login")

        // A wrong code: the login page again, with the error, and still no access.
        try browser.type("#login-code", code + "x")
        try browser.click("#login-submit")
        let error = try browser.wait("#login-error")
        #expect(!error.isEmpty)
        #expect(try path() == "/login")
        #expect(try browser.evaluate("fetch('/api/live').then(r => r.status)") == "401")
        try browser.open(base + "/calibrate")
        try browser.wait("#login-code")
        #expect(try path() == "/login")
        try shoot("login-wrong-code")

        // The right code: in.
        try browser.type("#login-code", code)
        try browser.click("#login-submit")
        try browser.wait("#venue-map")
        #expect(try path() == "/")
        #expect(try browser.evaluate("fetch('/api/live').then(r => r.status)") == "200")
        cookie = try browser.cookieHeader()
        #expect(http.get("/api/live", cookie: cookie).status == 200, "the browser's session cookie (\(cookie ?? "none")) does not open the API")
        report.append("login ok")
    }

    // MARK: (b) installation map

    func checkInstallationMap() throws {
        try browser.open(base + "/")
        try browser.wait("#venue-map [data-store-id]")
        let floors = try browser.strings("[...document.querySelectorAll('#floor-select option')].map(o => o.value)")
        #expect(Set(floors) == Set(venue.floors), "floor switcher: \(floors)")
        var storesShown = 0
        var sensorsShown = 0
        for floor in venue.floors {
            let stores = Set(venue.stores.filter { $0.floor == floor }.map(\.id))
            let sensors = Set(venue.sensors.filter { $0.floor == floor }.map(\.id))
            try browser.select("#floor-select", floor)
            var shownStores: [String] = []
            var shownSensors: [String] = []
            _ = try waitFor(seconds: 10) {
                shownStores = try browser.strings("[...document.querySelectorAll('#venue-map [data-store-id]')].map(e => e.dataset.storeId)")
                shownSensors = try browser.strings("[...document.querySelectorAll('#venue-map [data-sensor-id]')].map(e => e.dataset.sensorId)")
                return Set(shownStores) == stores && Set(shownSensors) == sensors
            }
            // Exactly the floor's stores and sensors, each once.
            #expect(shownStores.count == stores.count && Set(shownStores) == stores, "floor \(floor): stores shown \(shownStores.sorted()) vs venue \(stores.sorted())")
            #expect(shownSensors.count == sensors.count && Set(shownSensors) == sensors, "floor \(floor): sensors shown \(shownSensors.sorted()) vs venue \(sensors.sorted())")
            storesShown += shownStores.count
            sensorsShown += shownSensors.count
            if floor == venue.floors.last { try shoot("installation-\(floor)") }
        }
        #expect(storesShown == venue.stores.count && sensorsShown == venue.sensors.count)
        try browser.select("#floor-select", venue.floors[0])

        // The health table: one row per sensor of the venue, filled from the live state.
        let rows = try browser.strings("[...document.querySelectorAll('#sensor-table tr[data-sensor-id]')].map(e => e.dataset.sensorId)")
        #expect(rows.count == venue.sensors.count && Set(rows) == Set(venue.sensors.map(\.id)), "sensor table rows: \(rows.count)")
        let heard = try waitFor(seconds: 15) {
            let texts = try browser.strings("[...document.querySelectorAll('#sensor-table tr[data-sensor-id]')].map(e => e.textContent)")
            return texts.contains { $0.contains { "123456789".contains($0) } }
        }
        #expect(heard, "no sensor row shows a number while the replay runs")
        // Frames/s follows the paced replay (it once showed 0.0 between the replay's batches of
        // a thousand frames, i.e. for minutes). Early in the replay the mall is quiet — a burst
        // of probes every few seconds — so only some of the seconds have frames.
        var flowing = 0
        for _ in 0..<20 {
            let rates = try browser.strings("[...document.querySelectorAll('#sensor-table [data-field=fps]')].map(e => e.textContent)")
            if rates.compactMap(Double.init).reduce(0, +) > 0 { flowing += 1 }
            usleep(1_000_000)
        }
        #expect(flowing >= 3, "the sensors' Frames/s summed above zero in only \(flowing) of 20 one-second samples")
        try shoot("installation")
        report.append("map \(storesShown) stores, \(sensorsShown) sensors (venue \(venue.stores.count), \(venue.sensors.count)), frames flowing \(flowing)/20 s")
    }

    // MARK: (c) calibration

    struct Label { var device: String; var start: Double; var end: Double; var zone: String }

    func readLabels() -> (header: String, labels: [Label]) {
        let lines = (readText(state + "/calibration/labels.csv") ?? "").split(separator: "\n").map(String.init)
        let labels = lines.dropFirst().compactMap { line -> Label? in
            let f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard f.count == 4, let start = epochSeconds(f[1]), let end = epochSeconds(f[2]) else { return nil }
            return Label(device: f[0], start: start, end: end, zone: f[3])
        }
        return (lines.first ?? "", labels)
    }

    func counts() throws -> [String: Int] {
        let pairs = try browser.strings("[...document.querySelectorAll('#cal-counts tr[data-sensor-id]')].flatMap(e => [e.dataset.sensorId, ((e.cells[1] || e).textContent.match(/\\d+/) || ['0'])[0]])")
        var result: [String: Int] = [:]
        for i in stride(from: 0, to: pairs.count - 1, by: 2) { result[pairs[i]] = Int(pairs[i + 1]) ?? 0 }
        return result
    }

    /// Records one spot: `pick` chooses the zone on the page; returns the pipeline-clock intervals around start and stop.
    func recordSpot(zone: String, pick: () throws -> Void) throws -> (start: ClosedRange<Double>, stop: ClosedRange<Double>, frames: Int) {
        try pick()
        _ = try waitFor(seconds: 5) { try browser.string("document.querySelector('#cal-zone').value") == zone }
        #expect(try browser.string("document.querySelector('#cal-zone').value") == zone, "the zone picked is not the zone the page will record")
        let beforeStart = try #require(pipelineClock())
        try browser.click("#cal-start")
        let recording = waitFor(seconds: 5) { http.get("/api/calibration", cookie: cookie).body.contains("\"recording\":true") }
        let afterStart = try #require(pipelineClock())
        #expect(recording, "pressing #cal-start did not start a recording")
        // Hold the spot until the sensors heard the phone here (a window or two), at most 300 s of
        // capture time: an idle phone of the simulation is silent for up to about three minutes
        // between bursts (one recording once saw a 155 s gap, longer than the 135 s allowed then).
        // Measured on the agent's clock, not the wall's: on a loaded machine the paced replay
        // falls behind (wall time capped at 240 s).
        var frames = 0
        let started = now()
        _ = try waitFor(seconds: 240) {
            frames = try counts().values.reduce(0, +)
            if frames > 0 { return now() - started > 4 }
            return (pipelineClock() ?? beforeStart) - beforeStart > 300
        }
        let beforeStop = try #require(pipelineClock())
        try browser.click("#cal-stop")
        _ = waitFor(seconds: 5) { http.get("/api/calibration", cookie: cookie).body.contains("\"recording\":false") }
        let afterStop = try #require(pipelineClock())
        // Label times are written to the microsecond, truncated: a millisecond of slack.
        return ((beforeStart - 0.001)...(afterStart + 0.001), (beforeStop - 0.001)...(afterStop + 0.001), frames)
    }

    func checkCalibration() throws {
        try browser.open(base + "/calibrate")
        try browser.wait("#cal-mac")
        try browser.wait("#venue-map [data-store-id]")
        try shoot("calibrate-empty")
        let clock = try #require(pipelineClock(), "no pipeline clock from /api/live")
        // The technician: a phone that keeps its MAC and is heard through the next ten minutes (two spots).
        let phone = try #require(truth.steadyPhone(from: clock, until: clock + 600) ?? truth.steadyPhone(from: clock, until: clock + 300), "the simulation has no steady phone heard at \(clock)")
        typedDevices.insert(phone.device)
        try browser.type("#cal-mac", phone.mac)
        // docs/web-ui.md: the phone is set with its own button (#cal-mac-submit); without one, on change.
        if try browser.evaluate("!!document.querySelector('#cal-mac-submit')") == "true" { try browser.click("#cal-mac-submit") }
        let phoneSet = waitFor(seconds: 5) { http.get("/api/calibration", cookie: cookie).body.contains("\"phoneSet\":true") }
        #expect(phoneSet, "typing the MAC into #cal-mac did not register the phone")

        // Spot 1: the store the truth puts the phone in (or a store on its floor), clicked on the map.
        let here = truth.position(of: phone.device, at: clock)
        let floor = here?.floor ?? venue.floors[0]
        let store = venue.stores.first { $0.id == here?.zone }?.id ?? venue.stores.first { $0.floor == floor }!.id
        let first = try recordSpot(zone: store) {
            if try browser.string("document.querySelector('#floor-select').value") != floor {
                try browser.select("#floor-select", floor)
            }
            try browser.wait("#venue-map [data-store-id=\"\(store)\"]")
            try browser.click("#venue-map [data-store-id=\"\(store)\"]")
        }
        // Spot 2: where the phone is now by the truth, picked from the list (another zone if that is spot 1).
        let later = try #require(pipelineClock())
        let there = truth.position(of: phone.device, at: later)?.zone
        let second = (there != nil && there != store) ? there! : venue.zones.first { $0.floor == floor && $0.id != store && $0.kind != "store" }!.id
        let secondSpot = try recordSpot(zone: second) { try browser.select("#cal-zone", second) }

        // The labels file: the header, then what was clicked, in order, times inside the clicked intervals.
        let (header, labels) = readLabels()
        #expect(header == "mac,start,end,zone")
        #expect(labels.map(\.zone) == [store, second], "labels file zones \(labels.map(\.zone))")
        for (label, spot) in zip(labels, [first, secondSpot]) {
            #expect(spot.start.contains(label.start), "label \(label.zone) starts at \(label.start), clicked within \(spot.start)")
            #expect(spot.stop.contains(label.end), "label \(label.zone) ends at \(label.end), clicked within \(spot.stop)")
            // A keyed id in the MAC column, never the MAC.
            #expect(label.device.hasPrefix("id:") && label.device.count == 19 && label.device.dropFirst(3).allSatisfy(\.isHexDigit), "\(label.device)")
        }
        #expect(Set(labels.map(\.device)).count == 1)
        // docs/web-ui.md: the calibration files are private to the agent's user.
        var info = stat()
        #expect(stat(state + "/calibration/labels.csv", &info) == 0 && info.st_mode & 0o077 == 0, "labels.csv mode \(String(info.st_mode & 0o777, radix: 8))")
        #expect(occurrences(of: spellings(phone.mac), in: state + "/calibration/labels.csv").isEmpty, "the MAC is in the labels file")

        // The page's label table shows the same labels (docs/web-ui.md: body rows, td[data-field=zone|start|end]).
        let rows = try browser.strings("""
            [...document.querySelectorAll('#cal-labels tbody tr')].map(r => ['zone', 'start', 'end'].map(f => {
                const c = r.querySelector(`td[data-field=${f}]`);
                return c ? (c.dataset.zoneId || c.textContent).trim() : '?';
            }).join('|'))
            """)
        let shown = rows.map { $0.split(separator: "|", omittingEmptySubsequences: false).map(String.init) }
        #expect(shown.count == labels.count, "#cal-labels rows: \(rows)")
        for (row, label) in zip(shown, labels) where row.count == 3 {
            let name = venue.names[label.zone] ?? label.zone
            #expect(row[0] == label.zone || row[0] == name, "row \(row) vs label zone \(label.zone) (\(name))")
            if let start = epochSeconds(row[1]), let end = epochSeconds(row[2]) {
                #expect(abs(start - label.start) < 0.001 && abs(end - label.end) < 0.001, "row \(row) vs file \(label)")
            } else {
                Issue.record("#cal-labels shows times that are not RFC 3339 UTC: \(row)")
            }
        }

        // Frames per sensor: one row per sensor of the venue, and the phone was heard.
        let perSensor = try counts()
        #expect(Set(perSensor.keys) == Set(venue.sensors.map(\.id)), "#cal-counts rows: \(perSensor.count)")
        #expect(first.frames > 0 && secondSpot.frames > 0, "frames heard: spot 1 \(first.frames), spot 2 \(secondSpot.frames)")
        // Zones still to do: only the venue's zones, and every zone not recorded is among them.
        let missing = try browser.strings("[...document.querySelectorAll('#cal-missing li[data-zone-id]')].map(e => e.dataset.zoneId)")
        let zoneIDs = Set(venue.zones.map(\.id))
        #expect(Set(missing).isSubset(of: zoneIDs), "\(Set(missing).subtracting(zoneIDs))")
        #expect(zoneIDs.subtracting([store, second]).isSubset(of: Set(missing)), "missing zones: \(missing.count) of \(zoneIDs.count)")
        try shoot("calibrate")
        report.append("calibration \(labels.count) labels (\(store), \(second)), frames \(first.frames)+\(secondSpot.frames)")
    }

    // MARK: (d) training

    func startTraining() throws {
        modelBefore = nil
        try browser.open(base + "/train")
        try browser.wait("#train-start")
        try shoot("train")
        try browser.click("#train-start")
        let running = waitFor(seconds: 5) { http.get("/api/train", cookie: cookie).body.contains("\"phase\":\"running\"") || http.get("/api/train", cookie: cookie).body.contains("\"phase\":\"done\"") }
        #expect(running, "#train-start did not start training: \(http.get("/api/train", cookie: cookie).body)")
    }

    func finishTraining(modelPath: String) throws {
        let before = readFile(modelPath)
        try browser.open(base + "/train")
        try browser.wait("#train-progress")
        var progress: [Double] = []
        let done = try waitFor(seconds: 150) {
            if let p = try browser.number("(e => Number(e.value ?? e.getAttribute('aria-valuenow') ?? e.textContent.match(/\\d+/)))(document.querySelector('#train-progress'))") {
                if progress.last != p { progress.append(p) }
            }
            guard progress.last == 100 else { return false }
            return try browser.evaluate("(document.querySelector('#train-report')?.textContent || '').trim().length > 0") == "true"
        }
        #expect(done, "training did not finish in 150 s; progress \(progress); \(http.get("/api/train", cookie: cookie).body.prefix(500))")
        #expect(progress.allSatisfy { (0...100).contains($0) } && progress == progress.sorted(), "progress \(progress)")
        let reportText = try browser.wait("#train-report")
        // The cross-validated report: floor, store and inside/outside accuracies.
        for word in ["floor", "store", "inside"] {
            #expect(reportText.lowercased().contains(word), "the report does not mention \(word): \(reportText.prefix(300))")
        }
        #expect(reportText.contains("%"), "the report shows no percentage: \(reportText.prefix(300))")
        // docs/web-ui.md: dd[data-metric=floor|store|inside-outside], each a percentage.
        let metrics = try browser.strings("['floor', 'store', 'inside-outside'].map(m => (document.querySelector(`#train-report dd[data-metric=${m}]`)?.textContent || '').trim())")
        #expect(metrics.count == 3 && metrics.allSatisfy { $0.contains("%") && $0.contains { $0.isNumber } }, "report metrics: \(metrics)")
        try shoot("train-report")
        try browser.click("#train-accept")
        let installed = waitFor(seconds: 15) { readFile(modelPath) != before }
        #expect(installed, "accepting did not replace \(modelPath)")
        #expect(readFile(state + "/models/previous.mgm") == before, "the previous model is not kept for rollback")
        // The new model starts with the MallGate model magic, like the one `mallgate train` wrote.
        #expect(readFile(modelPath)?.prefix(4) == before?.prefix(4))
        let rollback = try browser.evaluate("(e => !!e && !e.disabled && e.offsetParent !== null)(document.querySelector('#train-rollback'))")
        #expect(rollback == "true", "#train-rollback is not offered after accepting")
        try shoot("train-accepted")
        report.append("training progress \(progress.map { Int($0) }) accepted \(installed)")
    }

    // MARK: (e) where am I

    func checkWhereAmI() throws {
        // A visitor inside a store for as long as the page is watched below (45 s of wall time, so
        // 45 s × speed of capture), whose phone keeps its MAC.
        let watched = 45.0
        var chosen: (mac: String, device: String, store: String, enter: Double)?
        _ = waitFor(seconds: 60) {
            guard let clock = pipelineClock() else { return false }
            chosen = nil
            for visit in truth.visits where visit["probing"] == "1" && visit["role"] != "technician" {
                guard let device = visit["device"], !typedDevices.contains(device), let store = visit["store"],
                    let enter = visit["enter"].flatMap(epochSeconds), let exit = visit["exit"].flatMap(epochSeconds),
                    enter <= clock - 10, exit >= clock + watched * WebUITests.speed,
                    let mac = truth.macs.first(where: {
                        $0["device"] == device && $0["randomized"] == "0"
                            && ($0["first_seen"].flatMap(epochSeconds) ?? .infinity) <= clock
                            && ($0["last_seen"].flatMap(epochSeconds) ?? 0) >= clock + watched * WebUITests.speed
                    })?["mac"]
                else { continue }
                // The one inside longest: the page places a phone when its next probe closes a window
                // (up to a minute of capture later), so one that just walked in may still show the corridor.
                if chosen == nil || enter < chosen!.enter { chosen = (mac, device, store, enter) }
            }
            return chosen != nil
        }
        let visitor = try #require(chosen, "no visitor with a steady MAC is inside a store for the next \(Int(watched * WebUITests.speed)) s of the replay")
        typedDevices.insert(visitor.device)

        try browser.open(base + "/whereami")
        try browser.wait("#wai-mac")
        try browser.type("#wai-mac", visitor.mac)
        try browser.click("#wai-submit")
        // Watch the page for up to 45 s, once a second: the zones it shows, as the windows come (a
        // window is placed when the phone's next probe, up to a minute of capture later, closes it).
        // Until the page first shows the truth's store it may still show where the phone was before;
        // from then on, twelve readings.
        var seen: [String] = []
        let deadline = now() + watched
        while now() < deadline {
            if let zone = try browser.string("document.querySelector('#wai-zone')?.dataset.zoneId || null"), !zone.isEmpty {
                seen.append(zone)
            }
            if let first = seen.firstIndex(of: visitor.store), seen.count - first >= 12 { break }
            usleep(1_000_000)
        }
        let confidence = try browser.wait("#wai-confidence")
        let pathEntries = try browser.number("document.querySelectorAll('#wai-path li[data-zone-id]').length") ?? 0
        // The documented accuracy is about 93 % of windows in the right store (docs/accuracy.md,
        // layout-only model, smoothed): most of what the page shows is the truth's store.
        let settled = seen.firstIndex(of: visitor.store).map { Array(seen[$0...]) } ?? []
        let right = settled.filter { $0 == visitor.store }.count
        #expect(!seen.isEmpty, "#wai-zone never showed a zone for \(visitor.device)")
        #expect(!settled.isEmpty, "truth: \(visitor.device) is in \(visitor.store) all along; in \(Int(watched)) s the page never showed it: \(seen)")
        #expect(right * 2 > settled.count, "truth: \(visitor.device) is in \(visitor.store); the page showed \(seen)")
        #expect(confidence.contains { $0.isNumber }, "#wai-confidence: \(confidence)")
        #expect(pathEntries > 0, "#wai-path shows nothing")
        try shoot("whereami")
        report.append("where am I \(visitor.device) truth \(visitor.store), first shown after \(seen.count - settled.count) s, then \(right)/\(settled.count) right")
    }

    // MARK: (f) dashboard

    func checkDashboard() throws {
        try browser.open(base + "/dashboard")
        try browser.wait("#dash-stores tr[data-store-id]")
        let rows = try browser.strings("[...document.querySelectorAll('#dash-stores tr[data-store-id]')].map(e => e.dataset.storeId)")
        #expect(rows.count == venue.stores.count && Set(rows) == Set(venue.stores.map(\.id)), "dashboard rows \(rows.count), venue stores \(venue.stores.count)")
        try shoot("dashboard")
        report.append("dashboard \(rows.count) rows")
    }

    // MARK: (g) no MAC, no other device's id

    func checkNothingLeaks(record: String) throws {
        // The API as the test sees it too: every GET, and the event stream for a few seconds.
        let captured = directory + "/api-bodies.txt"
        var text = ""
        for path in Self.apiGets { text += path + "\n" + http.get(path, cookie: cookie).body + "\n" }
        let events = http.stream("/api/events", cookie: cookie, seconds: 4)
        text += "/api/events\n" + events
        writeText(captured, text)
        #expect(events.contains("data:"), "the event stream sent nothing in 4 s")

        let recorded = readText(record) ?? ""
        let responses = recorded.split(separator: "\n").filter { $0.contains("\"kind\": \"response\"") }.count
        let sse = recorded.split(separator: "\n").filter { $0.contains("\"kind\": \"sse\"") }.count
        #expect(responses > 10, "the recorder saw \(responses) responses")
        #expect(sse > 0, "the pages received no server-sent event")

        let macs = truth.allMACs
        let leakedMACs = occurrences(of: macs.flatMap(spellings), in: record) + occurrences(of: macs.flatMap(spellings), in: captured)
        #expect(leakedMACs.isEmpty, "MACs in responses: \(leakedMACs.prefix(10))")

        // Device ids the agent made (keyed hashes in the buffer), in every form they might take.
        let ids = shell("sqlite3 -batch \(sh(state + "/buffer.sqlite")) 'SELECT DISTINCT device_id FROM positions UNION SELECT DISTINCT device_id FROM visits' 2>/dev/null")
            .output.split(separator: "\n").compactMap { Int64($0) }
        #expect(ids.count > 10, "the buffer has \(ids.count) device ids")
        let forms = ids.flatMap { id -> [String] in
            let unsigned = UInt64(bitPattern: id)
            let hex = String(unsigned, radix: 16)
            let padded = String(repeating: "0", count: 16 - hex.count) + hex
            return [String(id), String(unsigned), padded, padded.uppercased()]
        }
        let leakedIDs = occurrences(of: forms, in: record) + occurrences(of: forms, in: captured)
        #expect(leakedIDs.isEmpty, "device ids in responses: \(leakedIDs.prefix(10))")
        report.append("\(responses) responses, \(sse) SSE messages, \(macs.count) MACs and \(ids.count) device ids searched")
    }

    func checkPageErrors(record: String) throws {
        let lines = (readText(record) ?? "").split(separator: "\n")
        // During the access checks, the refused calls (401) the test made itself are expected;
        // anything else there, and everything after, counts.
        let expected = lines.prefix(recordLinesAfterAccessControl).filter { $0.contains("\"kind\": \"log\"") && $0.contains("status of 401") }
        let problems = lines.enumerated().filter { i, line in
            !(i < recordLinesAfterAccessControl && expected.contains(line))
        }.map(\.element).filter {
            ($0.contains("\"kind\": \"exception\"") || $0.contains("\"kind\": \"console\"") || $0.contains("\"kind\": \"log\"")) && !$0.contains("favicon")
        }
        #expect(problems.isEmpty, "page errors: \(problems.prefix(10).joined(separator: "\n"))")
    }
}
