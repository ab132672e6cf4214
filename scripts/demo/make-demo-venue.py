#!/usr/bin/env python3
"""Write the bundled demo venue: three sensors along a mall corridor, one pcap each.

Usage: scripts/demo/make-demo-venue.py OUT_DIR [--seed S] [--minutes M] [--people N]

The venue: a 60 m corridor with a sensor at the entrance (x=0, channel 1), one in the
middle (x=30, channel 6) and one at the food court (x=60, channel 11), 3 m above the
floor. People enter at x=0 and walk towards the food court at 1.0-1.5 m/s, some stop in
front of a store for a few minutes, some turn back. Their phones send probe bursts on
channels 1, 6 and 11 every 20-60 s; each sensor hears only the part of a burst sent on
its own channel, with a log-distance path loss (-40 dBm at 1 m, exponent 2.8), a per-phone
transmit offset (+-4 dB) and fading (+-3 dB); below -92 dBm it hears nothing.

Frames reuse the phone profiles of scripts/bench/make-probe-pcap.py (real IE sets).
This is a stand-in until `mallgate simulate` exists; it writes plain radiotap pcaps.
"""
import importlib.util
import math
import os
import random
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("probes", os.path.join(HERE, "..", "bench", "make-probe-pcap.py"))
probes = importlib.util.module_from_spec(spec)
spec.loader.exec_module(probes)

SENSORS = [("entrance", 0.0, 1), ("middle", 30.0, 6), ("foodcourt", 60.0, 11)]
HEIGHT = 3.0


def rssi_at(distance, tx_offset, rng):
    loss = 40.0 + 28.0 * math.log10(max(1.0, distance))
    return -loss + tx_offset + rng.uniform(-3, 3)


def main(argv):
    out_dir = argv[1] if len(argv) > 1 and not argv[1].startswith("--") else None
    if out_dir is None:
        sys.exit(__doc__)
    opts = dict(zip(argv[2::2], argv[3::2]))
    rng = random.Random(int(opts.get("--seed", "7")))
    minutes = float(opts.get("--minutes", "10"))
    people = int(opts.get("--people", "60"))
    os.makedirs(out_dir, exist_ok=True)

    start_us = 1_764_410_400 * 1_000_000  # 2025-11-29 10:00 UTC, opening time
    duration_s = minutes * 60
    frames = {name: [] for name, _, _ in SENSORS}
    weights = [p[1] for p in probes.PROFILES]
    for _ in range(people):
        dev = probes.Device(rng, rng.choices(probes.PROFILES, weights=weights)[0])
        tx_offset = rng.uniform(-4, 4)
        arrive = rng.uniform(0, duration_s * 0.8)
        speed = rng.uniform(1.0, 1.5)
        stop_at = rng.uniform(5, 55) if rng.random() < 0.5 else None
        stop_for = rng.uniform(60, 240)
        turn_back = rng.random() < 0.3

        def position(t):
            walked = (t - arrive) * speed
            if stop_at is not None:
                reach = stop_at / speed
                if t - arrive < reach:
                    return walked
                if t - arrive < reach + stop_for:
                    return stop_at
                walked = (t - arrive - stop_for) * speed
            if turn_back and walked > 40:
                walked = 80 - walked
            return walked if 0 <= walked <= 60 else None

        t = arrive + rng.uniform(0, 5)
        while t < duration_s:
            x = position(t)
            if x is None:
                break
            ssid = rng.choice(dev.ssids) if rng.random() < dev.directed else b""
            burst_t = t
            for channel in (1, 6, 11):
                for _ in range(rng.randint(1, 2)):
                    burst_t += rng.uniform(0.002, 0.02)
                    mpdu = b"".join((b"\x40\x00\x00\x00" + b"\xff" * 6, dev.mac, b"\xff" * 6,
                                     struct.pack("<H", dev.seq << 4), probes.ie(0, ssid), dev.head,
                                     probes.ie(3, bytes([channel])), dev.tail))
                    dev.seq = (dev.seq + 1) & 0xFFF
                    for name, sx, sch in SENSORS:
                        if sch != channel:
                            continue
                        signal = round(rssi_at(math.hypot(x - sx, HEIGHT), tx_offset, rng))
                        if signal < -92:
                            continue
                        signal = max(-127, min(-20, signal))
                        chains = (max(-127, signal - rng.randint(0, 5)), max(-127, signal - rng.randint(0, 5)))
                        cflags = 0x00A0 if dev.rate == 2 else 0x00C0
                        rt = probes.RT_STRUCT.pack(0, 0, probes.RT_LEN, probes.PRESENT0, probes.PRESENT_CHAIN_MORE,
                                                   probes.PRESENT_CHAIN_LAST, int(burst_t * 1e6), 0x00, dev.rate,
                                                   probes.CHANNELS[channel], cflags, signal, 0, chains[0], 0, chains[1], 1)
                        frames[name].append((start_us + int(burst_t * 1e6), rt + mpdu))
            t += rng.uniform(20, 60)

    for name, _, _ in SENSORS:
        path = os.path.join(out_dir, name + ".pcap")
        with open(path, "wb") as f:
            f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 127))
            for ts, frame in sorted(frames[name], key=lambda item: item[0]):
                f.write(struct.pack("<IIII", ts // 1_000_000, ts % 1_000_000, len(frame), len(frame)))
                f.write(frame)
        print(f"{path}: {len(frames[name])} probe requests")


if __name__ == "__main__":
    main(sys.argv)
