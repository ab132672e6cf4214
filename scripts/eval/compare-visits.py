#!/usr/bin/env python3
"""Scores `mallgate locate --visits FILE` against the simulator's truth-visits.csv.

A detected visit (MAC -> device via truth-macs.csv) matches a truth visit of the same device and
store whose [enter, exit] overlaps it. Precision: detected visits that match / detected.
Recall: truth visits of probing phones lasting at least MIN_DWELL seconds that some detected
visit matches / those. Dwell error: |detected − truth| over matched truth visits (the longest
match each). Prints one Markdown table row.
Usage: compare-visits.py SIMDIR VISITS.csv LABEL [MIN_DWELL]
"""
import csv, statistics, sys
from datetime import datetime

def t(s):
    return datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()

sim, found, label = sys.argv[1], sys.argv[2], sys.argv[3]
min_dwell = float(sys.argv[4]) if len(sys.argv) > 4 else 30
mac_device = {r["mac"]: r["device"] for r in csv.DictReader(open(f"{sim}/truth-macs.csv"))}
truth = [r for r in csv.DictReader(open(f"{sim}/truth-visits.csv")) if r["probing"] == "1"]
for r in truth:
    r["a"], r["b"] = t(r["enter"]), t(r["exit"])
by_key = {}
for r in truth:
    by_key.setdefault((r["device"], r["store"]), []).append(r)
detected = list(csv.DictReader(open(found)))
matched_truth = {}
ok = 0
for d in detected:
    dev = mac_device.get(d["device"], d["device"])  # a MAC, or already a device (locate --device-map)
    a, b = t(d["enter"]), t(d["exit"])
    hit = False
    for r in by_key.get((dev, d["store"]), []):
        if a <= r["b"] and r["a"] <= b:
            hit = True
            k = id(r)
            if k not in matched_truth or (b - a) > matched_truth[k][1]:
                matched_truth[k] = (r, b - a)
    ok += hit
relevant = [r for r in truth if r["b"] - r["a"] >= min_dwell]
recalled = sum(1 for r in relevant if id(r) in matched_truth)
errors = [abs(dw - (r["b"] - r["a"])) for r, dw in matched_truth.values() if r["b"] - r["a"] >= min_dwell]
pct = lambda a, b: f"{100 * a / b:.1f} %" if b else "–"
med = f"{statistics.median(errors):.0f} s" if errors else "–"
print(f"| {label} | {len(detected)} | {len(relevant)} | {pct(ok, len(detected))} | {pct(recalled, len(relevant))} | {med} |")
