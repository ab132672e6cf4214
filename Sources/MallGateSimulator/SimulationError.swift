#if canImport(Glibc)
internal import Glibc
#endif

/// Why a simulation could not run or write its output, with what to do about it.
public struct SimulationError: Error, CustomStringConvertible, Sendable {
    enum Kind: Sendable {
        case cannotWrite(path: String, errno: Int32)
        case cannotCreateDirectory(path: String, errno: Int32)
        case unusableVenue(String)
        case badConfiguration(String)
    }
    let kind: Kind
    init(_ kind: Kind) { self.kind = kind }

    public var description: String {
        switch kind {
        case .cannotWrite(let path, let code):
            return "cannot write \(path): \(String(cString: strerror(code))); check the directory exists, is writable and the disk has space"
        case .cannotCreateDirectory(let path, let code):
            return "cannot create output directory \(path): \(String(cString: strerror(code)))"
        case .unusableVenue(let why):
            return "the venue cannot be simulated: \(why); run 'mallgate venue validate' on it"
        case .badConfiguration(let why):
            return "bad simulation settings: \(why)"
        }
    }
}
