public import MallGateWire

/// Bearer tokens for gateways: 32 random bytes, shown once, stored only as SHA-256.
///
/// A plain SHA-256 is enough (no slow password hash): the token is 256 bits of randomness, so
/// there is nothing to brute-force, and the per-request lookup stays cheap.
public enum GatewayToken {
    /// A new token, `mgt_` + 64 hex digits.
    public static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return "mgt_" + ContentHash.hex(bytes)
    }

    /// The stored form of a token.
    public static func hash(_ token: String) -> String {
        ContentHash.hex(ContentHash.sha256(Array(token.utf8)))
    }
}
