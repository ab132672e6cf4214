import Glibc
import MallGateTestSupport

/// Headless Chromium driven over the DevTools protocol by cdp.py, one short command per action.
///
/// Why a separate process per action: the browser keeps the page, its cookies and its live
/// connections between commands, so the test stays plain synchronous code and needs no
/// WebSocket client of its own; a command that fails says what it waited for and where.
struct Browser {
    /// The driver, next to this file; run by Debian's python3, where python3-websocket is installed.
    static let driver = packageRoot + "/Tests/MallGateWebUITests/cdp.py"
    static let python = "/usr/bin/python3"

    /// Whether Chromium is installed (the suite skips without it; CI installs it with scripts/deps.sh).
    static let isInstalled = shell("command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1").status == 0
    /// Whether the driver's one dependency is there; its absence is a failure, not a skip.
    static let hasDriverDependency = shell("\(python) -c 'import websocket' 2>/dev/null").status == 0

    let pid: Int32
    let port: Int
    let profile: String

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Starts Chromium with a fresh profile in `profile`.
    static func launch(profile: String) throws -> Browser {
        let result = shell("\(python) \(sh(driver)) launch \(sh(profile))", mergeStderr: true)
        let fields = result.output.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
        guard result.status == 0, fields.count == 2 else { throw Failure(description: "cdp.py launch: \(result.output)") }
        return Browser(pid: Int32(fields[0]), port: fields[1], profile: profile)
    }

    /// Runs one driver command; its output, or a failure carrying what the driver said.
    @discardableResult
    func run(_ arguments: [String], timeout: Double = 20) throws -> String {
        let command = ([Self.python, Self.driver, "--port", String(port), "--timeout", String(timeout)] + arguments).map(sh).joined(separator: " ")
        let result = shell(command + " 2>&1")
        guard result.status == 0 else { throw Failure(description: result.output.trimmingSpace()) }
        return result.output.trimmingSpace()
    }

    func open(_ url: String) throws { try run(["open", url]) }

    /// Waits for `selector` (and, with `text`, for its text to match that regular expression); returns its text.
    @discardableResult
    func wait(_ selector: String, text: String? = nil, timeout: Double = 20) throws -> String {
        try run(["wait", selector] + (text.map { ["--text", $0] } ?? []), timeout: timeout)
    }

    func click(_ selector: String) throws { try run(["click", selector]) }
    func type(_ selector: String, _ text: String) throws { try run(["type", selector, text]) }
    func select(_ selector: String, _ value: String) throws { try run(["select", selector, value]) }

    /// The JSON value of a JavaScript expression (promises awaited).
    func evaluate(_ expression: String) throws -> String { try run(["eval", expression]) }

    /// The value of an expression that yields a string (or null → nil).
    func string(_ expression: String) throws -> String? {
        let json = try evaluate(expression)
        return json == "null" ? nil : JSONText.string(json)
    }

    /// The value of an expression that yields a list of strings.
    func strings(_ expression: String) throws -> [String] {
        JSONText.strings(try evaluate(expression))
    }

    /// The value of an expression that yields a number.
    func number(_ expression: String) throws -> Double? { Double(try evaluate(expression)) }

    /// A full-page PNG; at phone size (360×740, mobile) when `phone`. Returns the page's scroll width.
    @discardableResult
    func screenshot(_ path: String, phone: Bool) throws -> Int? {
        let output = try run(["screenshot", path] + (phone ? ["--width", "360", "--height", "740", "--mobile"] : []))
        guard let range = output.firstRange(of: "\"scrollWidth\": ") else { return nil }
        return Int(output[range.upperBound...].prefix { $0.isNumber })
    }

    /// `Cookie:` header value of the browser's cookies for the page.
    func cookieHeader() throws -> String {
        let json = try run(["cookies"])
        let names = JSONText.values(of: "name", in: json)
        let values = JSONText.values(of: "value", in: json)
        return zip(names, values).map { "\($0)=\($1)" }.joined(separator: "; ")
    }

    /// Starts recording every response body, SSE message and page error into `file` (JSON lines).
    func startRecording(into file: String) -> BackgroundProcess? {
        BackgroundProcess(arguments: [Self.python, Self.driver, "--port", String(port), "record", file], directory: profile, name: "recorder")
    }

    /// Ends the browser and everything it started (it runs in its own process group).
    func quit() {
        kill(-pid, SIGTERM)
        for _ in 0..<50 where kill(pid, 0) == 0 { usleep(100_000) }
        if kill(pid, 0) == 0 { kill(-pid, SIGKILL) }
    }
}

/// Just enough JSON reading for the driver's answers (flat strings and lists of strings);
/// the browser produces the JSON, so escapes beyond the common ones do not occur.
enum JSONText {
    static func string(_ json: String) -> String? {
        strings("[" + json + "]").first
    }

    /// The string elements of a JSON array, in order.
    static func strings(_ json: String) -> [String] {
        var result: [String] = []
        var iterator = json.makeIterator()
        while let c = iterator.next() {
            guard c == "\"" else { continue }
            result.append(readString(&iterator))
        }
        return result
    }

    /// Every string value of `"key": "…"` in `json`, in order.
    static func values(of key: String, in json: String) -> [String] {
        var result: [String] = []
        var rest = Substring(json)
        let marker = "\"\(key)\": \""
        while let range = rest.firstRange(of: marker) {
            var iterator = rest[range.upperBound...].makeIterator()
            result.append(readString(&iterator))
            rest = rest[range.upperBound...]
        }
        return result
    }

    private static func readString<I: IteratorProtocol<Character>>(_ iterator: inout I) -> String {
        var s = ""
        while let c = iterator.next() {
            if c == "\"" { break }
            if c == "\\", let e = iterator.next() {
                switch e {
                case "n": s.append("\n")
                case "t": s.append("\t")
                case "u":
                    var hex = ""
                    for _ in 0..<4 { if let h = iterator.next() { hex.append(h) } }
                    if let v = UInt32(hex, radix: 16), let scalar = Unicode.Scalar(v) { s.unicodeScalars.append(scalar) }
                default: s.append(e)
                }
            } else {
                s.append(c)
            }
        }
        return s
    }
}

extension String {
    func trimmingSpace() -> String {
        var s = Substring(self)
        while let c = s.first, c.isWhitespace { s = s.dropFirst() }
        while let c = s.last, c.isWhitespace { s = s.dropLast() }
        return String(s)
    }
}
