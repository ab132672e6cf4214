import Glibc
import MallGateTestSupport

let expectationsDirectory = packageRoot + "/Tests/MallGateConformanceTests/Expectations"
let sharedCaptures = packageRoot + "/../shared/captures"
let capturesPresent = access(sharedCaptures, R_OK) == 0

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

