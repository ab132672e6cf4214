/// CRC-32C (Castagnoli), the checksum at the end of every model file.
///
/// Chosen over CRC-32 for its better error detection on long messages (RFC 3720 §B.4,
/// the iSCSI CRC); check value: `crc32c("123456789") == 0xE3069283`.
public enum CRC32C {
    static let table: [UInt32] = (0..<256).map { i -> UInt32 in
        var c = UInt32(i)
        for _ in 0..<8 { c = c & 1 != 0 ? (c >> 1) ^ 0x82F6_3B78 : c >> 1 }
        return c
    }

    public static func checksum(_ bytes: some Sequence<UInt8>) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        let t = table
        for b in bytes { crc = t[Int((crc ^ UInt32(b)) & 0xFF)] ^ (crc >> 8) }
        return crc ^ 0xFFFF_FFFF
    }
}

/// The layout hash a model file records: 64-bit FNV-1a over the venue file's bytes, exactly as
/// stored (http://www.isthe.com/chongo/tech/comp/fnv/; offset basis 0xcbf29ce484222325,
/// prime 0x100000001b3).
///
/// A model trained for one layout must not silently run on an edited one (zones renamed,
/// sensors moved); any byte change changes the hash, and reformatting counts as a change,
/// which errs on the safe side. `fnv1a64("a") == 0xaf63dc4c8601ec8c`.
public enum LayoutHash {
    public static func fnv1a64(_ bytes: some Sequence<UInt8>) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        // Wrapping multiply is the algorithm (arithmetic modulo 2^64).
        for b in bytes { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
        return h
    }
}
