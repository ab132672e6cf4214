#!/usr/bin/env python3
"""Why truth visits were missed: for each truth visit (probing phone, at least 30 s) that no
detected visit of the same device and store overlaps, what `mallgate locate` placed the device
at during it.

Categories: "no window" (the phone was not heard during the visit: no estimator can find it),
"none in store" (heard, every window placed elsewhere: placement), "in store, no visit" (some
windows placed in the store, but the tracker made no visit of them: its rules). One line per
missed visit (the places of its windows, most common first), then the counts.

Usage: missed-visits.py SIMDIR VISITS.csv LOCATED.csv
  (VISITS.csv and LOCATED.csv from `mallgate locate --format csv --device-map SIMDIR/truth-macs.csv
  --visits VISITS.csv > LOCATED.csv`, as scripts/eval/visits.sh writes them)
"""
import csv, sys
from collections import Counter, defaultdict
from datetime import datetime

def t(s):
    return datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()

sim, visits_file, located_file = sys.argv[1:4]
truth = [r for r in csv.DictReader(open(f"{sim}/truth-visits.csv")) if r["probing"] == "1" and t(r["exit"]) - t(r["enter"]) >= 30]
detected = defaultdict(list)
for r in csv.DictReader(open(visits_file)):
    if r.get("kind", "visit") == "visit":
        detected[(r["device"], r["store"])].append((t(r["enter"]), t(r["exit"])))
windows = defaultdict(list)
for r in csv.DictReader(open(located_file)):
    windows[r["device"]].append((t(r["time"]), r["zone"], r["place"]))
categories = Counter()
for r in truth:
    a, b = t(r["enter"]), t(r["exit"])
    if any(x <= b and y >= a for x, y in detected[(r["device"], r["store"])]):
        continue
    during = [w for w in windows[r["device"]] if a <= w[0] <= b + 10]  # a window's time is its end
    inside = [w for w in during if w[1] == r["store"]]
    category = "no window" if not during else "none in store" if not inside else "in store, no visit"
    categories[category] += 1
    places = Counter((w[1], w[2]) for w in during).most_common(3)
    print(f"{category}: {r['device']} {r['store']} dwell {b - a:.0f} s, {len(during)} windows, {len(inside)} in the store {places}")
print(dict(categories), f"of {len(truth)} truth visits")
