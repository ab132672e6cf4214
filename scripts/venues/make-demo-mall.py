#!/usr/bin/env python3
"""Write the example venues of firmware-configs/venues/ (docs/venue-format.md).

Usage: scripts/venues/make-demo-mall.py [OUT_DIR]   (default: firmware-configs/venues)

demo-mall.json: a two-floor mall, 160 m x 50 m. On each floor a 140 m east-west corridor
(y 20-28) cut into eight 17.5 m segments, stores north and south of it (15 per floor,
6-30 m wide, 12-22 m deep), an escalator pair (up, down) and a lift at the same place on
both floors, joined by vertical links. The ground floor has an entrance at each end of
the corridor. Every store has a door at the middle of its shopfront; about two stores in
three have a sensor at their centre, and a sensor hangs over the corridor every 20 m;
fixed channels rotate 1, 6, 11.

small-arcade.json: one floor, a 60 m corridor in three segments, six stores, one
entrance, three sensors (two fixed, one hopping).

After writing, the files are normalised with `mallgate venue format --in-place` when a
built binary is at .build/debug/mallgate (so they are exactly what VenueFile.encode writes).
"""
import json
import os
import subprocess
import sys

CATEGORIES = ["fashion", "electronics", "food", "cafe", "beauty", "sports", "books", "toys",
              "home", "jewelry", "shoes", "pharmacy", "grocery", "services", "fashion"]
NAMES = {
    "L0": ["Northwind Outfitters", "Pixel Palace", "Noodle Bar", "Bean There", "Glow Beauty",
           "Stride Sports", "Page Turner", "Toy Harbour", "Casa Linen", "Gold & Grain",
           "Sole Mates", "City Pharmacy", "Fresh Market", "Key & Heel", "Thread Count"],
    "L1": ["Urban Layer", "Circuit City", "Dumpling House", "Tea Leaf", "Scent Studio",
           "Peak Gear", "Ink & Paper", "Brick Box", "Lamp Light", "Silver Line",
           "Sneaker Lab", "Vita Health", "Corner Deli", "Phone Fix", "Denim Den"],
}
# Widths along the corridor (x from 10 to 150); "lift"/"esc" reserve the vertical links'
# slots, which must be at the same x on both floors: lift at x 68-74, escalators at 76-86.
ROWS = {
    "L0": {"north": [20, 12, 16, 10, "lift", 18, 14, 24, 20], "south": [16, 22, 14, 14, "esc", 20, 18, 26]},
    "L1": {"north": [24, 14, 18, 12, "lift", 22, 16, 12, 16], "south": [20, 18, 24, 14, "esc", 16, 20, 18]},
}
DEPTHS = [18, 14, 22, 12, 16, 20, 15, 19, 13, 21, 17, 16, 14, 22, 18]
X0, X1, Y_SOUTH, Y_NORTH = 10.0, 150.0, 20.0, 28.0
SEGMENT = 17.5


def num(v):
    v = round(v, 2)
    return int(v) if v == int(v) else v


def rect(x0, y0, x1, y1):
    return [[num(x0), num(y0)], [num(x1), num(y0)], [num(x1), num(y1)], [num(x0), num(y1)]]


def segment_at(floor, x):
    i = min(int((x - X0) // SEGMENT), int((X1 - X0) / SEGMENT) - 1)
    return f"{floor}-c{i + 1}"


def demo_mall():
    floors, zones, connections, sensors = [], [], [], []
    channel = [0]

    def next_channel():
        c = (1, 6, 11)[channel[0] % 3]
        channel[0] += 1
        return c

    for level, fid in enumerate(["L0", "L1"]):
        floors.append({"id": fid, "index": level, "name": "Ground floor" if level == 0 else "First floor",
                       "elevation": 5.5 * level, "outline": rect(0, -4, 160, 52)})
        n_segments = int((X1 - X0) / SEGMENT)
        for i in range(n_segments):
            x0 = X0 + i * SEGMENT
            zones.append({"id": f"{fid}-c{i + 1}", "kind": "corridor", "floor": fid,
                          "name": f"Mall walk {fid} {i + 1}", "polygon": rect(x0, Y_SOUTH, x0 + SEGMENT, Y_NORTH)})
            if i > 0:
                connections.append({"kind": "open", "from": f"{fid}-c{i}", "to": f"{fid}-c{i + 1}",
                                    "at": [num(x0), 24], "width": 8})
        if fid == "L0":
            for eid, name, x0, x1, seg, ex in [("L0-west", "West entrance", 0, X0, "L0-c1", X0),
                                               ("L0-east", "East entrance", X1, 160, f"L0-c{n_segments}", X1)]:
                zones.append({"id": eid, "kind": "entrance", "floor": fid, "name": name,
                              "polygon": rect(x0, Y_SOUTH, x1, Y_NORTH)})
                connections.append({"kind": "open", "from": eid, "to": seg, "at": [num(ex), 24], "width": 8})
        else:
            # Upstairs the corridor ends in seating areas over the entrances.
            for aid, name, x0, x1, seg, ex in [("L1-west", "West terrace", 0, X0, "L1-c1", X0),
                                               ("L1-east", "East terrace", X1, 160, f"L1-c{n_segments}", X1)]:
                zones.append({"id": aid, "kind": "area", "floor": fid, "name": name,
                              "polygon": rect(x0, Y_SOUTH, x1, Y_NORTH)})
                connections.append({"kind": "open", "from": aid, "to": seg, "at": [num(ex), 24], "width": 8})

        store = 0
        for side in ("north", "south"):
            x = X0
            for width in ROWS[fid][side]:
                if width == "lift":
                    zid = f"{fid}-lift"
                    zones.append({"id": zid, "kind": "lift", "floor": fid, "name": "Lift",
                                  "polygon": rect(x, Y_NORTH, x + 6, Y_NORTH + 6)})
                    connections.append({"kind": "open", "from": zid, "to": segment_at(fid, x + 3),
                                        "at": [num(x + 3), Y_NORTH], "width": 2})
                    x += 6
                    continue
                if width == "esc":
                    for k, (suffix, label) in enumerate([("esc-up", "Escalator up"), ("esc-down", "Escalator down")]):
                        zid = f"{fid}-{suffix}"
                        zones.append({"id": zid, "kind": "escalator", "floor": fid, "name": label,
                                      "polygon": rect(x + 5 * k, Y_SOUTH - 12, x + 5 * (k + 1), Y_SOUTH)})
                        connections.append({"kind": "open", "from": zid, "to": segment_at(fid, x + 5 * k + 2.5),
                                            "at": [num(x + 5 * k + 2.5), Y_SOUTH], "width": 2})
                    x += 10
                    continue
                sid = f"{fid}-s{store + 1:02d}"
                depth = DEPTHS[(store + 7 * level) % len(DEPTHS)]
                y0, y1 = (Y_NORTH, Y_NORTH + depth) if side == "north" else (Y_SOUTH - depth, Y_SOUTH)
                zones.append({"id": sid, "kind": "store", "floor": fid, "name": NAMES[fid][store],
                              "category": CATEGORIES[store],
                              "polygon": rect(x, y0, x + width, y1)})
                door_x = x + width / 2
                if abs((door_x - X0) / SEGMENT - round((door_x - X0) / SEGMENT)) < 0.1:
                    door_x -= 2  # not exactly on the line between two corridor segments
                door_y = Y_NORTH if side == "north" else Y_SOUTH
                connections.append({"kind": "door", "from": sid, "to": segment_at(fid, door_x),
                                    "at": [num(door_x), num(door_y)], "width": 6 if width >= 20 else 3})
                if store % 3 != 2:  # two stores in three
                    sensors.append({"id": f"{sid}-ap", "floor": fid,
                                    "position": [num(x + width / 2), num((y0 + y1) / 2)],
                                    "height": 3, "channels": {"fixed": next_channel()}})
                store += 1
                x += width
            assert abs(x - X1) < 1e-9, (fid, side, x)
        for k, sx in enumerate(range(20, 141, 20)):
            sensors.append({"id": f"{fid}-walk{k + 1}", "floor": fid, "position": [sx, 24],
                            "height": 3.5, "channels": {"fixed": next_channel()}})

    for a, b, seconds in [("esc-up", "esc-up", 25), ("esc-down", "esc-down", 25), ("lift", "lift", 40)]:
        connections.append({"kind": "vertical", "from": f"L0-{a}", "to": f"L1-{b}", "travelSeconds": seconds})

    return {"formatVersion": 1, "id": "demo-mall", "name": "MallGate Demo Mall",
            "origin": {"latitude": 52.3731, "longitude": 4.8922, "bearing": 0},
            "floors": floors, "zones": zones, "connections": connections, "sensors": sensors}


def small_arcade():
    zones, connections = [], []
    zones.append({"id": "entrance", "kind": "entrance", "floor": "G", "name": "Street door", "polygon": rect(0, 10, 6, 16)})
    for i in range(3):
        zones.append({"id": f"walk-{i + 1}", "kind": "corridor", "floor": "G", "name": f"Arcade {i + 1}",
                      "polygon": rect(6 + 20 * i, 10, 26 + 20 * i, 16)})
    connections.append({"kind": "open", "from": "entrance", "to": "walk-1", "at": [6, 13]})
    connections.append({"kind": "open", "from": "walk-1", "to": "walk-2", "at": [26, 13]})
    connections.append({"kind": "open", "from": "walk-2", "to": "walk-3", "at": [46, 13]})
    shops = [("bakery", "Daily Bread", "food", 6, 26, "north"), ("books", "Chapter One", "books", 26, 46, "north"),
             ("phones", "Mobile Corner", "electronics", 46, 66, "north"), ("shoes", "Step In", "shoes", 6, 22, "south"),
             ("cafe", "Corner Cafe", "cafe", 22, 44, "south"), ("gifts", "Little Things", "gifts", 44, 66, "south")]
    for sid, name, cat, x0, x1, side in shops:
        y0, y1 = (16, 28) if side == "north" else (0, 10)
        zones.append({"id": sid, "kind": "store", "floor": "G", "name": name, "category": cat, "polygon": rect(x0, y0, x1, y1)})
        door_x = (x0 + x1) / 2
        walk = f"walk-{min(int((door_x - 6) // 20), 2) + 1}"
        connections.append({"kind": "door", "from": sid, "to": walk, "at": [num(door_x), 16 if side == "north" else 10], "width": 2})
    sensors = [
        {"id": "s-west", "floor": "G", "position": [16, 13], "height": 3, "channels": {"fixed": 1},
         "input": {"interface": "wlan1"}},
        {"id": "s-cafe", "floor": "G", "position": [33, 5], "height": 2.5, "channels": {"fixed": 6},
         "input": {"tzsp": {"port": 37008, "sender": "192.0.2.21"}}, "rssiOffset": -2},
        {"id": "s-east", "floor": "G", "position": [56, 13], "height": 3, "channels": {"hop": [1, 6, 11], "dwellMs": 250},
         "input": {"tzsp": {"port": 37008, "sender": "192.0.2.22"}}},
    ]
    return {"formatVersion": 1, "id": "small-arcade", "name": "Small Arcade",
            "floors": [{"id": "G", "index": 0, "name": "Ground", "elevation": 0}],
            "zones": zones, "connections": connections, "sensors": sensors}


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.normpath(os.path.join(here, "..", ".."))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "firmware-configs", "venues")
    os.makedirs(out, exist_ok=True)
    binary = os.path.join(root, ".build", "debug", "mallgate")
    for name, venue in [("demo-mall.json", demo_mall()), ("small-arcade.json", small_arcade())]:
        path = os.path.join(out, name)
        with open(path, "w") as f:
            json.dump(venue, f, indent=2)
            f.write("\n")
        if os.access(binary, os.X_OK):
            subprocess.run([binary, "venue", "format", path, "--in-place"], check=True)
        stores = sum(1 for z in venue["zones"] if z["kind"] == "store")
        print(f"{path}: {len(venue['floors'])} floors, {stores} stores, {len(venue['sensors'])} sensors")


if __name__ == "__main__":
    main()
