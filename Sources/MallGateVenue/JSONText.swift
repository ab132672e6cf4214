// A small JSON reader that remembers where every value sits in the text.
//
// JSONDecoder reports neither line numbers nor unknown keys; operators edit venue files
// by hand and need both. This parser builds a tree with line numbers, which the loader
// uses to reject unknown keys, to place decoding errors and validation issues on a line,
// and which the writer prints in a stable, readable layout. RFC 8259 grammar.

/// A parsed JSON value with the line (1-based) where it starts.
indirect enum JSONNode {
    case object([Member], line: Int)
    case array([JSONNode], line: Int)
    case string(String, line: Int)
    /// The number's text as written, so printing does not change it.
    case number(String, line: Int)
    case bool(Bool, line: Int)
    case null(line: Int)

    struct Member {
        var key: String
        var line: Int
        var value: JSONNode
    }

    var line: Int {
        switch self {
        case .object(_, let line), .array(_, let line), .string(_, let line), .number(_, let line),
            .bool(_, let line), .null(let line):
            return line
        }
    }
}

/// A syntax error with its position (1-based line and column).
struct JSONSyntaxError: Error {
    var line: Int
    var column: Int
    var message: String
}

/// Recursive-descent parser over UTF-8 bytes.
struct JSONParser {
    private let bytes: [UInt8]
    private var index = 0
    private var line = 1
    private var lineStart = 0
    private var depth = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    static func parse(_ bytes: [UInt8]) throws(JSONSyntaxError) -> JSONNode {
        var parser = JSONParser(bytes)
        // A UTF-8 byte order mark is tolerated: some editors write one.
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { parser.index = 3 }
        let value = try parser.parseValue()
        parser.skipWhitespace()
        if parser.index < bytes.count { throw parser.error("unexpected text after the end of the document") }
        return value
    }

    private func error(_ message: String) -> JSONSyntaxError {
        JSONSyntaxError(line: line, column: index - lineStart + 1, message: message)
    }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "\n"):
                index += 1
                line += 1
                lineStart = index
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"):
                index += 1
            default:
                return
            }
        }
    }

    private mutating func parseValue() throws(JSONSyntaxError) -> JSONNode {
        skipWhitespace()
        guard index < bytes.count else { throw error("the document ends where a value was expected") }
        let startLine = line
        switch bytes[index] {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString(), line: startLine)
        case UInt8(ascii: "t"): try literal("true"); return .bool(true, line: startLine)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false, line: startLine)
        case UInt8(ascii: "n"): try literal("null"); return .null(line: startLine)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber(), line: startLine)
        default:
            throw error("expected a value (object, array, string, number, true, false or null)")
        }
    }

    private mutating func literal(_ word: String) throws(JSONSyntaxError) {
        for byte in word.utf8 {
            guard index < bytes.count, bytes[index] == byte else { throw error("expected '\(word)'") }
            index += 1
        }
    }

    private mutating func enter() throws(JSONSyntaxError) {
        depth += 1
        if depth > 200 { throw error("nested more than 200 levels deep") }
    }

    private mutating func parseObject() throws(JSONSyntaxError) -> JSONNode {
        let startLine = line
        try enter()
        defer { depth -= 1 }
        index += 1
        var members: [JSONNode.Member] = []
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
            index += 1
            return .object(members, line: startLine)
        }
        while true {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else {
                throw error("expected a key in double quotes")
            }
            let keyLine = line
            let key = try parseString()
            if members.contains(where: { $0.key == key }) {
                throw JSONSyntaxError(line: keyLine, column: 1, message: "the key \"\(key)\" appears twice in this object")
            }
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw error("expected ':' after the key") }
            index += 1
            let value = try parseValue()
            members.append(.init(key: key, line: keyLine, value: value))
            skipWhitespace()
            guard index < bytes.count else { throw error("the document ends inside an object (missing '}')") }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
                continue
            }
            if bytes[index] == UInt8(ascii: "}") {
                index += 1
                return .object(members, line: startLine)
            }
            throw error("expected ',' or '}' after a member (a missing comma?)")
        }
    }

    private mutating func parseArray() throws(JSONSyntaxError) -> JSONNode {
        let startLine = line
        try enter()
        defer { depth -= 1 }
        index += 1
        var elements: [JSONNode] = []
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
            index += 1
            return .array(elements, line: startLine)
        }
        while true {
            elements.append(try parseValue())
            skipWhitespace()
            guard index < bytes.count else { throw error("the document ends inside an array (missing ']')") }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
                continue
            }
            if bytes[index] == UInt8(ascii: "]") {
                index += 1
                return .array(elements, line: startLine)
            }
            throw error("expected ',' or ']' after an element (a missing comma?)")
        }
    }

    private mutating func parseString() throws(JSONSyntaxError) -> String {
        index += 1  // opening quote
        var out: [UInt8] = []
        while true {
            guard index < bytes.count else { throw error("the document ends inside a string (missing '\"')") }
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                index += 1
                return String(decoding: out, as: UTF8.self)
            }
            if byte < 0x20 { throw error("control character inside a string (a missing '\"'?)") }
            if byte != UInt8(ascii: "\\") {
                out.append(byte)
                index += 1
                continue
            }
            index += 1
            guard index < bytes.count else { throw error("the document ends inside an escape") }
            let escaped = bytes[index]
            index += 1
            switch escaped {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(escaped)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hex4()
                if (0xD800..<0xDC00).contains(scalar), index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"),
                    bytes[index + 1] == UInt8(ascii: "u")
                {
                    index += 2
                    let low = try hex4()
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                }
                out.append(contentsOf: Array(String(Character(Unicode.Scalar(scalar) ?? "\u{FFFD}")).utf8))
            default:
                throw error("unknown escape '\\\(Character(Unicode.Scalar(escaped)))'")
            }
        }
    }

    private mutating func hex4() throws(JSONSyntaxError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard index < bytes.count, let digit = hexValue(bytes[index]) else { throw error("expected 4 hex digits after \\u") }
            value = value << 4 | digit
            index += 1
        }
        return value
    }

    private func hexValue(_ byte: UInt8) -> UInt32? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return UInt32(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return UInt32(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return UInt32(byte - UInt8(ascii: "A") + 10)
        default: return nil
        }
    }

    private mutating func parseNumber() throws(JSONSyntaxError) -> String {
        let start = index
        func digits(_ parser: inout JSONParser) -> Int {
            var count = 0
            while parser.index < parser.bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(parser.bytes[parser.index]) {
                parser.index += 1
                count += 1
            }
            return count
        }
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard digits(&self) > 0 else { throw error("expected digits in a number") }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard digits(&self) > 0 else { throw error("expected digits after the decimal point") }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard digits(&self) > 0 else { throw error("expected digits in the exponent") }
        }
        return String(decoding: bytes[start..<index], as: UTF8.self)
    }
}

// MARK: - Paths and lines

extension JSONNode {
    /// Line of every value by its path (`""` for the root, `zones[3].polygon`); for object
    /// members, the line of the key.
    func lineTable() -> [String: Int] {
        var table: [String: Int] = [:]
        func walk(_ node: JSONNode, _ path: String, _ line: Int) {
            table[path] = line
            switch node {
            case .object(let members, _):
                for member in members {
                    walk(member.value, path.isEmpty ? member.key : path + "." + member.key, member.line)
                }
            case .array(let elements, _):
                for (i, element) in elements.enumerated() { walk(element, path + "[\(i)]", element.line) }
            default:
                break
            }
        }
        walk(self, "", line)
        return table
    }
}

// MARK: - Writing

extension JSONNode {
    /// Pretty text: two-space indent, members in `order` (unlisted ones after, sorted),
    /// short flat objects and arrays of numbers (points, polygons) on one line.
    func printed(order: (String) -> [String]) -> String {
        var out = ""
        write(into: &out, indent: 0, path: "", order: order)
        out += "\n"
        return out
    }

    private var isNumberArray: Bool {
        if case .array(let elements, _) = self {
            return elements.allSatisfy { if case .number = $0 { return true } else { return false } }
        }
        return false
    }

    private var isFlat: Bool {
        switch self {
        case .object(let members, _):
            return members.allSatisfy { $0.value.isScalar || $0.value.isNumberArray }
        case .array(let elements, _):
            return elements.allSatisfy { $0.isScalar || $0.isNumberArray }
        default:
            return true
        }
    }

    private var isScalar: Bool {
        switch self {
        case .object, .array: return false
        default: return true
        }
    }

    private func sortedMembers(_ members: [Member], path: String, order: (String) -> [String]) -> [Member] {
        let preferred = order(path)
        return members.sorted { a, b in
            let ia = preferred.firstIndex(of: a.key) ?? Int.max
            let ib = preferred.firstIndex(of: b.key) ?? Int.max
            return ia != ib ? ia < ib : a.key < b.key
        }
    }

    private func inline(path: String, order: (String) -> [String]) -> String {
        switch self {
        case .object(let members, _):
            if members.isEmpty { return "{}" }
            let parts = sortedMembers(members, path: path, order: order).map {
                "\(jsonQuoted($0.key)): \($0.value.inline(path: path + "." + $0.key, order: order))"
            }
            return "{ " + parts.joined(separator: ", ") + " }"
        case .array(let elements, _):
            return "[" + elements.map { $0.inline(path: path + "[]", order: order) }.joined(separator: ", ") + "]"
        case .string(let s, _): return jsonQuoted(s)
        case .number(let n, _): return n
        case .bool(let b, _): return b ? "true" : "false"
        case .null: return "null"
        }
    }

    private func write(into out: inout String, indent: Int, path: String, order: (String) -> [String]) {
        let pad = String(repeating: "  ", count: indent + 1)
        let closePad = String(repeating: "  ", count: indent)
        switch self {
        case .object(let members, _):
            let oneLine = inline(path: path, order: order)
            if members.isEmpty || (isFlat && oneLine.count + indent * 2 <= 100) {
                out += oneLine
                return
            }
            out += "{\n"
            for (i, member) in sortedMembers(members, path: path, order: order).enumerated() {
                out += pad + jsonQuoted(member.key) + ": "
                member.value.write(into: &out, indent: indent + 1, path: path + "." + member.key, order: order)
                out += i == members.count - 1 ? "\n" : ",\n"
            }
            out += closePad + "}"
        case .array(let elements, _):
            // Points and polygons stay on one line however long: one zone, one line.
            if elements.isEmpty || isNumberArray || elements.allSatisfy(\.isNumberArray) {
                out += inline(path: path, order: order)
                return
            }
            out += "[\n"
            for (i, element) in elements.enumerated() {
                out += pad
                element.write(into: &out, indent: indent + 1, path: path + "[]", order: order)
                out += i == elements.count - 1 ? "\n" : ",\n"
            }
            out += closePad + "]"
        default:
            out += inline(path: path, order: order)
        }
    }
}

/// A JSON string literal (quotes included) per RFC 8259 §7: quote, backslash and control
/// characters escaped, everything else passed through as UTF-8.
///
/// Public because every JSON MallGate writes by hand (venue files, `parse` and `locate`
/// lines) must escape the same way.
public func jsonQuoted(_ s: String) -> String {
    var out = "\""
    for scalar in s.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        default:
            if scalar.value < 0x20 {
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
    }
    return out + "\""
}
