#!/usr/bin/env python3
"""Write the two evaluation venues of firmware-configs/venues/ whose shapes differ from the demo
mall's (issue 4: "the demo venue and at least two others of different shape: one with three
floors"), so localization figures are not tuned to one corridor-with-two-rows layout.

Usage: scripts/venues/make-test-venues.py [OUT_DIR]   (default: firmware-configs/venues)

atrium-mall.json: three floors (elevation 0, 5, 10 m), 100 m x 70 m. On each floor a ring
corridor (four segments) runs around a 30 m x 20 m atrium; stores line the outside of the ring on
all four sides (some border two corridor segments). The atrium is an event area on the ground
floor and a void above, with an escalator pair on its west side and a lift on its east side on
every floor; escalators link neighbouring floors, the lift links all three. Two entrances on the
ground floor (south, west); the top floor's north row is a food court. Sensors: two stores in
three at their centre, one over each corridor segment, one over the ground-floor atrium.

outlet-strip.json: one floor, an L-shaped open walkway: a 170 m west-east leg and a 80 m leg
turning north at its east end, stores on both sides of both legs (31 stores, 12-22 m wide),
a corner anchor store, entrances at both ends of the L. Fewer sensors than the demo mall (one
store in two, a sensor over the walkway every 20 m, some hopping channels) and the stores
are shallow on the south side: a sparser, longer layout.

After writing, the files are normalised with `mallgate venue format --in-place` when a built
binary is at .build/debug/mallgate or .build/release/mallgate.
"""
import json
import os
import subprocess
import sys

CATEGORIES = ["fashion", "electronics", "food", "cafe", "beauty", "sports", "books", "toys",
              "home", "jewelry", "shoes", "pharmacy", "grocery", "services"]


def num(v):
    v = round(v, 2)
    return int(v) if v == int(v) else v


def rect(x0, y0, x1, y1):
    return [[num(x0), num(y0)], [num(x1), num(y0)], [num(x1), num(y1)], [num(x0), num(y1)]]


class Channels:
    def __init__(self):
        self.n = 0

    def fixed(self):
        c = (1, 6, 11)[self.n % 3]
        self.n += 1
        return {"fixed": c}


def atrium_mall():
    floors, zones, connections, sensors = [], [], [], []
    ch = Channels()
    store_count = [0]
    # Ring corridor around the atrium (35..65, 25..45), 6 m wide.
    AX0, AX1, AY0, AY1, W = 35, 65, 25, 45, 6
    RX0, RX1, RY0, RY1 = AX0 - W, AX1 + W, AY0 - W, AY1 + W  # 29..71, 19..51
    for level, fid in enumerate(["L0", "L1", "L2"]):
        floors.append({"id": fid, "index": level, "name": ["Ground floor", "First floor", "Second floor"][level],
                       "elevation": 5 * level, "outline": rect(0, 0, 100, 70)})
        seg = {"south": rect(RX0, RY0, RX1, AY0), "north": rect(RX0, AY1, RX1, RY1),
               "west": rect(RX0, AY0, AX0, AY1), "east": rect(AX1, AY0, RX1, AY1)}
        for name, poly in seg.items():
            zones.append({"id": f"{fid}-{name}", "kind": "corridor", "floor": fid,
                          "name": f"{name.capitalize()} gallery {fid}", "polygon": poly})
        # The ring's corners belong to the south and north segments.
        for a, b, at in [("south", "west", [32, 25]), ("south", "east", [68, 25]),
                         ("north", "west", [32, 45]), ("north", "east", [68, 45])]:
            connections.append({"kind": "open", "from": f"{fid}-{a}", "to": f"{fid}-{b}", "at": at, "width": 6})
        # Escalators (up, down) on the atrium's west side, the lift on its east side.
        for k, (suffix, label) in enumerate([("esc-up", "Escalator up"), ("esc-down", "Escalator down")]):
            zid = f"{fid}-{suffix}"
            zones.append({"id": zid, "kind": "escalator", "floor": fid, "name": label,
                          "polygon": rect(AX0, 29 + 6 * k, AX0 + 8, 35 + 6 * k)})
            connections.append({"kind": "open", "from": zid, "to": f"{fid}-west", "at": [AX0, 32 + 6 * k], "width": 2})
        zones.append({"id": f"{fid}-lift", "kind": "lift", "floor": fid, "name": "Lift",
                      "polygon": rect(AX1 - 5, 32, AX1, 38)})
        connections.append({"kind": "open", "from": f"{fid}-lift", "to": f"{fid}-east", "at": [AX1, 35], "width": 2})
        if fid == "L0":
            zones.append({"id": "L0-atrium", "kind": "area", "floor": fid, "name": "Atrium events",
                          "polygon": rect(AX0 + 8, AY0, AX1 - 5, AY1)})
            for to, at in [("L0-south", [54, AY0]), ("L0-north", [54, AY1])]:
                connections.append({"kind": "open", "from": "L0-atrium", "to": to, "at": at, "width": 10})
            sensors.append({"id": "L0-atrium-ap", "floor": fid, "position": [54, 35], "height": 4, "channels": ch.fixed()})

        def store(zid_side, poly, door_at, corridor, width, centre):
            i = store_count[0]
            store_count[0] += 1
            sid = f"{fid}-s{len([z for z in zones if z['floor'] == fid and z['kind'] == 'store']) + 1:02d}"
            zones.append({"id": sid, "kind": "store", "floor": fid, "name": f"Store {sid}",
                          "category": CATEGORIES[i % len(CATEGORIES)], "polygon": poly})
            connections.append({"kind": "door", "from": sid, "to": corridor, "at": door_at,
                                "width": 4 if width >= 12 else 2})
            if i % 3 != 2:
                sensors.append({"id": f"{sid}-ap", "floor": fid, "position": centre, "height": 3, "channels": ch.fixed()})

        # South row (y 7..19) and north row (y 51..63), x 29..71; doors on the ring.
        south = [10, 12, "entrance" if fid == "L0" else 8, 12]
        x = RX0
        for w in south:
            if w == "entrance":
                zones.append({"id": "L0-south-entrance", "kind": "entrance", "floor": fid, "name": "South entrance",
                              "polygon": rect(x, 7, x + 8, RY0)})
                connections.append({"kind": "open", "from": "L0-south-entrance", "to": "L0-south",
                                    "at": [num(x + 4), RY0], "width": 6})
                x += 8
                continue
            store("south", rect(x, 7, x + w, RY0), [num(x + w / 2), RY0], f"{fid}-south", w, [num(x + w / 2), 13])
            x += w
        if fid == "L2":
            zones.append({"id": "L2-food-court", "kind": "area", "floor": fid, "name": "Food court",
                          "polygon": rect(RX0, RY1, RX1, 65)})
            connections.append({"kind": "open", "from": "L2-food-court", "to": "L2-north", "at": [50, RY1], "width": 20})
            sensors.append({"id": "L2-food-court-ap", "floor": fid, "position": [40, 58], "height": 4, "channels": ch.fixed()})
            sensors.append({"id": "L2-food-court-ap2", "floor": fid, "position": [62, 58], "height": 4, "channels": ch.fixed()})
        else:
            x = RX0
            for w in ([14, 8, 10, 10] if fid == "L0" else [9, 11, 12, 10]):
                store("north", rect(x, RY1, x + w, 63), [num(x + w / 2), RY1], f"{fid}-north", w, [num(x + w / 2), 57])
                x += w
        # West row (x 15..29) and east row (x 71..85), y 19..51; the door faces the west/east
        # segment when the store reaches it, else the south/north segment's end.
        for side, x0, x1, wx in [("west", 15, RX0, RX0), ("east", RX1, 85, RX1)]:
            heights = [10, 12, 10] if side == "west" else [12, 8, 12]
            y = RY0
            for k, h in enumerate(heights):
                if fid == "L0" and side == "west" and k == 1:
                    zones.append({"id": "L0-west-entrance", "kind": "entrance", "floor": fid, "name": "West entrance",
                                  "polygon": rect(x0, y, x1, y + h)})
                    connections.append({"kind": "open", "from": "L0-west-entrance", "to": "L0-west",
                                        "at": [wx, num(y + h / 2)], "width": 8})
                    y += h
                    continue
                mid = y + h / 2
                corridor = f"{fid}-{side}" if AY0 < mid < AY1 else (f"{fid}-south" if mid <= AY0 else f"{fid}-north")
                door_y = min(max(mid, AY0 + 2), AY1 - 2) if corridor.endswith(side) else mid
                if corridor.endswith("south"):
                    door_y = (y + AY0) / 2
                if corridor.endswith("north"):
                    door_y = (AY1 + y + h) / 2
                store(side, rect(x0, y, x1, y + h), [wx, num(door_y)], corridor, h, [num((x0 + x1) / 2), num(mid)])
                y += h
        for name, pos in [("south", [50, 22]), ("north", [50, 48]), ("west", [32, 35]), ("east", [68, 35])]:
            sensors.append({"id": f"{fid}-{name}-walk", "floor": fid, "position": pos, "height": 3.5, "channels": ch.fixed()})

    for a, b in [("L0", "L1"), ("L1", "L2")]:
        connections.append({"kind": "vertical", "from": f"{a}-esc-up", "to": f"{b}-esc-up", "travelSeconds": 20})
        connections.append({"kind": "vertical", "from": f"{b}-esc-down", "to": f"{a}-esc-down", "travelSeconds": 20})
    connections.append({"kind": "vertical", "from": "L0-lift", "to": "L1-lift", "travelSeconds": 30})
    connections.append({"kind": "vertical", "from": "L1-lift", "to": "L2-lift", "travelSeconds": 30})
    connections.append({"kind": "vertical", "from": "L0-lift", "to": "L2-lift", "travelSeconds": 45})
    return {"formatVersion": 1, "id": "atrium-mall", "name": "MallGate Atrium Mall (three floors)",
            "floors": floors, "zones": zones, "connections": connections, "sensors": sensors}


def outlet_strip():
    fid = "G"
    zones, connections, sensors = [], [], []
    ch = Channels()
    hop_every = 4
    # West-east leg: walkway y 20..28, x 10..170 in eight 20 m segments, then the corner 170..180.
    for i in range(8):
        zones.append({"id": f"a{i + 1}", "kind": "corridor", "floor": fid, "name": f"Outlet walk A{i + 1}",
                      "polygon": rect(10 + 20 * i, 20, 30 + 20 * i, 28)})
        if i > 0:
            connections.append({"kind": "open", "from": f"a{i}", "to": f"a{i + 1}", "at": [10 + 20 * i, 24], "width": 8})
    zones.append({"id": "corner", "kind": "corridor", "floor": fid, "name": "Corner plaza", "polygon": rect(170, 20, 180, 28)})
    connections.append({"kind": "open", "from": "a8", "to": "corner", "at": [170, 24], "width": 8})
    # South-north leg: x 170..180, y 28..108 in four 20 m segments.
    for i in range(4):
        zones.append({"id": f"b{i + 1}", "kind": "corridor", "floor": fid, "name": f"Outlet walk B{i + 1}",
                      "polygon": rect(170, 28 + 20 * i, 180, 48 + 20 * i)})
        prev = "corner" if i == 0 else f"b{i}"
        connections.append({"kind": "open", "from": prev, "to": f"b{i + 1}", "at": [175, 28 + 20 * i], "width": 10})
    zones.append({"id": "west-gate", "kind": "entrance", "floor": fid, "name": "West gate", "polygon": rect(0, 20, 10, 28)})
    connections.append({"kind": "open", "from": "west-gate", "to": "a1", "at": [10, 24], "width": 8})
    zones.append({"id": "north-gate", "kind": "entrance", "floor": fid, "name": "North gate", "polygon": rect(170, 108, 180, 116)})
    connections.append({"kind": "open", "from": "north-gate", "to": "b4", "at": [175, 108], "width": 10})

    def seg_a(x):
        return "corner" if x >= 170 else f"a{min(int((x - 10) // 20), 7) + 1}"

    def seg_b(y):
        return f"b{min(int((y - 28) // 20), 3) + 1}"

    count = [0]

    def store(poly, door_at, corridor, width, centre):
        i = count[0]
        count[0] += 1
        sid = f"o{i + 1:02d}"
        zones.append({"id": sid, "kind": "store", "floor": fid, "name": f"Outlet {sid}",
                      "category": CATEGORIES[(i * 5) % len(CATEGORIES)], "polygon": poly})
        connections.append({"kind": "door", "from": sid, "to": corridor, "at": door_at, "width": 4 if width >= 16 else 2})
        if i % 2 == 0:
            sensors.append({"id": f"{sid}-ap", "floor": fid, "position": centre, "height": 3, "channels": ch.fixed()})

    def door_along(a0, a1):
        d = (a0 + a1) / 2
        # Not exactly on the line between two walkway segments.
        return d - 2 if abs((d - 10) / 20 - round((d - 10) / 20)) < 0.1 or abs((d - 28) / 20 - round((d - 28) / 20)) < 0.1 else d

    x = 10
    for w in [16, 12, 20, 14, 18, 12, 16, 20, 14, 18]:  # north of leg A, y 28..44
        dx = door_along(x, x + w)
        store(rect(x, 28, x + w, 44), [num(dx), 28], seg_a(dx), w, [num(x + w / 2), 36])
        x += w
    x = 10
    for w in [20, 14, 16, 18, 12, 22, 16, 14, 20, 18]:  # south of leg A, y 10..20 (shallow)
        dx = door_along(x, x + w)
        store(rect(x, 10, x + w, 20), [num(dx), 20], seg_a(dx), w, [num(x + w / 2), 15])
        x += w
    store(rect(180, 6, 198, 28), [180, 24], "corner", 18, [189, 17])  # corner anchor
    y = 44
    for h in [16, 12, 20, 16]:  # west of leg B, x 154..170
        dy = door_along(y, y + h)
        store(rect(154, y, 170, y + h), [170, num(dy)], seg_b(dy), h, [162, num(y + h / 2)])
        y += h
    y = 28
    for h in [14, 18, 12, 20, 16]:  # east of leg B, x 180..196
        dy = door_along(y, y + h)
        store(rect(180, y, 196, y + h), [180, num(dy)], seg_b(dy), h, [188, num(y + h / 2)])
        y += h
    k = 0
    for sx in range(20, 171, 20):
        k += 1
        channels = {"hop": [1, 6, 11], "dwellMs": 250} if k % hop_every == 0 else ch.fixed()
        sensors.append({"id": f"walk-a{k}", "floor": fid, "position": [sx, 24], "height": 3.5, "channels": channels})
    for i, sy in enumerate(range(45, 106, 20)):
        sensors.append({"id": f"walk-b{i + 1}", "floor": fid, "position": [175, sy], "height": 3.5, "channels": ch.fixed()})
    return {"formatVersion": 1, "id": "outlet-strip", "name": "MallGate Outlet Strip (L-shaped, one floor)",
            "floors": [{"id": fid, "index": 0, "name": "Ground", "elevation": 0, "outline": rect(0, 4, 200, 118)}],
            "zones": zones, "connections": connections, "sensors": sensors}


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.normpath(os.path.join(here, "..", ".."))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "firmware-configs", "venues")
    os.makedirs(out, exist_ok=True)
    binaries = [os.path.join(root, ".build", b, "mallgate") for b in ("debug", "release")]
    binary = next((b for b in binaries if os.access(b, os.X_OK)), None)
    for name, venue in [("atrium-mall.json", atrium_mall()), ("outlet-strip.json", outlet_strip())]:
        path = os.path.join(out, name)
        with open(path, "w") as f:
            json.dump(venue, f, indent=2)
            f.write("\n")
        if binary:
            subprocess.run([binary, "venue", "format", path, "--in-place"], check=True)
        stores = sum(1 for z in venue["zones"] if z["kind"] == "store")
        print(f"{path}: {len(venue['floors'])} floors, {len(venue['zones'])} zones, {stores} stores, "
              f"{len(venue['sensors'])} sensors")


if __name__ == "__main__":
    main()
