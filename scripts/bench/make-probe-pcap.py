#!/usr/bin/env python3
"""Write a classic pcap of synthetic but realistic 802.11 probe requests for decode benchmarks.

Usage:
  scripts/bench/make-probe-pcap.py N OUT.pcap [--seed S] [--check]
  scripts/bench/make-probe-pcap.py --check            # generate 500 frames to a temp file and validate

N probe requests, DLT 127 (radiotap), microsecond timestamps, python3 stdlib only, deterministic for a seed.

What the frames look like (so a decoder does real work on every frame):
- Radiotap as a Linux mac80211 monitor interface with two RX chains emits it: three it_present words
  (word 0: TSFT, Flags, Rate, Channel, dBm antenna signal, RX flags, radiotap-namespace-next, Ext;
  words 1 and 2: dBm antenna signal + Antenna, word 1 with Ext), 38 bytes. The RX flags field needs
  2-byte alignment, so one pad byte follows the combined dBm signal (offset 31).
  Per-chain signals are the combined one minus 0..6 dB. See https://www.radiotap.org/fields/defined.
- FCS: exactly half of the frames (chosen per frame by the seeded RNG) have the radiotap Flags FCS bit (0x10)
  set and a correct CRC-32 FCS appended; the other half have no FCS and Flags = 0.
- 802.11: probe request (FC 0x0040), DA/BSSID broadcast, per-device sequence numbers (wrap at 4096).
- Devices come from 8 phone profiles (iOS-like and Android Samsung/Pixel/Xiaomi/Oppo/Huawei-like), each with
  the IE set such phones send: SSID (wildcard mostly, some directed), Supported Rates, Extended Supported Rates,
  DS Parameter Set, HT Capabilities (26 B), Extended Capabilities (8-10 B), VHT Capabilities (12 B) on some,
  HE Capabilities (element 255 / extension 35) on newer ones, vendor IEs: Apple 00:17:f2, Microsoft WPS
  00:50:f2 type 4, Broadcom 00:10:18, Epigram 00:90:4c.
- MACs: ~85 % randomized (locally administered bit set, multicast bit clear), the rest with real vendor OUIs.
- RSSI -90..-30 dBm, channels 1/6/11 (scan bursts of 1-3 frames per channel), increasing timestamps.
"""

import os
import random
import struct
import subprocess
import sys
import tempfile
import time
import zlib

CHANNELS = {1: 2412, 6: 2437, 11: 2462}
DIRECTED_SSIDS = [b"MallFreeWiFi", b"eduroam", b"FRITZ!Box 7590 XY", b"Vodafone-5G", b"iPhone di Marco",
                  b"Starbucks WiFi", b"HOME-4F2A", b"caf\xc3\xa9 wifi", b"TP-Link_2.4GHz_1A2B", b"AndroidAP"]


def ie(eid, body):
    return bytes([eid, len(body)]) + body


def ext_ie(ext_id, body):
    return bytes([255, len(body) + 1, ext_id]) + body


def vendor(oui, body):
    return ie(221, bytes(oui) + body)


# HT Capabilities (IEEE 802.11-2020 9.4.2.55): info(2) A-MPDU(1) MCS set(16) ext(2) TxBF(4) ASEL(1) = 26 bytes.
def ht_caps(info, ampdu, streams):
    mcs = bytes([0xFF] * streams + [0x00] * (10 - streams)) + b"\x00\x00" + b"\x00" * 4
    return struct.pack("<HB", info, ampdu) + mcs + struct.pack("<HIB", 0x0000, 0x00000000, 0x00)


HT_1SS = ht_caps(0x012D, 0x17, 1)   # LDPC, SM PS disabled, SGI20, RX STBC 1
HT_2SS = ht_caps(0x09EF, 0x17, 2)   # LDPC, 40 MHz, SM PS disabled, SGI20/40, TX STBC, RX STBC 1
# VHT Capabilities (9.4.2.157): info(4) + MCS/NSS set(8): MCS 0-9 on 2 streams.
VHT_2SS = struct.pack("<IHHHH", 0x0F8259B2, 0xFFFA, 0x0000, 0xFFFA, 0x0000)
VHT_1SS = struct.pack("<IHHHH", 0x0391C9B0, 0xFFFE, 0x0000, 0xFFFE, 0x0000)
# HE Capabilities (9.4.2.248): MAC caps(6) PHY caps(11) MCS map for <=80 MHz (rx 2 + tx 2); no 160 MHz, no PPE.
HE_CAPS = (bytes([0x01, 0x08, 0x08, 0x00, 0x02, 0x00])
           + bytes([0x06, 0x20, 0x02, 0xC0, 0x0F, 0x03, 0x95, 0x18, 0x00, 0xCC, 0x00])
           + struct.pack("<HH", 0xFFFA, 0xFFFA))
APPLE_IE = vendor((0x00, 0x17, 0xF2), bytes([0x0A, 0x00, 0x01, 0x04, 0x00, 0x00, 0x00, 0x00]))
BROADCOM_IE = vendor((0x00, 0x10, 0x18), bytes([0x02, 0x00, 0x00, 0x1C, 0x00, 0x00]))
EPIGRAM_HT_IE = vendor((0x00, 0x90, 0x4C), bytes([0x33]) + HT_2SS)
MS_TYPE8_IE = vendor((0x00, 0x50, 0xF2), bytes([0x08, 0x00, 0x00, 0x00]))


def wps_ie(manufacturer, model, name, uuid):
    def tlv(t, v):
        return struct.pack(">HH", t, len(v)) + v
    body = (tlv(0x104A, b"\x10") + tlv(0x103A, b"\x00") + tlv(0x1008, b"\x31\x48") + tlv(0x1047, uuid)
            + tlv(0x1054, bytes.fromhex("000a0050f2040005")) + tlv(0x103C, b"\x03") + tlv(0x1002, b"\x00\x00")
            + tlv(0x1009, b"\x00\x00") + tlv(0x1012, b"\x00\x00") + tlv(0x1021, manufacturer)
            + tlv(0x1023, model) + tlv(0x1024, model) + tlv(0x1011, name)
            + tlv(0x1049, bytes.fromhex("00372a000120")))
    return vendor((0x00, 0x50, 0xF2), b"\x04" + body)


RATES_B = ie(1, bytes([0x02, 0x04, 0x0B, 0x16]))
RATES_BG = ie(1, bytes([0x02, 0x04, 0x0B, 0x16, 0x0C, 0x12, 0x18, 0x24]))
XRATES_8 = ie(50, bytes([0x0C, 0x12, 0x18, 0x24, 0x30, 0x48, 0x60, 0x6C]))
XRATES_4 = ie(50, bytes([0x30, 0x48, 0x60, 0x6C]))

# Each profile: (name, weight, OUIs for global MACs, randomized share, directed share, rate in 500 kbps,
#                IEs before DS (after SSID), IEs after DS). The DS Parameter Set is built per channel.
PROFILES = [
    ("iphone-ios17", 22, [(0x3C, 0x22, 0xFB), (0xF0, 0x18, 0x98)], 0.97, 0.04, 2,
     [RATES_B, XRATES_8],
     [ie(45, HT_1SS), ie(127, bytes([0x04, 0x00, 0x0A, 0x82, 0x01, 0x40, 0x00, 0x40])),
      ie(191, VHT_1SS), ext_ie(35, HE_CAPS), APPLE_IE]),
    ("iphone-ios14", 12, [(0xA4, 0x83, 0xE7)], 0.9, 0.08, 2,
     [RATES_B, XRATES_8],
     [ie(45, HT_1SS), ie(127, bytes([0x04, 0x00, 0x08, 0x84, 0x00, 0x00, 0x00, 0x40])),
      APPLE_IE, BROADCOM_IE]),
    ("samsung-s22", 18, [(0xF8, 0x04, 0x2E), (0x8C, 0x71, 0xF8)], 0.85, 0.15, 2,
     [RATES_BG, XRATES_4],
     [ie(45, HT_2SS), ie(127, bytes([0x00, 0x00, 0x0A, 0x02, 0x01, 0x40, 0x40, 0x00, 0x00, 0x21])),
      ext_ie(35, HE_CAPS),
      wps_ie(b"samsung", b"SM-S901B", b"Galaxy S22", bytes(range(16))), MS_TYPE8_IE]),
    ("samsung-a5x", 10, [(0x5C, 0xCB, 0x99)], 0.85, 0.2, 2,
     [RATES_BG, XRATES_4],
     [ie(45, HT_1SS), ie(127, bytes([0x00, 0x00, 0x08, 0x80, 0x00, 0x00, 0x00, 0x00, 0x01, 0x20])),
      wps_ie(b"samsung", b"SM-A536B", b"Galaxy A53 5G", bytes(range(16, 32)))]),
    ("pixel-7", 12, [(0x3C, 0x28, 0x6D)], 0.95, 0.1, 12,
     [RATES_BG, XRATES_4],
     [ie(45, HT_2SS), ie(127, bytes([0x04, 0x00, 0x4A, 0x02, 0x01, 0x40, 0x40, 0x00, 0x40, 0x21])),
      ie(191, VHT_2SS), ext_ie(35, HE_CAPS), MS_TYPE8_IE]),
    ("xiaomi-broadcom", 10, [(0x64, 0xCC, 0x2E)], 0.7, 0.25, 2,
     [RATES_BG, XRATES_4],
     [ie(45, HT_2SS), ie(127, bytes([0x00, 0x00, 0x08, 0x80, 0x00, 0x00, 0x00, 0x40, 0x00])),
      BROADCOM_IE, EPIGRAM_HT_IE]),
    ("oppo-vht", 8, [(0xA4, 0x3E, 0xA0)], 0.8, 0.15, 2,
     [RATES_BG, XRATES_4],
     [ie(45, HT_1SS), ie(127, bytes([0x00, 0x00, 0x08, 0x80, 0x00, 0x00, 0x00, 0x40])),
      ie(191, VHT_1SS), wps_ie(b"OPPO", b"CPH2219", b"OPPO Find X3 Neo", bytes(range(32, 48)))]),
    ("huawei-tablet", 8, [(0x48, 0x43, 0x5A)], 0.6, 0.3, 2,
     [RATES_BG, XRATES_4],
     [ie(45, HT_2SS), ie(127, bytes([0x04, 0x00, 0x08, 0x80, 0x00, 0x00, 0x00, 0x40, 0x00, 0x20])),
      ie(191, VHT_2SS), BROADCOM_IE, EPIGRAM_HT_IE]),
]

# Radiotap (https://www.radiotap.org): it_present words as Linux mac80211 writes them for two chains.
PRESENT0 = (1 << 0) | (1 << 1) | (1 << 2) | (1 << 3) | (1 << 5) | (1 << 14) | (1 << 29) | (1 << 31)
PRESENT_CHAIN_MORE = (1 << 5) | (1 << 11) | (1 << 29) | (1 << 31)
PRESENT_CHAIN_LAST = (1 << 5) | (1 << 11)
RT_LEN = 38
RT_STRUCT = struct.Struct("<BBHIII" "Q" "BBHH" "bx" "H" "bBbB")


class Device:
    __slots__ = ("mac", "seq", "rssi", "ssids", "head", "tail", "directed", "rate", "profile")

    def __init__(self, rng, profile):
        name, _, ouis, randomized, directed, rate, head, tail = profile
        if rng.random() < randomized:
            first = (rng.randrange(256) & 0xFC) | 0x02   # locally administered, unicast
            self.mac = bytes([first] + [rng.randrange(256) for _ in range(5)])
        else:
            self.mac = bytes(rng.choice(ouis)) + bytes(rng.randrange(256) for _ in range(3))
        self.seq = rng.randrange(4096)
        self.rssi = rng.randint(-88, -32)
        self.ssids = rng.sample(DIRECTED_SSIDS, 2)
        self.head = b"".join(head)
        self.tail = b"".join(tail)
        self.directed = directed
        self.rate = rate
        self.profile = name


def generate(n, out_path, seed):
    rng = random.Random(seed)
    weights = [p[1] for p in PROFILES]
    devices = [Device(rng, p) for p in rng.choices(PROFILES, weights=weights, k=max(50, min(5000, n // 200)))]
    ts_us = 1_700_000_000 * 1_000_000 + rng.randrange(1_000_000)
    tsft = rng.randrange(1 << 40)
    ds = {ch: ie(3, bytes([ch])) for ch in CHANNELS}
    hdr_prefix = b"\x40\x00\x00\x00" + b"\xff" * 6
    bcast = b"\xff" * 6
    written = 0
    chunk = []
    pack_rec = struct.Struct("<IIII").pack
    pack_rt = RT_STRUCT.pack
    crc32 = zlib.crc32
    with open(out_path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 127))
        while written < n:
            dev = rng.choice(devices)
            dev.rssi = max(-90, min(-30, dev.rssi + rng.randint(-3, 3)))
            ssid = rng.choice(dev.ssids) if rng.random() < dev.directed else b""
            ssid_ie = ie(0, ssid)
            for ch in (1, 6, 11):
                for _ in range(rng.randint(1, 3)):
                    if written >= n:
                        break
                    ts_us += rng.randint(50, 2500)
                    tsft += rng.randint(50, 2500)
                    sig = max(-90, min(-30, dev.rssi + rng.randint(-2, 2)))
                    c0 = max(-127, sig - rng.randint(0, 6))
                    c1 = max(-127, sig - rng.randint(0, 6))
                    fcs = rng.random() < 0.5
                    cflags = 0x00A0 if dev.rate == 2 else 0x00C0   # CCK or OFDM, 2 GHz
                    rt = pack_rt(0, 0, RT_LEN, PRESENT0, PRESENT_CHAIN_MORE, PRESENT_CHAIN_LAST,
                                 tsft, 0x10 if fcs else 0x00, dev.rate, CHANNELS[ch], cflags, sig, 0x0000,
                                 c0, 0, c1, 1)
                    mpdu = b"".join((hdr_prefix, dev.mac, bcast, struct.pack("<H", dev.seq << 4),
                                     ssid_ie, dev.head, ds[ch], dev.tail))
                    dev.seq = (dev.seq + 1) & 0xFFF
                    if fcs:
                        mpdu += struct.pack("<I", crc32(mpdu))
                    length = RT_LEN + len(mpdu)
                    chunk.append(pack_rec(ts_us // 1_000_000, ts_us % 1_000_000, length, length))
                    chunk.append(rt)
                    chunk.append(mpdu)
                    written += 1
            if len(chunk) > 30000:
                f.write(b"".join(chunk))
                chunk.clear()
        f.write(b"".join(chunk))
    return written


def run(cmd):
    return subprocess.run(cmd, capture_output=True, text=True, env=dict(os.environ, LC_ALL="C"))


def check(path, n):
    """Validate with tshark and tcpdump; returns a list of problems (empty = fine)."""
    problems = []
    limit = min(n, 2000)
    v = run(["tshark", "-n", "-o", "wlan.check_checksum:TRUE", "-r", path, "-c", "20", "-V"])
    if v.returncode != 0:
        problems.append(f"tshark -V exit {v.returncode}: {v.stderr.strip()[:300]}")
    for line in v.stdout.splitlines():
        if "Expert Info (Error" in line or "Expert Info (Warning" in line or "Malformed" in line:
            problems.append("tshark -V: " + line.strip())
    fields = run(["tshark", "-n", "-o", "wlan.check_checksum:TRUE", "-r", path, "-c", str(limit), "-T", "fields",
                  "-E", "occurrence=a", "-e", "wlan.fc.type_subtype", "-e", "radiotap.dbm_antsignal",
                  "-e", "radiotap.channel.freq", "-e", "wlan.fcs.status", "-e", "_ws.malformed",
                  "-e", "_ws.expert.severity", "-e", "radiotap.length"])
    rows = [r.split("\t") for r in fields.stdout.splitlines()]
    if len(rows) != limit:
        problems.append(f"tshark decoded {len(rows)} frames of the first {limit}")
    fcs_frames = 0
    for i, r in enumerate(rows, 1):
        st, dbm, freq, fcs, malformed, sev, rtlen = r
        if int(st, 0) != 4:
            problems.append(f"frame {i}: type_subtype {st}, expected 4 (probe request)")
        if len(dbm.split(",")) != 3 or not all(-90 - 6 <= int(x) <= -30 for x in dbm.split(",")):
            problems.append(f"frame {i}: dBm values '{dbm}', expected combined + 2 chains in -96..-30")
        if freq not in ("2412", "2437", "2462"):
            problems.append(f"frame {i}: frequency '{freq}'")
        if fcs == "1":
            fcs_frames += 1
        elif fcs not in ("",):
            problems.append(f"frame {i}: FCS status '{fcs}' (0 = bad)")
        if malformed or any(int(s) >= 6291456 for s in sev.split(",") if s):
            problems.append(f"frame {i}: malformed or expert warning/error ({malformed} {sev})")
        if rtlen != str(RT_LEN):
            problems.append(f"frame {i}: radiotap length {rtlen}")
        if len(problems) > 20:
            return problems
    if not (0.35 * len(rows) <= fcs_frames <= 0.65 * len(rows)):
        problems.append(f"{fcs_frames} of {len(rows)} frames have a good FCS; expected about half")
    td = run(["tcpdump", "-nn", "-e", "-r", path, "-c", str(limit)])
    lines = td.stdout.splitlines()
    if td.returncode != 0:
        problems.append(f"tcpdump exit {td.returncode}: {td.stderr.strip()[:300]}")
    if sum("Probe Request" in l for l in lines) != limit:
        problems.append(f"tcpdump printed {sum('Probe Request' in l for l in lines)} probe requests of {limit}")
    bad = [l for l in lines if "[|" in l or "invalid" in l.lower() or "bad-fcs" in l]
    if bad:
        problems.append(f"tcpdump flagged {len(bad)} frames, e.g. {bad[0]}")
    tf = run(["tcpdump", "-r", path, "-c", str(limit), "type mgt subtype probe-req", "-w", "/dev/null"])
    if tf.returncode != 0:
        problems.append(f"tcpdump filter exit {tf.returncode}: {tf.stderr.strip()[:300]}")
    return problems


def main(argv):
    args = [a for a in argv if not a.startswith("--")]
    do_check = "--check" in argv
    seed = 1
    if "--seed" in argv:
        i = argv.index("--seed")
        seed = int(argv[i + 1])
        args.remove(argv[i + 1])
    if not args and do_check:
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "check.pcap")
            generate(500, path, seed)
            problems = check(path, 500)
    elif len(args) == 2:
        n, out = int(args[0]), args[1]
        start = time.monotonic()
        written = generate(n, out, seed)
        secs = time.monotonic() - start
        print(f"wrote {written} probe requests, {os.path.getsize(out)} bytes to {out} in {secs:.1f} s (seed {seed})",
              file=sys.stderr)
        problems = check(out, n) if do_check else []
    else:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    if do_check:
        for p in problems:
            print("check: " + p, file=sys.stderr)
        print("check: " + ("FAILED" if problems else "ok (tshark and tcpdump decode cleanly)"), file=sys.stderr)
        return 1 if problems else 0
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
