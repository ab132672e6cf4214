#!/usr/bin/env python3
"""Splits classic pcap files into one fuzz-corpus file per frame.

Each output file is <selector byte><frame bytes>, the selector being the index used by
Fuzz/DecodeFuzzer.swift (0 radiotap, 1 802.11, 2 PPI, 3 Prism, 4 AVS, 5 TZSP).
Usage: fuzz-seed.py CAPTURES_DIR CORPUS_DIR
"""
import hashlib, os, struct, sys

SELECTOR = {127: 0, 105: 1, 192: 2, 119: 3, 163: 4}

def frames(path):
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        return
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        endian = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        endian = ">"
    else:
        return  # pcapng and others: skipped
    linktype = struct.unpack(endian + "I", data[20:24])[0] & 0x0FFFFFFF
    if linktype not in SELECTOR:
        return
    off = 24
    while off + 16 <= len(data):
        incl = struct.unpack(endian + "I", data[off + 8:off + 12])[0]
        off += 16
        if incl > len(data) - off:
            incl = len(data) - off
        yield SELECTOR[linktype], data[off:off + incl]
        off += incl

def main():
    src, dst = sys.argv[1], sys.argv[2]
    os.makedirs(dst, exist_ok=True)
    seen = 0
    for dirpath, _, names in os.walk(src):
        for name in sorted(names):
            if not (name.endswith(".pcap") or name.endswith(".cap")):
                continue
            for selector, frame in frames(os.path.join(dirpath, name)):
                blob = bytes([selector]) + frame
                digest = hashlib.sha1(blob).hexdigest()
                with open(os.path.join(dst, digest), "wb") as out:
                    out.write(blob)
                seen += 1
    print(f"seeded {seen} frames into {dst}")

if __name__ == "__main__":
    main()
