#!/usr/bin/env python3
"""Write the small IMDF archive the venue tests import (Tests/MallGateVenueTests/Fixtures/).

Written by hand to the IMDF spec (OGC 20-094, https://docs.ogc.org/cs/20-094/): a venue,
two levels (ordinal 0 and 1), units (walkways, rooms, elevators, a restroom, a structure
unit the importer skips), openings (LineStrings on shared walls, one exterior door),
occupants anchored in four rooms. Coordinates are round lon/lat around (4.0 E, 52.0 N), the
venue's display point: 0.0001 deg of latitude is 11.12 m, of longitude 6.85 m.

Outputs: imdf-two-levels/ (a folder), imdf-two-levels.zip (deflated, the usual) and
imdf-two-levels-stored.zip (uncompressed members).
"""
import json
import os
import uuid
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "..", "Tests", "MallGateVenueTests", "Fixtures")


def box(lon0, lat0, lon1, lat1):
    return {"type": "Polygon", "coordinates": [[[lon0, lat0], [lon1, lat0], [lon1, lat1], [lon0, lat1], [lon0, lat0]]]}


def point(lon, lat):
    return {"type": "Point", "coordinates": [lon, lat]}


def feature(fid, ftype, geometry, **props):
    return {"id": fid, "type": "Feature", "feature_type": ftype, "geometry": geometry, "properties": props}


def collection(features):
    return {"type": "FeatureCollection", "features": features}


L0 = "11111111-0000-4000-8000-000000000000"
L1 = "11111111-0000-4000-8000-000000000001"
# Unit ids as real archives have them (random-looking UUIDs), fixed by uuid5 so the fixture is stable.
U = {name: str(uuid.uuid5(uuid.NAMESPACE_URL, "mallgate-fixture/unit/" + name)) for name in
     ["W0", "A", "B", "C", "E0", "R0", "S0", "W1", "D", "E", "E1"]}

venue = collection([feature("00000000-0000-4000-8000-000000000000", "venue", box(4.0, 51.9999, 4.0006, 52.0002),
                            category="shoppingcenter", restriction=None, name={"en": "Fixture Mall"}, alt_name=None,
                            hours="Mo-Sa 09:00-21:00", phone=None, website=None,
                            display_point=point(4.0, 52.0), address_id=None)])

levels = collection([
    feature(L0, "level", box(4.0, 51.9999, 4.0006, 52.0002), category="unspecified", restriction=None, outdoor=False,
            ordinal=0, name={"en": "Ground Floor", "nl": "Begane grond"}, short_name={"en": "GF"},
            display_point=None, address_id=None, building_ids=None),
    feature(L1, "level", box(4.0, 51.9999, 4.0006, 52.0002), category="unspecified", restriction=None, outdoor=False,
            ordinal=1, name={"nl": "Eerste verdieping"}, short_name={"nl": "1"},
            display_point=None, address_id=None, building_ids=None),
])


def unit(key, level, category, geometry, name=None):
    return feature(U[key], "unit", geometry, category=category, restriction=None, accessibility=None,
                   name=name, alt_name=None, display_point=None, level_id=level)


units = collection([
    unit("W0", L0, "walkway", box(4.0, 52.0, 4.0006, 52.0001)),
    unit("A", L0, "room", box(4.0, 51.9999, 4.0002, 52.0)),
    unit("B", L0, "room", box(4.0002, 51.9999, 4.0004, 52.0)),
    unit("C", L0, "room", box(4.0, 52.0001, 4.0003, 52.0002), name={"en": "Unit C"}),
    unit("E0", L0, "elevator", box(4.0004, 52.0001, 4.0005, 52.0002)),
    unit("R0", L0, "restroom", box(4.0005, 52.0001, 4.0006, 52.0002)),
    unit("S0", L0, "structure", box(4.0004, 51.9999, 4.0006, 52.0)),
    unit("W1", L1, "walkway", box(4.0, 52.0, 4.0006, 52.0001)),
    unit("D", L1, "room", box(4.0, 51.9999, 4.0003, 52.0)),
    unit("E", L1, "room", box(4.0003, 51.9999, 4.0006, 52.0)),
    unit("E1", L1, "elevator", box(4.0004, 52.0001, 4.0005, 52.0002)),
])


def opening(i, level, a, b, category="pedestrian"):
    return feature(f"33333333-0000-4000-8000-0000000000{i:02d}", "opening",
                   {"type": "LineString", "coordinates": [list(a), list(b)]},
                   category=category, accessibility=None, access_control=None, door=None, name=None,
                   alt_name=None, display_point=None, level_id=level)


openings = collection([
    opening(0, L0, (4.00008, 52.0), (4.00012, 52.0)),      # A <-> W0
    opening(1, L0, (4.00028, 52.0), (4.00032, 52.0)),      # B <-> W0
    opening(2, L0, (4.00014, 52.0001), (4.00018, 52.0001)),  # C <-> W0
    opening(3, L0, (4.00044, 52.0001), (4.00046, 52.0001)),  # E0 <-> W0
    opening(4, L0, (4.00054, 52.0001), (4.00056, 52.0001)),  # R0 <-> W0
    opening(5, L0, (4.0, 52.00004), (4.0, 52.00006), "pedestrian.principal"),  # street door of W0
    opening(6, L1, (4.00014, 52.0), (4.00016, 52.0)),      # D <-> W1
    opening(7, L1, (4.00044, 52.0), (4.00048, 52.0)),      # E <-> W1
    opening(8, L1, (4.00044, 52.0001), (4.00046, 52.0001)),  # E1 <-> W1
])

OCC = [("A", {"en": "Corner Coffee"}, "coffee", (4.0001, 51.99995)),
       ("B", {"en": "Book Nook", "fr": "Coin Lecture"}, "books", (4.0003, 51.99995)),
       ("D", {"en": "Shoe Box"}, "shoes", (4.00015, 51.99995)),
       ("E", {"nl": "Speelgoedwinkel"}, "toys", (4.00045, 51.99995))]
anchors = collection([feature(f"44444444-0000-4000-8000-0000000000{i:02d}", "anchor", point(*pos),
                              address_id=None, unit_id=U[key]) for i, (key, _, _, pos) in enumerate(OCC)])
occupants = collection([{"id": f"55555555-0000-4000-8000-0000000000{i:02d}", "type": "Feature", "feature_type": "occupant",
                         "geometry": None,
                         "properties": {"name": name, "category": cat, "anchor_id": f"44444444-0000-4000-8000-0000000000{i:02d}",
                                        "hours": None, "phone": None, "website": None, "validity": None,
                                        "correlation_id": None}}
                        for i, (key, name, cat, _) in enumerate(OCC)])
manifest = {"version": "1.0.0", "created": "2026-11-29T06:00:00Z", "language": "en"}

files = {"manifest.json": manifest, "venue.geojson": venue, "level.geojson": levels, "unit.geojson": units,
         "opening.geojson": openings, "anchor.geojson": anchors, "occupant.geojson": occupants}
folder = os.path.join(OUT, "imdf-two-levels")
os.makedirs(folder, exist_ok=True)
texts = {}
for name, content in files.items():
    texts[name] = json.dumps(content, indent=2) + "\n"
    with open(os.path.join(folder, name), "w") as f:
        f.write(texts[name])
for zname, method in [("imdf-two-levels.zip", zipfile.ZIP_DEFLATED), ("imdf-two-levels-stored.zip", zipfile.ZIP_STORED)]:
    with zipfile.ZipFile(os.path.join(OUT, zname), "w", method) as z:
        for name, text in texts.items():
            # A fixed date keeps the archive byte-identical between runs.
            info = zipfile.ZipInfo(name, date_time=(2026, 11, 29, 6, 0, 0))
            info.compress_type = method
            z.writestr(info, text)
print("wrote", folder, "and two zips")
