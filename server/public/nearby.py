"""The 500 m circle: service points within a radius of a resident, nearest first.

Distances are geodesic on the WGS 84 ellipsoid (geographiclib's `Geodesic.Inverse`, as
server/dispatch/checkin.py measures check-ins); a cheap latitude/longitude box, wider than the
radius, skips the far points before the exact distance is computed.
"""

from __future__ import annotations

import math
from dataclasses import asdict
from typing import Any

from geographiclib.geodesic import Geodesic  # type: ignore[import-untyped]

from server.public.places import KIND_WORDS, Point

#: metres per degree of latitude, rounded down (the box must never be narrower than the radius)
_M_PER_DEG_LAT = 110_500.0


def distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    result: dict[str, float] = Geodesic.WGS84.Inverse(lat1, lng1, lat2, lng2)
    return result["s12"]


def within(points: list[Point], lat: float, lng: float, radius_m: float) -> list[dict[str, Any]]:
    dlat = radius_m / _M_PER_DEG_LAT * 1.05
    dlng = dlat / max(math.cos(math.radians(min(abs(lat) + dlat, 89.9))), 1e-6)
    found = []
    for p in points:
        if abs(p.lat - lat) > dlat or abs(p.lng - lng) > dlng:
            continue
        d = distance_m(lat, lng, p.lat, p.lng)
        if d <= radius_m:
            found.append((d, p))
    found.sort(key=lambda item: (item[0], item[1].kind, item[1].code))
    return [
        {**asdict(p), "kind_name": KIND_WORDS[p.kind], "distance_m": round(d, 1)} for d, p in found
    ]
