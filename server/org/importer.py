"""`doorstep import-org FILE`: load an org tree (JSON or YAML) and, optionally, its users.

The file holds `units`: a tree (each unit may have `children`) or a flat list whose units name
their `parent` by code.  A unit is `{code, kind, name, geo?, address?, boundary?}` (`boundary`:
a GeoJSON Polygon or MultiPolygon for the command map); a top-level `boundaries: FILE` names a
GeoJSON FeatureCollection of outlines keyed by unit code (server/org/boundaries.py).  Ids are derived from
codes (uuid5), so importing the same file twice updates in place and ids agree across installs.
Users (`{username, display_name, role, org_unit: <code>, password}`) are created when missing
and never overwritten, so re-importing cannot reset a changed password.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from server.db import write_transaction
from server.org import boundaries as outlines
from server.org.schema import ORG_KINDS
from server.org.tables import OrgUnit
from server.org.tree import forget_tree
from server.replication.directory import write_directory

ORG_NAMESPACE = uuid.UUID("6f1c2a53-4d3e-5b7a-9c1d-2e8f0a4b6c7d")
KINDS = set(ORG_KINDS.split())
# Which kinds may sit under which: keeps a typo from making a district a grid's child.
ALLOWED_PARENTS: dict[str, set[str | None]] = {
    "district": {None},
    "street": {"district"},
    "community": {"street"},
    "station": {"community", "street"},
    "grid": {"community"},
    "department": {"district", "street"},
    "room": {"community", "street", "district", "station"},
}


class ImportError_(ValueError):
    """The file cannot be imported; the message names the unit and the problem."""


def unit_id(code: str) -> uuid.UUID:
    return uuid.uuid5(ORG_NAMESPACE, code)


@dataclass(frozen=True)
class UnitSpec:
    code: str
    kind: str
    name: str
    parent_code: str | None
    geo: dict[str, Any] | None
    address: str | None
    #: the unit's outline (GeoJSON geometry), when the file gives one inline
    boundary: dict[str, Any] | None = None


@dataclass(frozen=True)
class UserSpec:
    username: str
    display_name: str
    role: str
    org_code: str
    password: str


def read_file(path: Path) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8")
    data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    if not isinstance(data, dict) or not isinstance(data.get("units"), list):
        raise ImportError_("the file must be an object with a `units` list")
    return data


def flatten(data: dict[str, Any]) -> tuple[list[UnitSpec], list[UserSpec]]:
    units: list[UnitSpec] = []

    def walk(items: list[Any], parent: str | None) -> None:
        for item in items:
            if not isinstance(item, dict):
                raise ImportError_(f"a unit must be an object, got {item!r}")
            code, kind, name = item.get("code"), item.get("kind"), item.get("name")
            if not isinstance(code, str) or not code or len(code) > 64:
                raise ImportError_(f"unit {item!r}: `code` must be a string of 1-64 characters")
            if kind not in KINDS:
                raise ImportError_(f"unit {code}: kind must be one of {sorted(KINDS)}")
            if not isinstance(name, str) or not name or len(name) > 200:
                raise ImportError_(f"unit {code}: `name` must be a string of 1-200 characters")
            geo = item.get("geo")
            if geo is not None and not _valid_geo(geo):
                raise ImportError_(f"unit {code}: geo must be {{lat, lng, accuracy_m?}}")
            parent_code = item.get("parent", parent)
            boundary = item.get("boundary")
            if boundary is not None:
                try:
                    outlines.check_geometry(code, boundary)
                except outlines.BoundaryError as exc:
                    raise ImportError_(str(exc)) from exc
            units.append(
                UnitSpec(code, kind, name, parent_code, geo, item.get("address"), boundary)
            )
            walk(item.get("children") or [], code)

    walk(data["units"], None)
    by_code = {u.code: u for u in units}
    if len(by_code) != len(units):
        raise ImportError_("unit codes must be unique")
    for unit in units:
        parent = by_code.get(unit.parent_code) if unit.parent_code else None
        if unit.parent_code and parent is None:
            raise ImportError_(f"unit {unit.code}: parent {unit.parent_code} is not in the file")
        if (parent.kind if parent else None) not in ALLOWED_PARENTS[unit.kind]:
            raise ImportError_(
                f"unit {unit.code}: a {unit.kind} cannot sit under "
                f"{parent.kind if parent else 'nothing'}"
            )
    users = []
    for item in data.get("users") or []:
        try:
            users.append(
                UserSpec(
                    username=str(item["username"]),
                    display_name=str(item.get("display_name") or item["username"]),
                    role=str(item["role"]),
                    org_code=str(item["org_unit"]),
                    password=str(item["password"]),
                )
            )
        except (KeyError, TypeError) as exc:
            raise ImportError_(
                f"user {item!r}: needs username, role, org_unit and password"
            ) from exc
        if users[-1].org_code not in by_code:
            raise ImportError_(f"user {users[-1].username}: org unit {users[-1].org_code} unknown")
    return units, users


def _valid_geo(geo: Any) -> bool:
    return (
        isinstance(geo, dict)
        and isinstance(geo.get("lat"), int | float)
        and isinstance(geo.get("lng"), int | float)
        and -90 <= geo["lat"] <= 90
        and -180 <= geo["lng"] <= 180
    )


async def import_units(units: list[UnitSpec]) -> dict[str, int]:
    """Create or update every unit in one transaction; returns counts."""
    existing = {
        r["code"]: r
        for r in await OrgUnit.select().where(OrgUnit.deleted.eq(False)).output(load_json=True)
    }
    created = updated = 0
    async with write_transaction():
        for unit in units:
            values: dict[str, Any] = {
                "kind": unit.kind,
                "name": unit.name,
                "parent_id": unit_id(unit.parent_code) if unit.parent_code else None,
                "code": unit.code,
                "geo": json.dumps(unit.geo) if unit.geo is not None else None,
                "address": unit.address,
            }
            old = existing.get(unit.code)
            if old is None:
                await write_directory(OrgUnit, "org_units", unit_id(unit.code), values, create=True)
                created += 1
                continue
            changed = {
                k: v
                for k, v in values.items()
                if _comparable(old.get(k)) != _comparable(json.loads(v) if k == "geo" and v else v)
            }
            if changed:
                await write_directory(OrgUnit, "org_units", old["id"], changed)
                updated += 1
    forget_tree()
    return {"created": created, "updated": updated, "unchanged": len(units) - created - updated}


def _comparable(value: Any) -> Any:
    return str(value) if isinstance(value, uuid.UUID) else value


async def import_users(users: list[UserSpec]) -> int:
    from server.accounts.services import AccountService
    from server.accounts.tables import User
    from server.settings import get_settings

    service = AccountService(get_settings(), secret_key="unused-for-user-creation")
    created = 0
    for spec in users:
        if await User.exists().where(User.username == spec.username):
            continue
        await service.create_user(
            username=spec.username,
            password=spec.password,
            display_name=spec.display_name,
            role=spec.role,
            org_unit_id=unit_id(spec.org_code),
        )
        created += 1
    return created


def read_boundaries(
    data: dict[str, Any], units: list[UnitSpec], path: Path
) -> list[outlines.Boundary]:
    """The file's outlines: its `boundaries` GeoJSON file's, then the units' inline ones."""
    demo = bool(data.get("demo"))
    found: dict[str, outlines.Boundary] = {}
    named = data.get("boundaries")
    try:
        if named is not None:
            if not isinstance(named, str) or not named:
                raise ImportError_("`boundaries` must name a GeoJSON file beside the org file")
            for b in outlines.read_geojson(path.parent / named, default_demo=demo):
                found[b.code] = b
        for unit in units:
            if unit.boundary is not None:
                found[unit.code] = outlines.Boundary(unit.code, unit.boundary, demo)
    except outlines.BoundaryError as exc:
        raise ImportError_(str(exc)) from exc
    unknown = sorted(set(found) - {u.code for u in units})
    if unknown:
        raise ImportError_(f"boundaries name units that are not in the file: {unknown[:5]}")
    return list(found.values())


async def import_file(path: Path) -> dict[str, int]:
    data = read_file(path)
    units, users = flatten(data)
    boundaries = read_boundaries(data, units, path)  # checked before anything is written
    counts = await import_units(units)
    counts["boundaries"] = await outlines.store(
        boundaries, {u.code: unit_id(u.code) for u in units}
    )
    counts["users_created"] = await import_users(users)
    return counts


DEMO_FILE = Path(__file__).parent / "data" / "guangming-demo.yaml"
