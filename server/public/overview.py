"""Public figures (一体化公开): for a district, street or community, the last 12 months by month
and the same 12 months per child unit — received, resolved, resolution rate, on-time rate and
satisfied rate.  No personal data, no titles: counts and rates only.

Every number comes from the command view's own computation (`server/command/stats.py`,
`command_stats` over the same window), so the public page and the supervisors' statistics can
never disagree about the same unit and month.  Months are calendar months in UTC, as the
command view's monthly report counts them.
"""

from __future__ import annotations

import hashlib
import itertools
import time
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import msgspec

from server.command.stats import command_stats
from server.command.window import SCOPING_KINDS, StatsWindow
from server.http.errors import ApiError
from server.org.tree import OrgTree, Unit, load_tree
from server.permissions import as_uuid

MONTHS = 12
#: seconds a computed overview is reused by this process (and may be cached by browsers)
FRESH_SECONDS = 300

_cache: dict[tuple[UUID, str], tuple[float, bytes, str]] = {}


def month_starts(now: datetime, count: int = MONTHS) -> list[datetime]:
    """The first instants of the last `count` calendar months, oldest first, plus the next."""
    year, month = now.year, now.month
    starts = []
    for _ in range(count + 1):
        starts.append(datetime(year, month, 1, tzinfo=UTC))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    starts.reverse()
    last = starts[-1]
    following = datetime(last.year + (last.month == 12), last.month % 12 + 1, 1, tzinfo=UTC)
    return [*starts[1:], following]


def window(tree: OrgTree, unit: Unit, start: datetime, end: datetime) -> StatsWindow:
    below = tuple(u for u in tree.units if tree.is_within(u, unit.id))
    communities = tuple(u for u in below if tree.units[u].kind == "community")
    return StatsWindow(unit, tree, start, end, below, communities)


def figures(stats: dict[str, Any]) -> dict[str, Any]:
    """The public subset of one command-stats answer."""
    return {
        "received": stats["appeals"]["received"],
        "resolved": stats["resolution"]["resolved"],
        "resolution_rate": stats["resolution"]["resolution_rate"],
        "on_time_rate": stats["orders"]["on_time_rate"],
        "satisfied_rate": stats["satisfaction"]["satisfied_rate"],
    }


async def compute(tree: OrgTree, unit: Unit, now: datetime) -> dict[str, Any]:
    starts = month_starts(now)
    months = []
    for start, end in itertools.pairwise(starts):
        stats = await command_stats(window(tree, unit, start, end))
        months.append({"month": f"{start:%Y-%m}", **figures(stats)})
    first, last = starts[0], starts[-1]
    children = sorted(
        (u for u in tree.units.values() if u.parent_id == unit.id and u.kind in SCOPING_KINDS),
        key=lambda u: u.code,
    )
    per_child = []
    for child in children:
        stats = await command_stats(window(tree, child, first, last))
        per_child.append(
            {"org_unit_id": str(child.id), "name": child.name, "kind": child.kind, **figures(stats)}
        )
    total = figures(await command_stats(window(tree, unit, first, last)))
    return {
        "org_unit_id": str(unit.id),
        "name": unit.name,
        "kind": unit.kind,
        "from": f"{first:%Y-%m-%dT%H:%M:%SZ}",
        "to": f"{last:%Y-%m-%dT%H:%M:%SZ}",
        "months": months,
        "total": total,
        "children": per_child,
    }


async def overview(org_unit_id: str | None) -> tuple[bytes, str]:
    """The overview as JSON bytes and its ETag (reused for FRESH_SECONDS per unit and month)."""
    tree = await load_tree()
    if org_unit_id is None:
        unit = next((u for u in tree.units.values() if u.kind == "district"), None)
    else:
        unit = tree.get(as_uuid(org_unit_id))
    if unit is None or unit.kind not in SCOPING_KINDS:
        raise ApiError(
            400,
            "invalid_request",
            "请选择区、街道或社区 (org_unit_id must name a district, street or community)",
            {"field": "org_unit_id"},
        )
    now = datetime.now(UTC)
    key = (unit.id, f"{now:%Y-%m}")
    hit = _cache.get(key)
    if hit is not None and time.monotonic() - hit[0] < FRESH_SECONDS:
        return hit[1], hit[2]
    body = msgspec.json.encode(await compute(tree, unit, now))
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    _cache[key] = (time.monotonic(), body, etag)
    return body, etag


def forget() -> None:
    """Drop the cached overviews (tests that add records and read again at once)."""
    _cache.clear()
