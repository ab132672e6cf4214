import Glibc

enum FileCheck {
    static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }
}
