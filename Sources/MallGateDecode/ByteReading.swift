// Bounds-checked little/big-endian reads over a frame view.
//
// Every read of frame bytes in this module goes through these helpers, so an
// out-of-range offset yields nil instead of a trap. Reads copy into a local via
// `loadUnaligned`, which is valid at any alignment.

extension UnsafeRawBufferPointer {
    /// Whether `length` bytes starting at `offset` lie inside the buffer.
    @inline(__always)
    func has(_ length: Int, at offset: Int) -> Bool {
        // offset and length are non-negative and both ≤ Int.max / 2 in practice
        // (frame sizes), but compare without adding to rule out overflow.
        offset >= 0 && length >= 0 && offset <= count && length <= count - offset
    }

    @inline(__always)
    func u8(_ offset: Int) -> UInt8? {
        has(1, at: offset) ? loadUnaligned(fromByteOffset: offset, as: UInt8.self) : nil
    }

    @inline(__always)
    func i8(_ offset: Int) -> Int8? {
        has(1, at: offset) ? loadUnaligned(fromByteOffset: offset, as: Int8.self) : nil
    }

    @inline(__always)
    func le16(_ offset: Int) -> UInt16? {
        has(2, at: offset) ? UInt16(littleEndian: loadUnaligned(fromByteOffset: offset, as: UInt16.self)) : nil
    }

    @inline(__always)
    func le32(_ offset: Int) -> UInt32? {
        has(4, at: offset) ? UInt32(littleEndian: loadUnaligned(fromByteOffset: offset, as: UInt32.self)) : nil
    }

    @inline(__always)
    func le64(_ offset: Int) -> UInt64? {
        has(8, at: offset) ? UInt64(littleEndian: loadUnaligned(fromByteOffset: offset, as: UInt64.self)) : nil
    }

    @inline(__always)
    func be16(_ offset: Int) -> UInt16? {
        has(2, at: offset) ? UInt16(bigEndian: loadUnaligned(fromByteOffset: offset, as: UInt16.self)) : nil
    }

    @inline(__always)
    func be32(_ offset: Int) -> UInt32? {
        has(4, at: offset) ? UInt32(bigEndian: loadUnaligned(fromByteOffset: offset, as: UInt32.self)) : nil
    }

    /// A 48-bit MAC address stored in network order at `offset`.
    @inline(__always)
    func mac(_ offset: Int) -> MACAddress? {
        guard has(6, at: offset) else { return nil }
        let hi = UInt64(UInt16(bigEndian: loadUnaligned(fromByteOffset: offset, as: UInt16.self)))
        let lo = UInt64(UInt32(bigEndian: loadUnaligned(fromByteOffset: offset + 2, as: UInt32.self)))
        return MACAddress(rawValue: hi << 32 | lo)
    }

    /// The bytes `offset ..< offset + length`, or nil when they are not all inside.
    @inline(__always)
    func slice(_ offset: Int, _ length: Int) -> UnsafeRawBufferPointer? {
        guard has(length, at: offset) else { return nil }
        return UnsafeRawBufferPointer(rebasing: self[offset ..< offset + length])
    }

    /// The bytes from `offset` to the end (empty when `offset` is at or past the end).
    @inline(__always)
    func suffix(from offset: Int) -> UnsafeRawBufferPointer {
        guard offset >= 0, offset < count else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(rebasing: self[offset...])
    }

    /// Up to 8 bytes at `offset` as a little-endian word, zero-padded past `offset + length`.
    @inline(__always)
    func lePartialWord(_ offset: Int, _ length: Int) -> UInt64 {
        var word: UInt64 = 0
        var i = 0
        while i < length && i < 8 {
            guard let byte = u8(offset + i) else { break }
            word |= UInt64(byte) << (UInt64(i) * 8)
            i += 1
        }
        return word
    }
}

/// Rounds `offset` up to a multiple of `alignment` (a power of two).
@inline(__always)
func aligned(_ offset: Int, _ alignment: Int) -> Int {
    // offset ≤ 65535 (a radiotap length) and alignment ≤ 8, so no overflow.
    (offset &+ alignment &- 1) & ~(alignment &- 1)
}
