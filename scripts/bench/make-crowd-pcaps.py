#!/usr/bin/env python3
"""Write one pcap per sensor of a venue with DEVICES distinct phones, all present at once, for memory benchmarks.

Usage:
  scripts/bench/make-crowd-pcaps.py VENUE.json OUTDIR --devices 100000 [--seconds 120] [--bursts 3] [--seed 1]

Every phone has its own globally administered MAC (so no pseudo-device grouping merges them), arrives
within the first `--seconds / 2` and probes `--bursts` times, 20 s apart, each burst heard by 3-5 sensors of
one floor at -85..-45 dBm. With the default 120 s and 60 s idle timeout every phone is tracked at the
same time: the peak is DEVICES devices. Files are named after the sensor ids (what `mallgate replay` wants).
Radiotap (Flags, Channel, dBm antenna signal) + a minimal probe request (SSID, rates, DS parameter set).
python3 stdlib only, deterministic per seed.
"""
import argparse
import heapq
import json
import os
import random
import struct

FREQ = {1: 2412, 6: 2437, 11: 2462}


def frame(mac, seq, rssi, channel):
    # Radiotap: version 0, pad, length 16, present = Flags | Channel | dBm antenna signal.
    rt = struct.pack("<BBHI", 0, 0, 16, (1 << 1) | (1 << 3) | (1 << 5))
    rt += struct.pack("<BxHHb", 0, FREQ[channel], 0x00A0, rssi) + b"\x00"
    hdr = struct.pack("<HH", 0x0040, 0) + b"\xff" * 6 + mac + b"\xff" * 6 + struct.pack("<H", (seq & 0xFFF) << 4)
    ies = bytes([0, 0]) + bytes([1, 8, 0x02, 0x04, 0x0B, 0x16, 0x0C, 0x12, 0x18, 0x24]) + bytes([3, 1, channel])
    return rt + hdr + ies


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("venue")
    ap.add_argument("out")
    ap.add_argument("--devices", type=int, default=100_000)
    ap.add_argument("--seconds", type=float, default=120)
    ap.add_argument("--bursts", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--start", type=float, default=1_800_000_000.0)
    a = ap.parse_args()
    venue = json.load(open(a.venue))
    floors = {}
    for s in venue["sensors"]:
        floors.setdefault(s["floor"], []).append(s["id"])
    rng = random.Random(a.seed)
    os.makedirs(a.out, exist_ok=True)
    events = {s["id"]: [] for s in venue["sensors"]}
    arrive_span = a.seconds / 2
    for d in range(a.devices):
        # Globally administered, unicast: first octet's two low bits clear; a distinct low 24 bits per device.
        mac = bytes([0x3C, 0x22, 0xFB - (d >> 24), (d >> 16) & 0xFF, (d >> 8) & 0xFF, d & 0xFF])
        floor = rng.choice(list(floors))
        near = rng.sample(floors[floor], rng.randint(3, 5))
        t0 = a.start + arrive_span * d / a.devices
        seq = rng.randrange(4096)
        for b in range(a.bursts):
            t = t0 + 20 * b
            for ch in (1, 6, 11):
                t += 0.02
                seq += 1
                for s in near:
                    if venue_channel(venue, s) == ch:
                        events[s].append((t, frame(mac, seq, rng.randint(-85, -45), ch)))
    total = 0
    for sensor, evs in events.items():
        evs.sort(key=lambda e: e[0])
        with open(os.path.join(a.out, sensor + ".pcap"), "wb") as f:
            f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 127))
            for t, data in evs:
                sec = int(t)
                f.write(struct.pack("<IIII", sec, int((t - sec) * 1e6), len(data), len(data)))
                f.write(data)
        total += len(evs)
    print(f"{total} probe requests from {a.devices} devices in {len(events)} files under {a.out}")


_channels = {}


def venue_channel(venue, sensor):
    if not _channels:
        for s in venue["sensors"]:
            c = s.get("channels", {})
            _channels[s["id"]] = c.get("fixed", 1) if isinstance(c, dict) else 1
    return _channels[sensor]


if __name__ == "__main__":
    main()
