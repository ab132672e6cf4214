#!/usr/bin/env python3
"""Feed per-sensor pcap FIFOs at a fixed total frame rate, as live sensors would (for the CPU benchmark).

Usage:
  scripts/bench/pace-fifos.py CAPTURE_DIR FIFO_DIR --rate 500 --seconds 70

Merges the sensor captures in CAPTURE_DIR (SENSOR.pcap) by time, then writes each frame to
FIFO_DIR/SENSOR.fifo (a pcap stream: global header first) at `--rate` frames/s in total, paced in
10 ms ticks against the monotonic clock, with timestamps rewritten to the wall clock (the daemon
reads them as live capture times). Loops over the captures if they run out. python3 stdlib only.
"""
import argparse
import glob
import heapq
import os
import struct
import time


def records(path):
    with open(path, "rb") as f:
        data = f.read()
    off = 24
    while off + 16 <= len(data):
        sec, usec, incl, orig = struct.unpack_from("<IIII", data, off)
        yield sec + usec / 1e6, data[off + 16: off + 16 + incl]
        off += 16 + incl


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("captures")
    ap.add_argument("fifos")
    ap.add_argument("--rate", type=float, default=500)
    ap.add_argument("--seconds", type=float, default=70)
    a = ap.parse_args()
    paths = sorted(glob.glob(os.path.join(a.captures, "*.pcap")))
    sensors = [os.path.basename(p)[:-5] for p in paths]
    merged = list(heapq.merge(*[((t, i, d) for t, d in records(p)) for i, p in enumerate(paths)]))
    header = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 127)
    # Write each header as soon as its FIFO opens: `mallgate run` opens its sources from a task on the
    # cooperative pool (one thread per core), and the open only returns once the pcap header is read, so
    # opening all FIFOs before writing any header deadlocks with more sources than cores.
    outs = []
    for s in sensors:
        outs.append(open(os.path.join(a.fifos, s + ".fifo"), "wb", buffering=0))
        outs[-1].write(header)
    start = time.monotonic()
    sent = 0
    k = 0
    tick = 0.01
    while time.monotonic() - start < a.seconds:
        due = int((time.monotonic() - start) * a.rate)
        chunks = {}
        while sent < due:
            _, i, d = merged[k % len(merged)]
            k += 1
            now = time.time()
            sec = int(now)
            chunks.setdefault(i, []).append(struct.pack("<IIII", sec, int((now - sec) * 1e6), len(d), len(d)) + d)
            sent += 1
        for i, parts in chunks.items():
            outs[i].write(b"".join(parts))
        time.sleep(tick)
    for o in outs:
        o.close()
    print(f"{sent} frames in {time.monotonic() - start:.1f} s to {len(outs)} FIFOs")


if __name__ == "__main__":
    main()
