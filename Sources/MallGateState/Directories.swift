internal import Glibc

/// Creates `path` and any missing parents, like `mkdir -p`; returns errno on failure, nil on success.
///
/// The daemon's state directory and the CLI's output options (`--svg-dir`, `--out`) name
/// directories a user expects to be made for them.
public func makeDirectories(_ path: String) -> Int32? {
    var prefix = path.hasPrefix("/") ? "/" : ""
    for component in path.split(separator: "/") {
        prefix += component
        if mkdir(prefix, 0o755) != 0 && errno != EEXIST { return errno }
        prefix += "/"
    }
    return nil
}
