/// The model file (`.mgm`): a versioned, self-describing, checksummed binary a gateway loads at
/// start and the sync stage pulls from upstream.
///
/// Layout, all integers little-endian (docs/accuracy.md has the full field list):
///
///     0  "MGLM"                       magic
///     4  u16 format version (1: kNN or MLP; 2: also trees and ensembles)
///     6  u16 reserved, 0
///     8  u64 payload length P
///    16  payload: venue id, layout hash, feature spec, classes, temperature,
///                 training report, classifier (kind byte + parameters)
///  16+P  u32 CRC-32C of bytes [0, 16+P)
///
/// Strings are u32 length + UTF-8; arrays u32 count + elements. Weights are stored as they
/// run: int8 with f32 row scales for the MLP, u8 fingerprints for kNN, 5-byte pre-order nodes
/// for the trees; an ensemble holds its members one after the other.
public enum ModelFile {
    public static let magic: [UInt8] = Array("MGLM".utf8)
    /// The newest version this MallGate writes and reads. Version 2 added classifier kinds 3
    /// (trees) and 4 (ensemble); a file holding kNN or an MLP is still written as version 1,
    /// byte for byte what older MallGate wrote and reads.
    public static let formatVersion: UInt16 = 2

    static func encode(_ classifier: LocalizationModel.Classifier, into p: inout ByteWriter) {
        switch classifier {
        case .knn(let m):
            p.u8(1)
            p.u32(UInt32(m.featureCount))
            p.u32(UInt32(m.classCount))
            p.u32(UInt32(m.k))
            p.u32(UInt32(m.sampleCount))
            for l in m.labels { p.u16(l) }
            p.bytes(m.columns)
        case .mlp(let m):
            p.u8(2)
            p.u32(UInt32(m.featureCount))
            p.u32(UInt32(m.hiddenCount))
            p.u32(UInt32(m.classCount))
            p.bytes(m.w1.map { UInt8(bitPattern: $0) })
            p.rawFloats(m.s1)
            p.rawFloats(m.b1)
            p.bytes(m.w2.map { UInt8(bitPattern: $0) })
            p.rawFloats(m.s2)
            p.rawFloats(m.b2)
        case .trees(let m):
            p.u8(3)
            p.u32(UInt32(m.featureCount))
            p.u32(UInt32(m.classCount))
            p.u32(UInt32(m.treeCount))
            p.u32(UInt32(m.nodeCount))
            for r in m.roots { p.u32(r) }
            for v in m.feature { p.u16(v) }
            p.bytes(m.threshold)
            for v in m.value { p.u16(v) }
        case .ensemble(let m):
            p.u8(4)
            p.u8(UInt8(m.members.count))
            for member in m.members {
                p.f32(member.temperature)
                encode(member.classifier, into: &p)
            }
        }
    }

    /// Reads one classifier (kind byte + parameters); `nested` inside an ensemble.
    static func decodeClassifier(_ r: inout ByteReader, spec: FeatureSpec, classCount: Int, version: UInt16, source: String, nested: Bool = false) throws -> LocalizationModel.Classifier {
        func fail(_ what: String, _ offset: Int) -> ModelFileError { ModelFileError(source: source, reason: .malformed(what, offset: offset)) }
        let kindOffset = r.absolute
        let kind = try r.u8()
        if kind >= 3 && version < 2 { throw fail("classifier kind \(kind) in a version \(version) file", kindOffset) }
        switch kind {
        case 1:
            let f = Int(try r.u32()), c = Int(try r.u32()), k = Int(try r.u32()), n = Int(try r.count(each: 2))
            try check(f == spec.featureCount && c == classCount, "kNN", f, c, spec, classCount, source, r)
            let labels = try (0..<n).map { _ in try r.u16() }
            guard n >= 1, labels.allSatisfy({ Int($0) < c }), k >= 1 else { throw fail("kNN label or k out of range", r.absolute) }
            let columns = try r.bytes(f * n)
            return .knn(KNNModel(featureCount: f, classCount: c, k: k, columns: columns, labels: labels))
        case 2:
            let f = Int(try r.u32()), hidden = Int(try r.u32()), c = Int(try r.u32())
            try check(f == spec.featureCount && c == classCount, "MLP", f, c, spec, classCount, source, r)
            guard hidden >= 1 else { throw fail("MLP with no hidden units", r.absolute - 8) }
            let w1 = try r.bytes(f * hidden).map { Int8(bitPattern: $0) }
            let s1 = try r.rawFloats(f), b1 = try r.rawFloats(hidden)
            let w2 = try r.bytes(hidden * c).map { Int8(bitPattern: $0) }
            let s2 = try r.rawFloats(hidden), b2 = try r.rawFloats(c)
            return .mlp(MLPModel(featureCount: f, hiddenCount: hidden, classCount: c, w1: w1, s1: s1, b1: b1, w2: w2, s2: s2, b2: b2))
        case 3:
            let f = Int(try r.u32()), c = Int(try r.u32())
            try check(f == spec.featureCount && c == classCount, "trees", f, c, spec, classCount, source, r)
            let treeCount = try r.count(each: 4)
            let nodesOffset = r.absolute
            let nodes = try r.count(each: 5)
            guard treeCount >= 1, treeCount <= nodes, treeCount <= Int(UInt16.max) else {
                throw fail("\(treeCount) trees over \(nodes) nodes", nodesOffset)
            }
            let roots = try (0..<treeCount).map { _ in try r.u32() }
            let feature = try (0..<nodes).map { _ in try r.u16() }
            let threshold = try r.bytes(nodes)
            let value = try (0..<nodes).map { _ in try r.u16() }
            if let problem = TreeEnsembleModel.structuralProblem(featureCount: f, classCount: c, feature: feature, threshold: threshold, value: value, roots: roots) {
                throw fail("trees: \(problem)", nodesOffset)
            }
            return .trees(TreeEnsembleModel(featureCount: f, classCount: c, feature: feature, threshold: threshold, value: value, roots: roots))
        case 4 where !nested:
            let count = Int(try r.u8())
            guard count >= 1 else { throw fail("ensemble with no members", r.absolute - 1) }
            var members: [EnsembleModel.Member] = []
            for _ in 0..<count {
                let tOffset = r.absolute
                let t = try r.f32()
                guard t > 0, t.isFinite else { throw fail("ensemble member temperature \(t)", tOffset) }
                members.append(.init(classifier: try decodeClassifier(&r, spec: spec, classCount: classCount, version: version, source: source, nested: true), temperature: t))
            }
            let kinds = members.map(\.classifier.kind)
            guard LocalizationModel.Kind.allCases.contains(where: { $0.members.count > 1 && $0.members == kinds }) else {
                throw fail("ensemble of \(kinds.map(\.rawValue).joined(separator: "+")), not a kind this MallGate knows", r.absolute)
            }
            return .ensemble(EnsembleModel(members: members))
        default:
            throw fail(nested ? "classifier kind \(kind) inside an ensemble" : "unknown classifier kind \(kind)", kindOffset)
        }
    }

    /// Serializes `model`.
    public static func encode(_ model: LocalizationModel) -> [UInt8] {
        var p = ByteWriter()
        p.string(model.venueID)
        p.u64(model.layoutHash)
        let s = model.features
        p.u8(s.channels.rawValue)
        p.u8(s.statistic.rawValue)
        p.f32(s.relativeSpanDB)
        p.f32(s.absoluteFloorDBm)
        p.f32(s.absoluteCeilingDBm)
        p.strings(s.sensorNames)
        p.strings(model.classes.labelNames)
        p.u32(UInt32(model.classes.count))
        for c in model.classes.classes { for v in c { p.string(v) } }
        p.f32(model.temperature)
        let r = model.report
        p.u64(UInt64(r.sampleCount))
        p.u32(UInt32(r.classCounts.count))
        for v in r.classCounts { p.u32(UInt32(v)) }
        p.u32(UInt32(r.folds))
        p.u64(r.seed)
        p.u32(UInt32(r.candidates.count))
        for c in r.candidates {
            p.string(c.kind)
            p.floats(c.accuracy)
            p.f32(c.calibrationError)
            p.f64(c.seconds)
        }
        p.string(r.chosen)
        p.u32(UInt32(r.confusions.count))
        for c in r.confusions {
            p.u32(UInt32(c.actual))
            p.u32(UInt32(c.predicted))
            p.u32(UInt32(c.count))
        }
        p.f64(r.trainingSeconds)
        encode(model.classifier, into: &p)
        var out = ByteWriter()
        out.bytes(magic)
        out.u16(model.classifier.needsVersion2 ? formatVersion : 1)
        out.u16(0)
        out.u64(UInt64(p.data.count))
        out.bytes(p.data)
        out.u32(CRC32C.checksum(out.data))
        return out.data
    }

    /// Parses and verifies a model file.
    /// - Parameters:
    ///   - source: names the file in errors.
    ///   - venue: when given, the venue id and layout hash the model must have been trained for.
    /// - Throws: ``ModelFileError`` saying what is wrong and where.
    public static func decode(_ bytes: [UInt8], source: String = "model", venue: (id: String, layoutHash: UInt64)? = nil) throws -> LocalizationModel {
        func fail(_ r: ModelFileError.Reason) -> ModelFileError { ModelFileError(source: source, reason: r) }
        guard bytes.count >= 4, Array(bytes[0..<4]) == magic else {
            throw fail(.badMagic(Array(bytes.prefix(4))))
        }
        guard bytes.count >= 20 else { throw fail(.truncated(offset: bytes.count, needed: 20)) }
        var h = ByteReader(bytes, base: 0)
        h.offset = 4
        let version = try h.u16()
        guard version >= 1 && version <= formatVersion else { throw fail(.unsupportedVersion(version)) }
        _ = try h.u16()
        let length = try h.u64()
        guard length <= UInt64(bytes.count), 16 + Int(length) + 4 <= bytes.count else {
            throw fail(.truncated(offset: bytes.count, needed: 16 &+ Int(min(length, UInt64(Int32.max))) &+ 4))
        }
        let end = 16 + Int(length)
        guard end + 4 == bytes.count else { throw fail(.malformed("\(bytes.count - end - 4) bytes after the checksum", offset: end + 4)) }
        let stored = UInt32(bytes[end]) | UInt32(bytes[end + 1]) << 8 | UInt32(bytes[end + 2]) << 16 | UInt32(bytes[end + 3]) << 24
        let computed = CRC32C.checksum(bytes[0..<end])
        guard stored == computed else { throw fail(.checksumMismatch(stored: stored, computed: computed)) }

        var r = ByteReader(Array(bytes[16..<end]), base: 16)
        do {
            let venueID = try r.string()
            let layoutHash = try r.u64()
            if let venue, venue.id != venueID || venue.layoutHash != layoutHash {
                throw ModelFileError(source: source, reason: .venueMismatch(expected: venue.id, expectedHash: venue.layoutHash, found: venueID, foundHash: layoutHash))
            }
            let channels = FeatureSpec.Channels(rawValue: try r.u8())
            guard !channels.isEmpty, channels.rawValue & ~FeatureSpec.Channels.all.rawValue == 0 else {
                throw fail(.malformed("unknown feature channels \(channels.rawValue)", offset: r.absolute - 1))
            }
            guard let statistic = FeatureSpec.Statistic(rawValue: try r.u8()) else {
                throw fail(.malformed("unknown RSSI statistic", offset: r.absolute - 1))
            }
            let span = try r.f32(), floor = try r.f32(), ceiling = try r.f32()
            guard span > 0, span.isFinite, floor.isFinite, ceiling.isFinite, ceiling > floor else {
                throw fail(.malformed("feature scaling out of range (span \(span) dB, absolute \(floor)…\(ceiling) dBm)", offset: r.absolute - 12))
            }
            let sensors = try r.strings()
            let spec = FeatureSpec(sensorNames: sensors, channels: channels, statistic: statistic, relativeSpanDB: span,
                                   absoluteFloorDBm: floor, absoluteCeilingDBm: ceiling)
            let labelNames = try r.strings()
            let classCount = try r.count(each: 4 * labelNames.count)
            var classes: [[String]] = []
            for _ in 0..<classCount { classes.append(try (0..<labelNames.count).map { _ in try r.string() }) }
            let temperature = try r.f32()
            let sampleCount = Int(try r.u64())
            let classCounts = try (0..<r.count(each: 4)).map { _ in Int(try r.u32()) }
            let folds = Int(try r.u32())
            let seed = try r.u64()
            var candidates: [TrainingReport.Candidate] = []
            for _ in 0..<(try r.count(each: 16)) {
                candidates.append(.init(kind: try r.string(), accuracy: try r.floats(), calibrationError: try r.f32(), seconds: try r.f64()))
            }
            let chosen = try r.string()
            var confusions: [TrainingReport.Confusion] = []
            for _ in 0..<(try r.count(each: 12)) {
                confusions.append(.init(actual: Int(try r.u32()), predicted: Int(try r.u32()), count: Int(try r.u32())))
            }
            let seconds = try r.f64()
            let report = TrainingReport(sampleCount: sampleCount, classCounts: classCounts, folds: folds, seed: seed,
                                        candidates: candidates, chosen: chosen, confusions: confusions, trainingSeconds: seconds)
            let classifier = try decodeClassifier(&r, spec: spec, classCount: classCount, version: version, source: source)
            guard r.isAtEnd else { throw fail(.malformed("\(r.remaining) unread payload bytes", offset: r.absolute)) }
            guard temperature > 0, temperature.isFinite else { throw fail(.malformed("temperature \(temperature)", offset: 0)) }
            return LocalizationModel(venueID: venueID, layoutHash: layoutHash, features: spec,
                                     classes: ClassList(labelNames: labelNames, classes: classes), classifier: classifier,
                                     temperature: temperature, report: report)
        } catch let e as ByteReader.Truncated {
            throw fail(.truncated(offset: e.offset, needed: e.needed))
        }
    }

    private static func check(_ ok: Bool, _ what: String, _ f: Int, _ c: Int, _ spec: FeatureSpec, _ classes: Int, _ source: String, _ r: ByteReader) throws {
        guard ok else {
            throw ModelFileError(source: source, reason: .malformed(
                "\(what) has \(f) features and \(c) classes; the spec says \(spec.featureCount) and the class list \(classes)", offset: r.absolute))
        }
    }
}

/// Why a model file cannot be used, naming the file, the offset and what to do.
public struct ModelFileError: Error, CustomStringConvertible, Equatable {
    enum Reason: Equatable {
        case badMagic([UInt8])
        case unsupportedVersion(UInt16)
        case truncated(offset: Int, needed: Int)
        case checksumMismatch(stored: UInt32, computed: UInt32)
        case malformed(String, offset: Int)
        case venueMismatch(expected: String, expectedHash: UInt64, found: String, foundHash: UInt64)
        case io(String)
    }

    /// Stable names for the kinds of failure, for tests and logs.
    public enum Kind: String, Sendable {
        case badMagic, unsupportedVersion, truncated, checksumMismatch, malformed, venueMismatch, io
    }

    public let source: String
    let reason: Reason

    init(source: String, reason: Reason) {
        self.source = source
        self.reason = reason
    }

    public var kind: Kind {
        switch reason {
        case .badMagic: .badMagic
        case .unsupportedVersion: .unsupportedVersion
        case .truncated: .truncated
        case .checksumMismatch: .checksumMismatch
        case .malformed: .malformed
        case .venueMismatch: .venueMismatch
        case .io: .io
        }
    }

    public var description: String {
        switch reason {
        case .badMagic(let b):
            return "\(source): not a MallGate model file (starts with \(b.map { hex($0, 2) }.joined(separator: " ")), expected \"MGLM\"); train one with `mallgate train`"
        case .unsupportedVersion(let v):
            return "\(source): model format version \(v); this MallGate reads versions 1 to \(ModelFile.formatVersion). Retrain with this version or upgrade MallGate"
        case .truncated(let offset, let needed):
            return "\(source): truncated at byte \(offset) (needs \(needed)); the copy is incomplete, copy it again"
        case .checksumMismatch(let stored, let computed):
            return "\(source): checksum mismatch (stored CRC-32C \(hex(stored, 8)), computed \(hex(computed, 8))); the file is corrupted, copy it again"
        case .malformed(let what, let offset):
            return "\(source): malformed at byte \(offset): \(what)"
        case .venueMismatch(let eid, let eh, let fid, let fh):
            return "\(source): trained for venue \"\(fid)\" layout \(hex(fh, 16)), but this venue is \"\(eid)\" layout \(hex(eh, 16)); retrain for the current layout"
        case .io(let what):
            return "\(source): \(what)"
        }
    }
}

func hex<T: BinaryInteger>(_ v: T, _ width: Int) -> String {
    let s = String(v, radix: 16)
    return "0x" + String(repeating: "0", count: max(0, width - s.count)) + s
}

extension LocalizationModel.Classifier {
    /// Trees and ensembles need format version 2; kNN and MLP files stay version 1.
    var needsVersion2: Bool {
        switch self {
        case .knn, .mlp: false
        case .trees, .ensemble: true
        }
    }
}
