internal import MallGateSystem
internal import FoundationEssentials
internal import Glibc

/// Reads and writes venue files (JSON, docs/venue-format.md).
///
/// Stricter than a plain `JSONDecoder`: unknown keys are refused (a misspelt optional key
/// would otherwise be silently ignored), every error names the file, the line and the key
/// path, and files written by ``encode(_:)`` read back identical.
public enum VenueFile {
    /// Loads and decodes a venue file.
    /// - Throws: ``VenueError`` naming the file, line and key path of the problem.
    public static func load(path: String) throws(VenueError) -> Venue {
        try loadDocument(path: path).venue
    }

    /// Loads a venue file with its ``SourceLocator``, so validation issues can name lines.
    public static func loadDocument(path: String) throws(VenueError) -> VenueDocument {
        try decodeDocument(try readFile(path), fileName: path)
    }

    /// Decodes venue JSON text; `fileName` is only used in messages.
    public static func decode(_ text: String, fileName: String = "<venue>") throws(VenueError) -> Venue {
        try decodeDocument(Array(text.utf8), fileName: fileName).venue
    }

    /// Decodes venue JSON bytes; `fileName` is only used in messages.
    public static func decode(_ bytes: [UInt8], fileName: String = "<venue>") throws(VenueError) -> Venue {
        try decodeDocument(bytes, fileName: fileName).venue
    }

    /// Decodes venue JSON bytes, keeping where each key was found.
    public static func decodeDocument(_ bytes: [UInt8], fileName: String = "<venue>") throws(VenueError) -> VenueDocument {
        let tree: JSONNode
        do {
            tree = try JSONParser.parse(bytes)
        } catch {
            throw VenueError(.syntax, file: fileName, line: error.line, column: error.column, message: error.message)
        }
        let locator = SourceLocator(fileName: fileName, lines: tree.lineTable())

        guard case .object(let members, _) = tree else {
            throw VenueError(.schema, file: fileName, line: tree.line, message: "a venue file is a JSON object ({ … })")
        }
        guard let version = members.first(where: { $0.key == "formatVersion" }) else {
            throw VenueError(
                .schema, file: fileName, line: 1,
                message: "missing \"formatVersion\": add \"formatVersion\": \(Venue.currentFormatVersion) at the top")
        }
        guard case .number(let text, _) = version.value, text == String(Venue.currentFormatVersion) else {
            throw VenueError(
                .version, file: fileName, line: version.line, path: "formatVersion",
                message:
                    "this MallGate reads format version \(Venue.currentFormatVersion) only; the file says \(version.value.summary): "
                    + "convert the file or use the MallGate release that wrote it")
        }
        try checkKeys(tree, path: "", schemaPath: "", locator: locator)

        let venue: Venue
        do {
            venue = try JSONDecoder().decode(Venue.self, from: Data(bytes))
        } catch let error as DecodingError {
            throw VenueError(decoding: error, locator: locator)
        } catch {
            throw VenueError(.schema, file: fileName, message: "\(error)")
        }
        return VenueDocument(venue: venue, locator: locator)
    }

    /// The venue as JSON text: keys in documented order, two-space indent, points and
    /// polygons on one line. Stable: encoding a decoded file gives the same text.
    public static func encode(_ venue: Venue) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding plain value types into JSON cannot fail (no infinite numbers in a valid venue;
        // non-finite ones are written as strings so the text stays JSON).
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        let data = (try? encoder.encode(venue)) ?? Data("{}".utf8)
        guard let tree = try? JSONParser.parse(Array(data)) else { return String(decoding: data, as: UTF8.self) }
        return tree.printed(order: { VenueSchema.keys[$0] ?? [] })
    }

    /// Writes ``encode(_:)`` to `path`, replacing the file.
    public static func write(_ venue: Venue, to path: String) throws(VenueError) {
        try writeFile(path, Array(encode(venue).utf8))
    }

    /// Refuses keys the schema does not list, naming the line and the keys allowed there.
    private static func checkKeys(_ node: JSONNode, path: String, schemaPath: String, locator: SourceLocator) throws(VenueError) {
        switch node {
        case .object(let members, _):
            guard let allowed = VenueSchema.keys[schemaPath] else { return }
            for member in members {
                let memberPath = path.isEmpty ? member.key : path + "." + member.key
                guard allowed.contains(member.key) else {
                    let suggestion = allowed.first { $0.lowercased() == member.key.lowercased() }
                    throw VenueError(
                        .unknownKey, file: locator.fileName, line: member.line, path: memberPath,
                        message: "unknown key \"\(member.key)\""
                            + (suggestion.map { " (did you mean \"\($0)\"?)" } ?? "")
                            + "; allowed here: " + allowed.joined(separator: ", "))
                }
                try checkKeys(member.value, path: memberPath, schemaPath: schemaPath + "." + member.key, locator: locator)
            }
        case .array(let elements, _):
            for (i, element) in elements.enumerated() {
                try checkKeys(element, path: path + "[\(i)]", schemaPath: schemaPath + "[]", locator: locator)
            }
        default:
            break
        }
    }
}

/// A decoded venue with where its keys were in the file.
public struct VenueDocument: Sendable {
    public var venue: Venue
    public var locator: SourceLocator
}

/// Maps key paths (`zones[3].polygon`) to lines of the file they were read from.
public struct SourceLocator: Sendable {
    public var fileName: String
    let lines: [String: Int]

    public init(fileName: String) {
        self.fileName = fileName
        self.lines = [:]
    }

    init(fileName: String, lines: [String: Int]) {
        self.fileName = fileName
        self.lines = lines
    }

    /// The line of `path`, or of its nearest enclosing value that was in the file.
    public func line(for path: String) -> Int? {
        var path = path
        while true {
            if let line = lines[path] { return line }
            guard let cut = path.lastIndex(where: { $0 == "." || $0 == "[" }) else { return lines[""] }
            path = String(path[..<cut])
        }
    }
}

/// The keys each object of the format takes, in the order files are written; keyed by
/// the path with array indices dropped (`.zones[]`).
enum VenueSchema {
    static let keys: [String: [String]] = [
        "": ["formatVersion", "id", "name", "origin", "radio", "floors", "zones", "connections", "sensors"],
        ".origin": ["latitude", "longitude", "bearing"],
        ".floors[]": ["id", "index", "name", "elevation", "outline"],
        ".zones[]": ["id", "kind", "floor", "name", "category", "polygon"],
        ".connections[]": ["kind", "from", "to", "at", "width", "travelSeconds"],
        ".sensors[]": ["id", "floor", "position", "height", "channels", "input", "rssiOffset"],
        ".sensors[].channels": ["fixed", "hop", "dwellMs"],
        ".sensors[].input": ["interface", "tzsp", "file", "stream"],
        ".sensors[].input.tzsp": ["port", "sender"],
        ".radio": [
            "referencePowerDBm", "pathLossExponent", "shopfrontLossDB", "wallLossDB", "floorLossDB",
            "shadowingSigmaDB", "sensitivityDBm",
        ],
    ]
}

extension JSONNode {
    /// A short rendering for messages.
    var summary: String {
        switch self {
        case .object: return "an object"
        case .array: return "an array"
        case .string(let s, _): return jsonQuoted(s)
        case .number(let n, _): return n
        case .bool(let b, _): return b ? "true" : "false"
        case .null: return "null"
        }
    }
}

/// A venue file that cannot be read, parsed, or decoded; or an import that failed.
///
/// Its description reads `file:line:column: path: message`, the shape editors and CI
/// logs turn into links.
public struct VenueError: Error, CustomStringConvertible, Sendable {
    enum Kind: Sendable {
        case io, syntax, schema, version, unknownKey, decoding, imdf
    }
    let kind: Kind
    /// The file the problem is in.
    public let file: String
    /// 1-based line, when known.
    public let line: Int?
    /// 1-based column, for syntax errors.
    public let column: Int?
    /// The key path (`zones[3].polygon`), when the problem is in a value.
    public let path: String?
    /// What is wrong and what to do.
    public let message: String

    init(_ kind: Kind, file: String, line: Int? = nil, column: Int? = nil, path: String? = nil, message: String) {
        self.kind = kind
        self.file = file
        self.line = line
        self.column = column
        self.path = path
        self.message = message
    }

    init(decoding error: DecodingError, locator: SourceLocator) {
        func pathString(_ keys: [any CodingKey]) -> String {
            var out = ""
            for key in keys {
                if let i = key.intValue {
                    out += "[\(i)]"
                } else {
                    out += out.isEmpty ? key.stringValue : "." + key.stringValue
                }
            }
            return out
        }
        let path: String
        let message: String
        switch error {
        case .keyNotFound(let key, let context):
            let parent = pathString(context.codingPath)
            path = parent
            message = "missing key \"\(key.stringValue)\"" + (parent.isEmpty ? "" : " in \(parent)")
        case .typeMismatch(let type, let context):
            path = pathString(context.codingPath)
            message = "expected \(VenueError.describe(type)) here"
        case .valueNotFound(let type, let context):
            path = pathString(context.codingPath)
            message = "expected \(VenueError.describe(type)), found null"
        case .dataCorrupted(let context):
            path = pathString(context.codingPath)
            if path.hasSuffix(".kind"), path.hasPrefix("zones") {
                message = "unknown zone kind; use one of: " + ZoneKind.allCases.map(\.rawValue).joined(separator: ", ")
            } else if path.hasSuffix(".kind"), path.hasPrefix("connections") {
                message = "unknown connection kind; use one of: door, open, vertical"
            } else {
                message = context.debugDescription
            }
        @unknown default:
            path = ""
            message = "\(error)"
        }
        self.init(.decoding, file: locator.fileName, line: locator.line(for: path), path: path.isEmpty ? nil : path, message: message)
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Int.Type: return "a whole number"
        case is Double.Type: return "a number"
        case is Bool.Type: return "true or false"
        case is [Any].Type, is Polygon.Type, is Point.Type: return "an array"
        default: return "\(type)".hasPrefix("Array") ? "an array" : "an object"
        }
    }

    public var description: String {
        var out = file
        if let line { out += ":\(line)" }
        if let column { out += ":\(column)" }
        out += ": "
        if let path { out += path + ": " }
        return out + message
    }
}

// MARK: - Files

/// The whole file, or an error saying which file and why (errno text).
func readFile(_ path: String) throws(VenueError) -> [UInt8] {
    do {
        return try WholeFile.read(path)
    } catch {
        throw VenueError(.io, file: path, message: "cannot \(error.step.rawValue): \(error.reason)")
    }
}

/// Writes `bytes` to `path` (created or truncated, mode 0644).
func writeFile(_ path: String, _ bytes: [UInt8]) throws(VenueError) {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    guard fd >= 0 else {
        throw VenueError(.io, file: path, message: "cannot create: \(String(cString: strerror(errno)))")
    }
    defer { close(fd) }
    var offset = 0
    while offset < bytes.count {
        let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
        if n < 0 {
            if errno == EINTR { continue }
            throw VenueError(.io, file: path, message: "cannot write: \(String(cString: strerror(errno)))")
        }
        offset += n
    }
}
