#!/usr/bin/env python3
"""Scores `mallgate locate --visits FILE [--counts FILE]` against the simulator's truth.

Prints one Markdown table row, for one of three tables (--table):

visits (default): a detected visit (MAC -> device via truth-macs.csv, a device already with
  locate --device-map, or a pseudo-device of locate --pseudo-devices -> the device most of its
  frames came from, with --pseudo-map FILE from locate --pseudo-device-map) matches a truth visit of the same device and store whose [enter, exit]
  overlaps it. Precision: detected visits that match / detected. Recall: truth visits of probing
  phones lasting at least MIN_DWELL seconds that some detected visit matches / those. Dwell
  error: |detected − truth| over matched truth visits (the longest match each), median (with
  --detail also the 90th percentile, and the median entry error |detected − truth enter|).

passers: passers-by. The truth has none, so they are derived from truth-positions.csv the way
  the tracker defines them, on the venue's doors (--venue): a pass is a maximal run of a
  device's rows (every 5 s) in one walkway zone with shop doors, or inside one of the stores
  those doors open into; it ends when the device is anywhere else or missing for more than
  two rows; zones crossed between two rows are filled in on the shortest walk. Each door store of the walkway that the device did not visit (a truth visit of at
  least MIN_DWELL seconds overlapping the pass) gets one passer-by. A detected passer-by matches
  a truth one of the same device and store overlapping it (±15 s, --slack). Precision, recall, and the
  total detected / truth.

counts: the --counts CSV against truth counts per store and interval (--interval, default
  900 s): truth footfall = truth visits ≥ MIN_DWELL by entry interval, truth passers-by as
  above by pass start. Totals detected / truth and the weighted absolute percentage error
  (sum |detected − truth| / sum truth over store × interval cells) for footfall and passers-by,
  and the capture rate (visitors / passers-by) of the whole run.

Usage: compare-visits.py SIMDIR VISITS.csv LABEL [MIN_DWELL] [--table visits|passers|counts] [--detail]
                         [--venue VENUE.json] [--counts COUNTS.csv] [--interval SECONDS] [--pseudo-map MAP.csv]
"""
import argparse, collections, csv, json, statistics
from datetime import datetime

def t(s):
    return datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()

ap = argparse.ArgumentParser()
ap.add_argument("sim"); ap.add_argument("visits"); ap.add_argument("label")
ap.add_argument("min_dwell", nargs="?", type=float, default=30)
ap.add_argument("--table", choices=["visits", "passers", "counts"], default="visits")
ap.add_argument("--detail", action="store_true", help="visits: add the 90th percentile dwell error and the median entry error")
ap.add_argument("--slack", type=float, default=15, help="passers: seconds a detected pass may miss the truth one by")
ap.add_argument("--venue"); ap.add_argument("--counts"); ap.add_argument("--interval", type=float, default=900)
ap.add_argument("--pseudo-map", help="locate --pseudo-device-map output: pseudo-devices are scored as the device most of their frames came from")
ap.add_argument("--pseudo-any", action="store_true", help="visits, with --pseudo-map: a pseudo-device's visit may match a truth visit of any device it holds frames of (is it a real visit, whoever made it?)")
a = ap.parse_args()
min_dwell = a.min_dwell

mac_device = {r["mac"]: r["device"] for r in csv.DictReader(open(f"{a.sim}/truth-macs.csv"))}
device_of = lambda d: mac_device.get(d, d)  # a MAC, or already a device (locate --device-map)
if a.pseudo_map:
    frames = collections.defaultdict(collections.Counter)
    for r in csv.DictReader(open(a.pseudo_map)):
        frames[r["device"]][mac_device.get(r["mac"], r["mac"])] += int(r["frames"])
    majority = {p: c.most_common(1)[0][0] for p, c in frames.items()}
    device_of = lambda d: majority.get(d, mac_device.get(d, d))
    holders = {p: list(c) for p, c in frames.items()}
devices_of = (lambda d: holders.get(d, [device_of(d)])) if a.pseudo_map and a.pseudo_any else (lambda d: [device_of(d)])
truth = [r for r in csv.DictReader(open(f"{a.sim}/truth-visits.csv")) if r["probing"] == "1"]
for r in truth:
    r["a"], r["b"] = t(r["enter"]), t(r["exit"])
by_key = {}
for r in truth:
    by_key.setdefault((r["device"], r["store"]), []).append(r)
rows = list(csv.DictReader(open(a.visits)))
detected = [r for r in rows if r.get("kind", "visit") == "visit"]
detected_passes = [r for r in rows if r.get("kind") == "passer-by"]
pct = lambda x, y: f"{100 * x / y:.1f} %" if y else "–"

def quantile(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))] if xs else None

def truth_passes(venue_path):
    """Passers-by derived from truth-positions.csv (see the module doc)."""
    venue = json.load(open(venue_path))
    kind = {z["id"]: z["kind"] for z in venue["zones"]}
    doors = {}
    for c in venue["connections"]:
        if c["kind"] != "door":
            continue
        for s, w in ((c["from"], c["to"]), (c["to"], c["from"])):
            if kind.get(s) == "store" and kind.get(w) != "store":
                doors.setdefault(w, set()).add(s)
    adjacent = {}
    for c in venue["connections"]:
        adjacent.setdefault(c["from"], set()).add(c["to"])
        adjacent.setdefault(c["to"], set()).add(c["from"])

    def between(x, y):
        """Zones strictly between x and y on a shortest walk (never through a store)."""
        prev, frontier = {x: None}, [x]
        while frontier and y not in prev:
            nxt = []
            for z in frontier:
                if kind.get(z) == "store" and z != x:
                    continue
                for w in sorted(adjacent.get(z, ())):
                    if w not in prev:
                        prev[w] = z
                        nxt.append(w)
            frontier = nxt
        if y not in prev:
            return []
        path, z = [], prev[y]
        while z is not None and z != x:
            path.append(z)
            z = prev[z]
        return path[::-1]

    per_device = {}
    for r in csv.DictReader(open(f"{a.sim}/truth-positions.csv")):
        per_device.setdefault(r["device"], []).append((t(r["time"]), r["zone"]))
    out = []
    for dev, seq in per_device.items():
        seq.sort()
        zone = start = last = None

        def end(at):
            for s in sorted(doors[zone]):
                visited = any(v["b"] - v["a"] >= min_dwell and v["a"] <= at and start <= v["b"]
                              for v in by_key.get((dev, s), []))
                if not visited:
                    out.append((dev, s, start, at))

        # Zones crossed between two rows 5 s apart (a fast walker in a short segment) are
        # filled in on the shortest walk, as the tracker does.
        filled, last_zone = [], None
        for time, z in seq:
            if last_zone is not None and z != last_zone and z not in adjacent.get(last_zone, ()):
                filled += [(time, w) for w in between(last_zone, z)]
            filled.append((time, z))
            last_zone = z
        prev = None
        for time, z in filled:
            if zone is not None and prev is not None and time - prev > 12:
                end(last)  # missing rows: left the venue (or the capture)
                zone = None
            boundary = (prev + time) / 2 if prev is not None else time
            if z in doors:
                if zone != z:
                    if zone is not None:
                        end(boundary)
                    zone, start = z, boundary
                last = time
            elif kind.get(z) == "store" and zone is not None and z in doors[zone]:
                pass  # inside one of the walkway's stores: the pass goes on
            elif zone is not None:
                end(boundary)
                zone = None
            prev = time
        if zone is not None:
            end(last)
    return out

if a.table == "visits":
    matched_truth = {}
    ok = 0
    for d in detected:
        x, y = t(d["enter"]), t(d["exit"])
        hit = False
        for r in (r for dev in devices_of(d["device"]) for r in by_key.get((dev, d["store"]), [])):
            if x <= r["b"] and r["a"] <= y:
                hit = True
                k = id(r)
                if k not in matched_truth or (y - x) > matched_truth[k][1]:
                    matched_truth[k] = (r, y - x, x)
        ok += hit
    relevant = [r for r in truth if r["b"] - r["a"] >= min_dwell]
    recalled = sum(1 for r in relevant if id(r) in matched_truth)
    m = [(r, dw, x) for r, dw, x in matched_truth.values() if r["b"] - r["a"] >= min_dwell]
    errors = [abs(dw - (r["b"] - r["a"])) for r, dw, _ in m]
    enter_errors = [abs(x - r["a"]) for r, _, x in m]
    f = lambda v: f"{v:.0f} s" if v is not None else "–"
    med = f(statistics.median(errors)) if errors else "–"
    row = f"| {a.label} | {len(detected)} | {len(relevant)} | {pct(ok, len(detected))} | {pct(recalled, len(relevant))} | {med} |"
    if a.detail:
        row += f" {f(quantile(errors, 0.9))} | {f(statistics.median(enter_errors)) if enter_errors else '–'} |"
    print(row)
elif a.table == "passers":
    tp = truth_passes(a.venue)
    by = {}
    for i, (dev, s, x, y) in enumerate(tp):
        by.setdefault((dev, s), []).append((x, y, i))
    hit_truth = set()
    ok = 0
    for d in detected_passes:
        x, y = t(d["enter"]), t(d["exit"])
        hits = [i for tx, ty, i in by.get((device_of(d["device"]), d["store"]), []) if x - a.slack <= ty and tx <= y + a.slack]
        ok += bool(hits)
        hit_truth.update(hits)
    ratio = f"{len(detected_passes) / len(tp):.2f}" if tp else "–"
    print(f"| {a.label} | {len(detected_passes)} | {len(tp)} | {pct(ok, len(detected_passes))} | {pct(len(hit_truth), len(tp))} | {ratio} |")
else:
    step = a.interval
    bucket = lambda x: int(x // step)
    truth_foot, truth_pass = {}, {}
    for r in truth:
        if r["b"] - r["a"] >= min_dwell:
            k = (r["store"], bucket(r["a"]))
            truth_foot[k] = truth_foot.get(k, 0) + 1
    for dev, s, x, y in truth_passes(a.venue):
        k = (s, bucket(x))
        truth_pass[k] = truth_pass.get(k, 0) + 1
    foot, pas = {}, {}
    for r in csv.DictReader(open(a.counts)):
        k = (r["store"], bucket(t(r["start"])))
        foot[k] = foot.get(k, 0) + int(r["footfall"])
        pas[k] = pas.get(k, 0) + int(r["passers_by"])

    def wape(det, tru):
        keys = set(det) | set(tru)
        total = sum(tru.values())
        return pct(sum(abs(det.get(k, 0) - tru.get(k, 0)) for k in keys), total)

    ratio = lambda x, y: f"{x} / {y}"
    cr = lambda f_, p_: f"{sum(f_.values()) / sum(p_.values()):.2f}" if sum(p_.values()) else "–"
    print(f"| {a.label} | {ratio(sum(foot.values()), sum(truth_foot.values()))} | {wape(foot, truth_foot)} "
          f"| {ratio(sum(pas.values()), sum(truth_pass.values()))} | {wape(pas, truth_pass)} | {cr(foot, pas)} / {cr(truth_foot, truth_pass)} |")
