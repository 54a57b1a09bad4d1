"""`GET /api/command/boundaries`: the outlines of a unit's children, as GeoJSON polygons.

The features are the children that have an outline (streets of a district, communities of a
street; a community's grids and stations have none), each with its centre from the org file.
The unit's own outline and centre ride along in `unit` (a GeoJSON foreign member), so a
community's map has its border even though its children have none.  `demo: true` marks drawn,
not surveyed, outlines (the demo data's).
"""

from __future__ import annotations

from typing import Any

from server.geo.features import unit_centres
from server.org.boundaries import outlines
from server.org.tree import OrgTree, Unit


def _centre(point: list[float] | None) -> dict[str, float] | None:
    return {"lat": point[1], "lng": point[0]} if point else None


async def child_outlines(tree: OrgTree, unit: Unit) -> dict[str, Any]:
    children = sorted(
        (u for u in tree.units.values() if u.parent_id == unit.id), key=lambda u: u.code
    )
    shapes = await outlines([unit.id, *(c.id for c in children)])
    centres = await unit_centres(tree, [unit.id, *(c.id for c in children)])
    features = []
    for child in children:
        if child.id not in shapes:
            continue
        geometry, demo = shapes[child.id]
        features.append(
            {
                "type": "Feature",
                "id": str(child.id),
                "geometry": geometry,
                "properties": {
                    "org_unit_id": str(child.id),
                    "code": child.code,
                    "name": child.name,
                    "kind": child.kind,
                    "demo": demo,
                    "centre": _centre(centres.get(child.id)),
                },
            }
        )
    own = shapes.get(unit.id)
    return {
        "type": "FeatureCollection",
        "org_unit_id": str(unit.id),
        "demo": any(demo for _, demo in shapes.values()),
        "unit": {
            "org_unit_id": str(unit.id),
            "code": unit.code,
            "name": unit.name,
            "kind": unit.kind,
            "boundary": own[0] if own else None,
            "demo": bool(own and own[1]),
            "centre": _centre(centres.get(unit.id)),
        },
        "features": features,
    }
