#!/usr/bin/env python3
"""Scores `mallgate locate --format csv` output against the simulator's ground truth.

Each located window (device MAC, window end time) is matched to the device's truth row
(truth-macs.csv maps MAC -> device) nearest to the window's centre, within half the truth interval
plus a second; windows without such a row (device not in the venue yet / any more) are not
scored. Prints one Markdown table row: windows, floor, store top-1 (truth inside a store),
inside-vs-outside (store vs any other zone), zone top-1.
Usage: compare-truth.py SIMDIR LOCATE.csv LABEL [WINDOW_SECONDS]
"""
import bisect, csv, sys
from datetime import datetime

def t(s):
    return datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()

sim, located, label = sys.argv[1], sys.argv[2], sys.argv[3]
# locate prints the window end; the truth is taken at the window's centre (10 s windows).
center_offset = float(sys.argv[4]) / 2 if len(sys.argv) > 4 else 5.0
mac_device = {r["mac"]: r["device"] for r in csv.DictReader(open(f"{sim}/truth-macs.csv"))}
truth = {}
for r in csv.DictReader(open(f"{sim}/truth-positions.csv")):
    truth.setdefault(r["device"], []).append((t(r["time"]), r))
for rows in truth.values():
    rows.sort(key=lambda x: x[0])
n = floor_ok = inside_n = store_ok = io_ok = zone_ok = 0
for r in csv.DictReader(open(located)):
    dev = mac_device.get(r["device"], r["device"])  # a MAC, or already a device (locate --device-map)
    if dev is None or dev not in truth:
        continue
    rows = truth[dev]
    times = [x[0] for x in rows]
    w = t(r["time"]) - center_offset
    i = bisect.bisect_left(times, w)
    cands = [j for j in (i - 1, i) if 0 <= j < len(rows)]
    j = min(cands, key=lambda j: abs(times[j] - w))
    if abs(times[j] - w) > 3.5:
        continue
    tr = rows[j][1]
    n += 1
    floor_ok += tr["floor"] == r["floor"]
    zone_ok += tr["zone"] == r["zone"]
    truth_inside = tr["place"] == "inside"
    io_ok += truth_inside == (r["kind"] == "store")
    if truth_inside:
        inside_n += 1
        store_ok += tr["zone"] == r["zone"]
pct = lambda a, b: f"{100 * a / b:.2f} %" if b else "–"
print(f"| {label} | {n} | {pct(floor_ok, n)} | {pct(store_ok, inside_n)} ({inside_n}) | {pct(io_ok, n)} | {pct(zone_ok, n)} |")
