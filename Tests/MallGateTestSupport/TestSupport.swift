public import Glibc

/// Helpers shared by the test targets that run the `mallgate` binary and read files:
/// one copy, so a fix (quoting, exit status decoding) reaches every suite.

/// The package root, found from this file: Tests/MallGateTestSupport/TestSupport.swift.
public let packageRoot: String = {
    var parts = String(#filePath).split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast(3)
    return parts.joined(separator: "/")
}()

/// The `mallgate` executable that `swift test` builds next to the test bundle.
public let mallgateBinary: String = {
    var buffer = [CChar](repeating: 0, count: 4096)
    let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
    let path = String(decoding: buffer.prefix(max(0, n)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    var parts = path.split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast()  // …/.build/debug/MallGatePackageTests.xctest
    return parts.joined(separator: "/") + "/mallgate"
}()

/// Runs a shell command line; returns its exit status and what it wrote to stdout (and stderr if `mergeStderr`).
public func shell(_ command: String, mergeStderr: Bool = false) -> (status: Int32, output: String) {
    guard let pipe = popen(mergeStderr ? "(\(command)) 2>&1" : command, "r") else { return (-1, "") }
    let bytes = readAll(pipe)
    let status = pclose(pipe)
    // pclose returns a wait(2) status: the exit code is in bits 8–15.
    return ((status >> 8) & 0xFF, String(decoding: bytes, as: UTF8.self))
}

/// Quotes a path for /bin/sh.
public func sh(_ path: String) -> String {
    var quoted = "'"
    for ch in path { if ch == "'" { quoted += "'\\''" } else { quoted.append(ch) } }
    return quoted + "'"
}

/// A file's bytes, or nil when it cannot be opened.
public func readFile(_ path: String) -> [UInt8]? {
    guard let file = fopen(path, "rb") else { return nil }
    defer { fclose(file) }
    return readAll(file)
}

/// A file's text (UTF-8), or nil when it cannot be opened.
public func readText(_ path: String) -> String? {
    readFile(path).map { String(decoding: $0, as: UTF8.self) }
}

private func readAll(_ file: UnsafeMutablePointer<FILE>) -> [UInt8] {
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = fread(&buffer, 1, buffer.count, file)
        if n <= 0 { break }
        bytes += buffer[0..<n]
    }
    return bytes
}
