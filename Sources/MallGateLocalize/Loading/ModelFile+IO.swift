// File I/O for the localizer, kept apart from the pure code: reading fingerprint files
// (gzip through `gzip -dc`) and reading/writing model files.
internal import Glibc

extension ModelFile {
    /// Reads and verifies a model file.
    /// - Throws: ``ModelFileError`` (with kind `.io` when the file cannot be read).
    public static func load(path: String, venue: (id: String, layoutHash: UInt64)? = nil) throws -> LocalizationModel {
        let bytes: [UInt8]
        do { bytes = try FileBytes.read(path) } catch let e as FileBytes.Failure {
            throw ModelFileError(source: path, reason: .io(e.message))
        }
        return try decode(bytes, source: path, venue: venue)
    }

    /// Writes `model` to `path` (via a temporary file renamed into place, so a reader never
    /// sees half a model).
    public static func save(_ model: LocalizationModel, to path: String) throws {
        let bytes = encode(model)
        let tmp = path + ".tmp"
        guard let f = fopen(tmp, "wb") else { throw ModelFileError(source: path, reason: .io("cannot create \(tmp): \(String(cString: strerror(errno)))")) }
        let written = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, f) }
        let closed = fclose(f)
        guard written == bytes.count, closed == 0 else {
            unlink(tmp)
            throw ModelFileError(source: path, reason: .io("write failed: \(String(cString: strerror(errno)))"))
        }
        guard rename(tmp, path) == 0 else { throw ModelFileError(source: path, reason: .io("rename failed: \(String(cString: strerror(errno)))")) }
    }
}

extension FingerprintCSV {
    /// Reads a fingerprint file (`.gz` files through `gzip -dc`) and parses it.
    /// - Throws: ``FingerprintCSVError``.
    public static func load(path: String, options: Options) throws -> FingerprintSet {
        let bytes: [UInt8]
        do { bytes = try FileBytes.read(path) } catch let e as FileBytes.Failure {
            throw FingerprintCSVError(file: path, line: 0, column: nil, message: e.message)
        }
        return try parse(bytes, file: path, options: options)
    }
}

/// Whole-file reads; gzip-compressed files are piped through `gzip -dc`.
enum FileBytes {
    struct Failure: Error {
        let message: String
    }

    static func read(_ path: String) throws -> [UInt8] {
        guard access(path, R_OK) == 0 else { throw Failure(message: "cannot read: \(String(cString: strerror(errno)))") }
        let gz = path.hasSuffix(".gz")
        let handle: UnsafeMutablePointer<FILE>?
        if gz {
            handle = popen("gzip -dc '" + path.split(separator: "'", omittingEmptySubsequences: false).joined(separator: "'\\''") + "'", "r")
        } else {
            handle = fopen(path, "rb")
        }
        guard let f = handle else { throw Failure(message: "cannot open: \(String(cString: strerror(errno)))") }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, f) }
            if n > 0 { out.append(contentsOf: chunk[0..<n]) }
            if n < chunk.count { break }
        }
        let failed = ferror(f) != 0
        let status = gz ? pclose(f) : fclose(f)
        if failed { throw Failure(message: "read error") }
        if gz && status != 0 { throw Failure(message: "gzip -dc failed (exit status \(status >> 8)); is the file a gzip archive?") }
        return out
    }
}
