"""The supervisors' coverage figure of the 500 m circle: of the residential sample points inside
a unit's boundaries, the share within 500 m of each kind of service point.

The sample points are demo data: a regular grid (about every 150 m) inside each community's
boundary, standing for where people live.  Boundaries come from the org's boundary file when
there is one (`server/org/data/guangming-demo-boundaries.geojson`, features named by `code`);
a community without one gets a demo square of 1.2 km around its hall.  shapely keeps the grid
inside the polygons and finds candidate service points near each sample (an STRtree); the
distance that decides is geodesic (server/public/nearby.py).
"""

from __future__ import annotations

import json
import math
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry import Polygon, box, shape
from shapely.strtree import STRtree

from server.public.nearby import _M_PER_DEG_LAT, distance_m
from server.public.places import KINDS, Point

BOUNDARY_FILE = Path(__file__).parents[1] / "org" / "data" / "guangming-demo-boundaries.geojson"
SPACING_M = 150.0
DEMO_HALF_SIDE_M = 600.0
RADIUS_M = 500.0


def _deg(metres: float, lat: float) -> tuple[float, float]:
    """A distance in metres as degrees of latitude and longitude near `lat` (for grids and
    search boxes only; every distance that decides is geodesic)."""
    dlat = metres / _M_PER_DEG_LAT
    return dlat, dlat / math.cos(math.radians(lat))


def boundaries(halls: dict[str, Point]) -> dict[str, Polygon]:
    """Community code → its boundary polygon (lng, lat)."""
    out: dict[str, Polygon] = {}
    if BOUNDARY_FILE.exists():
        features = json.loads(BOUNDARY_FILE.read_text(encoding="utf-8")).get("features") or []
        for feature in features:
            code = (feature.get("properties") or {}).get("code")
            if code in halls and feature.get("geometry"):
                out[code] = shape(feature["geometry"])
    for code, hall in halls.items():
        if code not in out:
            dlat, dlng = _deg(DEMO_HALF_SIDE_M, hall.lat)
            out[code] = box(hall.lng - dlng, hall.lat - dlat, hall.lng + dlng, hall.lat + dlat)
    return out


def sample_points(area: Polygon) -> list[tuple[float, float]]:
    """(lat, lng) of a grid about every SPACING_M metres inside `area`."""
    min_lng, min_lat, max_lng, max_lat = area.bounds
    dlat, dlng = _deg(SPACING_M, (min_lat + max_lat) / 2)
    lats = np.arange(min_lat + dlat / 2, max_lat, dlat)
    lngs = np.arange(min_lng + dlng / 2, max_lng, dlng)
    grid_lng, grid_lat = np.meshgrid(lngs, lats)
    inside = shapely.contains_xy(area, grid_lng.ravel(), grid_lat.ravel())
    return list(
        zip(grid_lat.ravel()[inside].tolist(), grid_lng.ravel()[inside].tolist(), strict=True)
    )


def coverage(
    points: list[Point], communities: list[str], halls: dict[str, Point]
) -> dict[str, Any]:
    """The share of the sample points of `communities` (codes) within RADIUS_M of each kind."""
    areas = boundaries({c: halls[c] for c in communities if c in halls})
    samples = [s for code in communities if code in areas for s in sample_points(areas[code])]
    by_kind: dict[str, float | None] = {}
    for kind in KINDS:
        of_kind = [p for p in points if p.kind == kind]
        if not samples:
            by_kind[kind] = None
            continue
        tree = STRtree([shapely.Point(p.lng, p.lat) for p in of_kind]) if of_kind else None
        covered = 0
        for lat, lng in samples:
            if tree is None:
                break
            dlat, dlng = _deg(RADIUS_M * 1.05, lat)
            for i in tree.query(box(lng - dlng, lat - dlat, lng + dlng, lat + dlat)):
                p = of_kind[int(i)]
                if distance_m(lat, lng, p.lat, p.lng) <= RADIUS_M:
                    covered += 1
                    break
        by_kind[kind] = covered / len(samples)
    return {
        "radius_m": RADIUS_M,
        "sample_points": len(samples),
        "sample_spacing_m": SPACING_M,
        "demo": True,
        "by_kind": by_kind,
    }


@lru_cache(maxsize=64)
def cached(points: tuple[Point, ...], communities: tuple[str, ...]) -> str:
    """`coverage` as JSON, computed once per set of service points and communities."""
    halls = {p.code: p for p in points if p.kind == "hall"}
    return json.dumps(coverage(list(points), list(communities), halls))
