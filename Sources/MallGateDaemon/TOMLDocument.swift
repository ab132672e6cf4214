internal import TOMLKit

/// A parsed TOML document as plain values, with the line of every key.
///
/// TOMLKit (toml++) reports positions only for syntax errors, not for the values it
/// parsed, so the lines come from ``TOMLKeyLines``, a scan of the text for table headers
/// and keys. Converting once into this `Sendable` tree also keeps TOMLKit's reference
/// types (bridged C++ nodes) out of the rest of the daemon.
struct TOMLDocument: Sendable {
    indirect enum Value: Sendable, Equatable {
        case string(String)
        case integer(Int)
        case double(Double)
        case bool(Bool)
        case array([Value])
        case table([(String, Value)])
        /// Dates and times: the daemon has no key of these types.
        case other(String)

        static func == (a: Value, b: Value) -> Bool {
            switch (a, b) {
            case (.string(let x), .string(let y)): x == y
            case (.integer(let x), .integer(let y)): x == y
            case (.double(let x), .double(let y)): x == y
            case (.bool(let x), .bool(let y)): x == y
            case (.array(let x), .array(let y)): x == y
            case (.table(let x), .table(let y)): x.map(\.0) == y.map(\.0) && x.map(\.1) == y.map(\.1)
            case (.other(let x), .other(let y)): x == y
            default: false
            }
        }

        /// The TOML type's name, for "expected a string, got an integer".
        var typeName: String {
            switch self {
            case .string: "a string"
            case .integer: "an integer"
            case .double: "a floating-point number"
            case .bool: "a boolean"
            case .array: "an array"
            case .table: "a table"
            case .other(let name): "a \(name)"
            }
        }
    }

    /// A syntax error, with toml++'s position.
    struct SyntaxError: Error, Sendable {
        var line: Int
        var column: Int
        var message: String
    }

    let root: [(String, Value)]
    let lines: TOMLKeyLines

    /// Parses `text`.
    /// - Throws: ``SyntaxError`` with the line and column toml++ reports.
    init(text: String) throws(SyntaxError) {
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw SyntaxError(line: error.source.begin.line, column: error.source.begin.column, message: error.description)
        } catch {
            throw SyntaxError(line: 1, column: 1, message: "\(error)")
        }
        guard case .table(let entries) = Self.convert(table) else { preconditionFailure("a document is a table") }
        root = entries
        lines = TOMLKeyLines(text: text)
    }

    private static func convert(_ value: any TOMLValueConvertible) -> Value {
        switch value.type {
        case .string: return .string(value.string ?? "")
        case .int: return .integer(value.int ?? 0)
        case .double: return .double(value.double ?? 0)
        case .bool: return .bool(value.bool ?? false)
        case .array:
            guard let array = value.array else { return .array([]) }
            var items: [Value] = []
            for index in 0..<array.count { items.append(convert(array[index])) }
            return .array(items)
        case .table:
            guard let table = value.table else { return .table([]) }
            return .table(table.keys.compactMap { key in table[key].map { (key, convert($0)) } })
        case .date: return .other("date")
        case .time: return .other("time")
        case .dateTime: return .other("date-time")
        }
    }
}

/// The line of each key in a TOML text, found by scanning it: table headers (`[a.b]`,
/// `[[a]]`) set the current path, and `key = …` / `a.b = …` lines add keys under it.
///
/// Why a scan: TOMLKit 0.6.0 exposes source positions only in ``TOMLParseError``, not for
/// parsed values. The scan runs only on text toml++ has already accepted, so it needs no
/// error handling of its own; it skips comments and the insides of multi-line strings and
/// arrays. Keys inside inline tables (`a = { b = 1 }`) get the line of the inline table.
/// Array-of-tables entries are numbered like the config paths: `sources[0].kind`, and a
/// sub-table header after one (`[sources.senders]`) is placed in the latest entry.
struct TOMLKeyLines: Sendable {
    private(set) var lineOf: [String: Int] = [:]

    init(text: String) {
        var tablePath = ""
        var arrayCounts: [String: Int] = [:]
        var inMultilineString: String? = nil
        var bracketDepth = 0
        var number = 0
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            number += 1
            var line = Substring(rawLine)
            if let delimiter = inMultilineString {
                guard let end = line.firstRange(of: delimiter) else { continue }
                line = line[end.upperBound...]
                inMultilineString = nil
                continue
            }
            if bracketDepth > 0 {
                bracketDepth += Self.bracketBalance(Self.stripComment(line))
                continue
            }
            let content = Self.stripComment(line).trimmingSpaces()
            if content.isEmpty { continue }
            if content.hasPrefix("[[") {
                let name = Self.keyPath(content.dropFirst(2).prefix { $0 != "]" })
                let index = arrayCounts[name, default: 0]
                arrayCounts[name] = index + 1
                tablePath = "\(name)[\(index)]"
                lineOf[tablePath] = lineOf[tablePath] ?? number
                lineOf[name] = lineOf[name] ?? number
                continue
            }
            if content.hasPrefix("[") {
                tablePath = Self.keyPath(content.dropFirst().prefix { $0 != "]" })
                // `[sources.senders]` after `[[sources]]` belongs to the last `sources` entry.
                let parts = tablePath.split(separator: ".", omittingEmptySubsequences: false)
                for length in stride(from: parts.count - 1, through: 1, by: -1) {
                    let array = parts[..<length].joined(separator: ".")
                    guard let count = arrayCounts[array] else { continue }
                    tablePath = "\(array)[\(count - 1)]." + parts[length...].joined(separator: ".")
                    break
                }
                lineOf[tablePath] = lineOf[tablePath] ?? number
                continue
            }
            guard let equals = Self.unquotedEquals(content) else { continue }
            let key = Self.keyPath(content[..<equals])
            let full = tablePath.isEmpty ? key : tablePath + "." + key
            lineOf[full] = lineOf[full] ?? number
            var value = content[content.index(after: equals)...].trimmingSpaces()
            for delimiter in ["\"\"\"", "'''"] where value.hasPrefix(delimiter) {
                value = value.dropFirst(3)
                if value.firstRange(of: delimiter) == nil { inMultilineString = delimiter }
            }
            if inMultilineString == nil, value.hasPrefix("[") || value.hasPrefix("{") {
                bracketDepth = Self.bracketBalance(value)
                if value.hasPrefix("{") {
                    // Inline-table members take the line of the table.
                    for member in Self.inlineKeys(value) where lineOf[full + "." + member] == nil { lineOf[full + "." + member] = number }
                }
            }
        }
    }

    /// The line of `path`, or of its nearest enclosing key or table that has one.
    func line(of path: String) -> Int? {
        var candidate = path
        while true {
            if let line = lineOf[candidate] { return line }
            guard let cut = candidate.lastIndex(where: { $0 == "." || $0 == "[" }) else { return nil }
            candidate = String(candidate[..<cut])
        }
    }

    /// `a . "b c" .d` → `a.b c.d`: dotted keys with quotes and spaces removed.
    static func keyPath(_ text: Substring) -> String {
        var parts: [String] = []
        var current = ""
        var quote: Character? = nil
        for ch in text {
            if let q = quote {
                if ch == q { quote = nil } else { current.append(ch) }
            } else if ch == "\"" || ch == "'" {
                quote = ch
            } else if ch == "." {
                parts.append(current)
                current = ""
            } else if ch != " " && ch != "\t" {
                current.append(ch)
            }
        }
        parts.append(current)
        return parts.joined(separator: ".")
    }

    private static func unquotedEquals(_ line: Substring) -> Substring.Index? {
        var quote: Character? = nil
        for index in line.indices {
            let ch = line[index]
            if let q = quote {
                if ch == q { quote = nil }
            } else if ch == "\"" || ch == "'" {
                quote = ch
            } else if ch == "=" {
                return index
            }
        }
        return nil
    }

    /// The line without its `#` comment (a `#` inside a string is kept).
    static func stripComment(_ line: Substring) -> Substring {
        var quote: Character? = nil
        for index in line.indices {
            let ch = line[index]
            if let q = quote {
                if ch == "\\" && q == "\"" { continue }
                if ch == q { quote = nil }
            } else if ch == "\"" || ch == "'" {
                quote = ch
            } else if ch == "#" {
                return line[..<index]
            }
        }
        return line
    }

    /// Opening minus closing brackets/braces outside strings.
    private static func bracketBalance(_ text: Substring) -> Int {
        var depth = 0
        var quote: Character? = nil
        for ch in text {
            if let q = quote {
                if ch == q { quote = nil }
            } else if ch == "\"" || ch == "'" {
                quote = ch
            } else if ch == "[" || ch == "{" {
                depth += 1
            } else if ch == "]" || ch == "}" {
                depth -= 1
            }
        }
        return depth
    }

    /// Top-level member keys of an inline table on one line: `{ a = 1, b.c = 2 }` → a, b.c.
    private static func inlineKeys(_ text: Substring) -> [String] {
        var keys: [String] = []
        var depth = 0
        var quote: Character? = nil
        var segment = Substring()
        var start = text.startIndex
        for index in text.indices {
            let ch = text[index]
            if let q = quote {
                if ch == q { quote = nil }
                continue
            }
            switch ch {
            case "\"", "'": quote = ch
            case "{", "[":
                depth += 1
                if depth == 1 { start = text.index(after: index) }
            case "}", "]": depth -= 1
            case "," where depth == 1: start = text.index(after: index)
            case "=" where depth == 1:
                segment = text[start..<index]
                keys.append(keyPath(segment))
            default: break
            }
        }
        return keys
    }
}

extension Substring {
    func trimmingSpaces() -> Substring {
        var s = self
        while let f = s.first, f == " " || f == "\t" || f == "\r" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" || l == "\r" { s = s.dropLast() }
        return s
    }
}
