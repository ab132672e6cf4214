import Glibc

/// The package root, found from this file: Tests/MallGateConformanceTests/Support.swift.
let packageRoot: String = {
    var parts = String(#filePath).split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast(3)
    return parts.joined(separator: "/")
}()

let expectationsDirectory = packageRoot + "/Tests/MallGateConformanceTests/Expectations"
let sharedCaptures = packageRoot + "/../shared/captures"
let capturesPresent = access(sharedCaptures, R_OK) == 0

func readText(_ path: String) -> String? {
    guard let file = fopen(path, "rb") else { return nil }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = fread(&buffer, 1, buffer.count, file)
        if n <= 0 { break }
        bytes += buffer[0..<n]
    }
    return String(decoding: bytes, as: UTF8.self)
}

func listDirectory(_ path: String) -> [String] {
    guard let dir = opendir(path) else { return [] }
    defer { closedir(dir) }
    var names: [String] = []
    while let entry = readdir(dir) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
            String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
        }
        if name != "." && name != ".." { names.append(name) }
    }
    return names.sorted()
}

/// Runs a shell command line; returns its exit status and what it wrote to stdout (stderr too if `mergeStderr`).
func shell(_ command: String, mergeStderr: Bool = false) -> (status: Int32, output: String) {
    guard let pipe = popen(mergeStderr ? "(\(command)) 2>&1" : command, "r") else { return (-1, "") }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = fread(&buffer, 1, buffer.count, pipe)
        if n <= 0 { break }
        bytes += buffer[0..<n]
    }
    let status = pclose(pipe)
    // pclose returns a wait(2) status: the exit code is in bits 8–15.
    return ((status >> 8) & 0xFF, String(decoding: bytes, as: UTF8.self))
}

/// The `mallgate` executable `swift test` built next to the test bundle.
let mallgateBinary: String = {
    var buffer = [CChar](repeating: 0, count: 4096)
    let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
    let path = String(decoding: buffer.prefix(max(0, n)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    var parts = path.split(separator: "/", omittingEmptySubsequences: false)
    // …/.build/debug/MallGatePackageTests.xctest (a file on Linux)
    parts.removeLast()
    return parts.joined(separator: "/") + "/mallgate"
}()

/// Quotes a path for /bin/sh.
func sh(_ path: String) -> String { "'" + path.replacingOccurrences("'", "'\\''") + "'" }

extension String {
    func replacingOccurrences(_ target: Character, _ replacement: String) -> String {
        var out = ""
        for ch in self { if ch == target { out += replacement } else { out.append(ch) } }
        return out
    }
}
