#!/usr/bin/env python3
"""Median dwell error of the midpoint rule with perfect placement: a floor for any tracker that
only knows when a phone was heard (docs/accuracy.md, "Stay times from the observations").

For each truth visit (probing, at least 30 s) of SIMDIR, the device's probe bursts are read off
LOCATED.csv (`mallgate locate --format csv`: one row per 10 s window ending on a 5 s grid, so a
burst shows as a run of windows and lies in the 5 s before the first one's end; taken 2.5 s
before it). Entry = halfway between the last burst before the truth entry and the first inside
(the first inside when none before); exit = halfway between the last burst inside and the first
after (60 s after the last inside when none, never before a capture-clipped truth exit). Visits
with no burst inside are skipped (no tracker can find them). Prints the median absolute dwell,
entry and exit errors and the median probe gap around entries.

Usage: visits-oracle.py SIMDIR LOCATED.csv
"""
import bisect, csv, statistics, sys
from datetime import datetime

t = lambda s: datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()
sim, located = sys.argv[1], sys.argv[2]
ends = {}
for r in csv.DictReader(open(located)):
    ends.setdefault(r["device"], []).append(t(r["time"]))
bursts = {}
for d, es in ends.items():
    es.sort()
    bursts[d] = [e - 2.5 for i, e in enumerate(es) if i == 0 or e - es[i - 1] > 5.01]
capture_end = max(max(v) for v in ends.values())
truth = [r for r in csv.DictReader(open(f"{sim}/truth-visits.csv")) if r["probing"] == "1"]
dwell, enter, exit_, gaps, unheard = [], [], [], [], 0
for r in truth:
    a, b = t(r["enter"]), t(r["exit"])
    if b - a < 30:
        continue
    B = bursts.get(r["device"], [])
    i, j = bisect.bisect_left(B, a), bisect.bisect_right(B, b)
    if i >= j:
        unheard += 1
        continue
    e = (B[i - 1] + B[i]) / 2 if i > 0 else B[i]
    if j < len(B):
        x = (B[j - 1] + B[j]) / 2
    else:
        x = min(B[j - 1] + 60, capture_end)
        if r["complete"] == "0":
            x = max(x, b)
    dwell.append(abs((x - e) - (b - a)))
    enter.append(abs(e - a))
    exit_.append(abs(x - b))
    if i > 0:
        gaps.append(B[i] - B[i - 1])
print(f"visits {len(dwell)} (no burst inside: {unheard}); midpoint with perfect placement: median dwell error "
      f"{statistics.median(dwell):.0f} s, entry {statistics.median(enter):.0f} s, exit {statistics.median(exit_):.0f} s; "
      f"median probe gap around entries {statistics.median(gaps):.0f} s")
