/// Remembers the parsed summary of the element lists a decoder saw recently, so a phone's
/// repeated scans are not parsed and hashed again.
///
/// A phone sends the same capability elements scan after scan; only SSID (0) and DS Parameter
/// Set (3) change. Everything in ``ProbeRequestElements`` but those two (and their share of
/// the element count) is a function of the byte string S of ``IEFingerprint``: the raw bytes of
/// every other element, in order. A cached list has the shape the standard prescribes (IEEE
/// 802.11-2020 9.3.3.9): SSID first, then elements with at most one DS Parameter Set among
/// them; a slot holds the bytes after the SSID — S plus where the DS element sat — and
/// `ProbeRequestElements(parsing: S)`. A frame uses a slot only when its bytes after the SSID
/// are **byte-for-byte equal** to the slot's (the DS body aside), so no TLV walk is needed on
/// a hit, and a crafted collision of the slot key can never lend one device's fields to
/// another. Other lists are parsed afresh. The result always equals a fresh parse of the whole
/// list (tested frame by frame on every capture, and by the fuzzer).
struct ElementSummaryCache: Sendable {
    /// Allocated on first use; replaced (not shared) when a copied decoder writes to it.
    private var storage: Storage?
    /// Parse every list afresh (the reference path for tests and the fuzzer).
    var isDisabled = false

    init() {}

    /// Replaces `elements` with what the element list `bytes` says; the same result as
    /// ``ProbeRequestElements/parse(_:)``.
    @inline(__always)
    mutating func parse(_ bytes: UnsafeRawBufferPointer, into elements: inout ProbeRequestElements) {
        let count = bytes.count
        guard !isDisabled, let base = bytes.baseAddress, count >= 2, base.load(as: UInt8.self) == ElementID.ssid else {
            elements.parse(bytes)
            return
        }
        let ssidLength = Int(base.load(fromByteOffset: 1, as: UInt8.self))
        let ssidEnd = 2 + ssidLength  // ≤ 257
        guard ssidEnd <= count else {
            elements.parse(bytes)
            return
        }
        if !isKnownUniquelyReferenced(&storage) { storage = Storage() }
        let table = storage.unsafelyUnwrapped
        let rest = base + ssidEnd
        let restCount = count - ssidEnd
        let slot = Self.slot(rest, restCount: restCount, listEnd: base + count, listCount: count)
        let stored = table.bytes + slot &* Storage.maxBytes  // slot < slotCount: inside the allocation
        var shape = table.shapes[slot]
        if !(shape.restCount == restCount && shape.matches(rest, stored)) {
            guard let found = Shape(walking: rest, count: restCount) else {
                elements.parse(bytes)
                return
            }
            shape = found
            shape.copyS(rest, to: stored)
            table.shapes[slot] = shape
            table.summaries[slot].parse(UnsafeRawBufferPointer(start: stored, count: shape.sCount))
        }
        elements = table.summaries[slot]
        elements.ssid = SSID(truncating: UnsafeRawBufferPointer(start: base + 2, count: ssidLength))
        if shape.dsLength >= 0 {
            // The DS element lies inside the list: run0 + 2 + dsLength ≤ restCount (Shape's invariant).
            elements.dsChannel = shape.dsLength >= 1 ? rest.load(fromByteOffset: shape.run0 + 2, as: UInt8.self) : nil
            elements.elementCount &+= 2  // modulo 2¹⁶ like the count of a fresh parse
        } else {
            elements.elementCount &+= 1  // modulo 2¹⁶ like the count of a fresh parse
        }
        if ssidLength > SSID.maxLength { elements.hasMalformedElements = true }
    }

    /// The slot for a list: a mix of the length after the SSID and two words of the list. Only
    /// the hit rate depends on it (a slot is used only after ``Shape/matches(_:_:)``).
    @inline(__always)
    static func slot(_ rest: UnsafeRawPointer, restCount: Int, listEnd: UnsafeRawPointer, listCount: Int) -> Int {
        var key = UInt64(restCount)
        if restCount >= 8 { key ^= rest.loadUnaligned(as: UInt64.self) &* 0x9E37_79B1_85EB_CA87 }
        if listCount >= 8 { key ^= (listEnd - 8).loadUnaligned(as: UInt64.self) &* 0xC2B2_AE3D_27D4_EB4F }
        // Wrapping multiplies: a hash mix; the top 6 bits index 64 slots.
        return Int(truncatingIfNeeded: (key &* 0x1656_67B1_9E37_79F9) >> 58)
    }

    /// Where S sits in the bytes after the SSID: `run0` bytes of elements, then optionally one
    /// DS Parameter Set element, then the other elements to the end.
    struct Shape {
        /// Bytes after the SSID; -1 for an empty slot (no list matches it).
        var restCount = -1
        /// Bytes of elements before the DS element (all of them without one).
        var run0 = 0
        /// The DS element's body length, or -1 without one.
        var dsLength = -1

        /// Length of S.
        var sCount: Int { dsLength < 0 ? restCount : restCount - 2 - dsLength }

        init() {}

        /// Walks the elements after the SSID; nil if they run past the end, include another
        /// SSID or more than one DS element, or S is longer than a slot holds.
        init?(walking rest: UnsafeRawPointer, count: Int) {
            var offset = 0
            run0 = count
            while offset < count {
                guard count - offset >= 2 else { return nil }
                let id = rest.load(fromByteOffset: offset, as: UInt8.self)
                let length = Int(rest.load(fromByteOffset: offset + 1, as: UInt8.self))
                guard length <= count - offset - 2, id != ElementID.ssid else { return nil }
                if id == ElementID.dsParameterSet {
                    guard dsLength < 0 else { return nil }
                    run0 = offset
                    dsLength = length
                }
                offset += 2 + length  // ≤ count
            }
            restCount = count
            guard sCount <= Storage.maxBytes else { return nil }
        }

        /// Whether the `restCount` bytes at `rest` have this shape with this slot's S (`stored`).
        /// The caller has checked that the list has `restCount` bytes after its SSID.
        @inline(__always)
        func matches(_ rest: UnsafeRawPointer, _ stored: UnsafeRawPointer) -> Bool {
            if dsLength < 0 { return Self.equal(rest, stored, restCount) }
            let after = run0 + 2 + dsLength  // ≤ restCount
            return Self.equal(rest, stored, run0)
                && rest.load(fromByteOffset: run0, as: UInt8.self) == ElementID.dsParameterSet
                && Int(rest.load(fromByteOffset: run0 + 1, as: UInt8.self)) == dsLength
                && Self.equal(rest + after, stored + run0, restCount - after)
        }

        /// Copies S (the bytes after the SSID without the DS element) to `stored`.
        func copyS(_ rest: UnsafeRawPointer, to stored: UnsafeMutableRawPointer) {
            if dsLength < 0 {
                stored.copyMemory(from: rest, byteCount: restCount)
            } else {
                let after = run0 + 2 + dsLength
                stored.copyMemory(from: rest, byteCount: run0)
                (stored + run0).copyMemory(from: rest + after, byteCount: restCount - after)
            }
        }

        /// Whether `n` bytes at `a` and `b` are equal: 8-byte compares, two per step, the last
        /// word overlapping (byte compares for runs under 8 bytes).
        @inline(__always)
        static func equal(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ n: Int) -> Bool {
            @inline(__always) func word(_ p: UnsafeRawPointer, _ at: Int) -> UInt64 {
                p.loadUnaligned(fromByteOffset: at, as: UInt64.self)
            }
            if n >= 8 {
                var diff = (word(a, 0) ^ word(b, 0)) | (word(a, n &- 8) ^ word(b, n &- 8))  // n ≥ 8
                var i = 8
                while n &- i > 16 {  // 8 ≤ i < n: no overflow
                    diff |= (word(a, i) ^ word(b, i)) | (word(a, i &+ 8) ^ word(b, i &+ 8))  // i + 16 < n
                    i &+= 16
                }
                // [i, n) is at most 16 bytes; its last 8 were compared first.
                if n &- i > 8 { diff |= word(a, i) ^ word(b, i) }  // i + 8 < n
                return diff == 0
            }
            var diff: UInt8 = 0
            var i = 0
            while i < n {
                diff |= a.load(fromByteOffset: i, as: UInt8.self) ^ b.load(fromByteOffset: i, as: UInt8.self)
                i &+= 1  // i < n
            }
            return diff == 0
        }
    }

    /// The table: `slotCount` summaries with the shape and S each was parsed from.
    final class Storage: @unchecked Sendable {
        // @unchecked: only written through a uniquely referenced ElementSummaryCache (copy on write).
        static let slotCount = 64
        /// Longer S (rare: a few huge vendor elements) are parsed every time.
        static let maxBytes = 512
        let summaries: UnsafeMutablePointer<ProbeRequestElements>
        let shapes: UnsafeMutablePointer<Shape>
        let bytes: UnsafeMutableRawPointer

        init() {
            summaries = .allocate(capacity: Self.slotCount)
            summaries.initialize(repeating: ProbeRequestElements(), count: Self.slotCount)
            shapes = .allocate(capacity: Self.slotCount)
            shapes.initialize(repeating: Shape(), count: Self.slotCount)
            bytes = .allocate(byteCount: Self.slotCount * Self.maxBytes, alignment: 16)
        }

        deinit {
            summaries.deinitialize(count: Self.slotCount)
            summaries.deallocate()
            shapes.deinitialize(count: Self.slotCount)
            shapes.deallocate()
            bytes.deallocate()
        }
    }
}
