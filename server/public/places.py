"""The service points of the 500 m circle (500米服务圈): stations, community halls, resident
lawyers' duty places, psych rooms and judicial confirmation rooms, with where they are and when
they open.

Places come from the org tree (kinds station, community = its hall, room, confirmation_room);
hours from a unit's own `hours` when the org file gives one, else the demo defaults of
`data/service-points.yaml`, which also lists the lawyers' duty places.  Loaded once per reload
of the org tree (a few hundred rows): every nearby answer is computed in memory.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

import yaml

from server.org.tables import OrgUnit
from server.permissions import as_uuid

DATA_FILE = Path(__file__).parent / "data" / "service-points.yaml"
#: org kinds as residents' kinds of service point
KIND_OF_UNIT = {
    "station": "station",
    "community": "hall",
    "room": "psych_room",
    "confirmation_room": "confirmation_room",
}
KINDS = ("station", "hall", "lawyer_duty", "psych_room", "confirmation_room")
KIND_WORDS = {
    "station": "群众诉求服务站",
    "hall": "社区群众诉求服务大厅",
    "lawyer_duty": "驻社区律师值班点",
    "psych_room": "心理服务室",
    "confirmation_room": "司法确认室",
}
RELOAD_SECONDS = 30.0


@dataclass(frozen=True, slots=True)
class Point:
    kind: str
    id: str
    code: str
    name: str
    address: str
    lat: float
    lng: float
    hours: str
    #: the community it serves (None for street and district rooms)
    community_id: str | None


def _data() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(DATA_FILE.read_text(encoding="utf-8"))
    return loaded


def _geo(value: Any) -> tuple[float, float] | None:
    if isinstance(value, str):
        import json

        value = json.loads(value)
    if not isinstance(value, dict):
        return None
    lat, lng = value.get("lat"), value.get("lng")
    if isinstance(lat, int | float) and isinstance(lng, int | float):
        return float(lat), float(lng)
    return None


def build(rows: list[dict[str, Any]], data: dict[str, Any]) -> list[Point]:
    """Service points from org unit rows and the hours/duty data (pure, for tests)."""
    defaults: dict[str, str] = data.get("default_hours") or {}
    by_id = {str(r["id"]): r for r in rows}

    def community_of(row: dict[str, Any]) -> str | None:
        seen = set()
        cursor: dict[str, Any] | None = row
        while cursor is not None and str(cursor["id"]) not in seen:
            if cursor["kind"] == "community":
                return str(cursor["id"])
            seen.add(str(cursor["id"]))
            parent = cursor.get("parent_id")
            cursor = by_id.get(str(parent)) if parent else None
        return None

    points: list[Point] = []
    for row in rows:
        kind = KIND_OF_UNIT.get(row["kind"])
        where = _geo(row.get("geo"))
        if kind is None or where is None:
            continue
        name = row["name"] if kind != "hall" else f"{row['name']}群众诉求服务大厅"
        points.append(
            Point(
                kind=kind,
                id=str(row["id"]),
                code=row["code"],
                name=name,
                address=row.get("address") or "",
                lat=where[0],
                lng=where[1],
                hours=row.get("hours") or defaults.get(kind, ""),
                community_id=community_of(row),
            )
        )
    duty = data.get("lawyer_duty") or {}
    special = {p["community"]: p for p in duty.get("places") or []}
    for row in rows:
        if row["kind"] != "community":
            continue
        hall = _geo(row.get("geo"))
        place = special.get(row["code"], {})
        where = _geo(place.get("geo")) or hall
        if where is None:
            continue
        points.append(
            Point(
                kind="lawyer_duty",
                id=f"lawyer:{row['id']}",
                code=f"{row['code']}.LAWYER",
                name=place.get("name") or f"{row['name']}驻社区律师值班点",
                address=place.get("address")
                or row.get("address")
                or f"{row['name']}群众诉求服务大厅",
                lat=where[0],
                lng=where[1],
                hours=place.get("hours") or duty.get("default_hours", ""),
                community_id=str(row["id"]),
            )
        )
    return points


_cache: tuple[float, list[Point]] | None = None


async def service_points(force: bool = False) -> list[Point]:
    global _cache
    now = time.monotonic()
    if not force and _cache is not None and now - _cache[0] < RELOAD_SECONDS:
        return _cache[1]
    rows = await OrgUnit.select().where(
        OrgUnit.deleted.eq(False), OrgUnit.kind.is_in([*KIND_OF_UNIT, "street", "district"])
    )
    points = build(rows, _data())
    _cache = (now, points)
    return points


def community_centre(rows: list[Point], community_id: UUID | None) -> tuple[float, float] | None:
    hall = next((p for p in rows if p.kind == "hall" and as_uuid(p.id) == community_id), None)
    return (hall.lat, hall.lng) if hall else None
