"""Org unit outlines for the command map: read from the org file, checked, stored, looked up.

An org file may give a unit a `boundary` (a GeoJSON Polygon or MultiPolygon geometry) inline, or
name a GeoJSON FeatureCollection beside it (`boundaries: FILE`, each feature's `properties.code`
naming its unit); the demo org file does the latter with the drawn demo outlines
(guangming-demo-boundaries.geojson, made by make_demo_boundaries.py).  Coordinates are WGS-84
longitude/latitude in GeoJSON order; 天地图 (CGCS2000) is close enough to draw on as is.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from shapely.geometry import shape

from server.db import write_transaction
from server.org.tables import OrgBoundary

#: largest outline accepted, in vertices (a district's survey line is a few thousand)
MAX_VERTICES = 50_000


class BoundaryError(ValueError):
    """An outline that cannot be used; the message names the unit and the problem."""


@dataclass(frozen=True)
class Boundary:
    code: str
    geometry: dict[str, Any]
    demo: bool


def check_geometry(code: str, geometry: Any) -> dict[str, Any]:
    """`geometry` when it is a valid GeoJSON Polygon/MultiPolygon in longitude/latitude."""
    if not isinstance(geometry, dict) or geometry.get("type") not in ("Polygon", "MultiPolygon"):
        raise BoundaryError(f"unit {code}: boundary must be a GeoJSON Polygon or MultiPolygon")
    try:
        outline = shape(geometry)
    except (ValueError, TypeError, KeyError, AttributeError, IndexError) as exc:
        raise BoundaryError(f"unit {code}: boundary is not valid GeoJSON ({exc})") from exc
    min_lng, min_lat, max_lng, max_lat = outline.bounds
    if not (-180 <= min_lng <= max_lng <= 180 and -90 <= min_lat <= max_lat <= 90):
        raise BoundaryError(f"unit {code}: boundary coordinates must be [longitude, latitude]")
    if outline.is_empty or not outline.is_valid or outline.area <= 0:
        raise BoundaryError(f"unit {code}: boundary must be a valid, non-empty polygon")
    vertices = sum(
        len(ring.coords)
        for polygon in getattr(outline, "geoms", [outline])
        for ring in (polygon.exterior, *polygon.interiors)
    )
    if vertices > MAX_VERTICES:
        raise BoundaryError(f"unit {code}: boundary has more than {MAX_VERTICES} vertices")
    return geometry


def read_geojson(path: Path, default_demo: bool = False) -> list[Boundary]:
    """The outlines of a FeatureCollection whose features name their unit's `code`."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BoundaryError(f"{path.name}: cannot read the boundaries file ({exc})") from exc
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise BoundaryError(f"{path.name}: must be a GeoJSON FeatureCollection")
    demo = bool(data.get("demo", default_demo))
    out = []
    for feature in data.get("features") or []:
        properties = (feature or {}).get("properties") or {}
        code = properties.get("code")
        if not isinstance(code, str) or not code:
            raise BoundaryError(f"{path.name}: every feature needs properties.code")
        geometry = check_geometry(code, feature.get("geometry"))
        out.append(Boundary(code, geometry, bool(properties.get("demo", demo))))
    return out


async def store(boundaries: Iterable[Boundary], unit_ids: dict[str, UUID]) -> int:
    """Create or replace the outlines (in one transaction); returns how many were written."""
    boundaries = list(boundaries)
    if not boundaries:
        return 0
    unknown = sorted({b.code for b in boundaries} - set(unit_ids))
    if unknown:
        raise BoundaryError(f"boundaries name units that are not in the file: {unknown[:5]}")
    now = datetime.now(UTC)
    async with write_transaction():
        await OrgBoundary.delete().where(
            OrgBoundary.org_unit_id.is_in([unit_ids[b.code] for b in boundaries])
        )
        await OrgBoundary.insert(
            *[
                OrgBoundary(
                    org_unit_id=unit_ids[b.code],
                    code=b.code,
                    geometry=json.dumps(b.geometry),
                    demo=b.demo,
                    updated_at=now,
                )
                for b in boundaries
            ]
        )
    return len(boundaries)


async def outlines(unit_ids: Iterable[UUID]) -> dict[UUID, tuple[dict[str, Any], bool]]:
    """(geometry, demo) of each of these units that has an outline."""
    wanted = list(unit_ids)
    if not wanted:
        return {}
    rows = (
        await OrgBoundary.select(OrgBoundary.org_unit_id, OrgBoundary.geometry, OrgBoundary.demo)
        .where(OrgBoundary.org_unit_id.is_in(wanted))
        .output(load_json=True)
    )
    return {
        row["org_unit_id"]
        if isinstance(row["org_unit_id"], UUID)
        else UUID(str(row["org_unit_id"])): (row["geometry"], bool(row["demo"]))
        for row in rows
    }
