"""Stats sections: a domain adds its figures to `GET /api/command/stats` by registering a named
section computed in SQL for an org unit's subtree and a window.

    from server.command.sections import register_section
    from server.command.window import StatsWindow
    from server.command import sql

    async def agreement_figures(w: StatsWindow) -> dict[str, Any]:
        where, args = sql.among("community_id", w.communities)
        rows = await sql.fetch(
            f"SELECT status, COUNT(*) AS n FROM agreements WHERE deleted = {{}} AND {where}"
            " AND created_at >= {} AND created_at < {} GROUP BY status",
            False, *args, w.start, w.end,
        )
        return {"by_status": {r["status"]: r["n"] for r in rows}}

    register_section("agreements", agreement_figures)

The section's value appears under its name in the stats answer (beside `appeals`, `orders`,
...), is scope-checked with the rest (the window is only built for a caller who may see the
unit), and is documented in docs/command.md by its domain.  Register at import time of the
domain's spec module (server/domains.py imports it), so every app server has the same sections.
The lifecycle facts (`lifecycle_facts`: collection, record_id, field, from_value, to_value,
at, scope_org_id, ...) are there for durations and transitions.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from server.command.window import StatsWindow

Section = Callable[[StatsWindow], Awaitable[Any]]

#: the names the stats answer itself uses: a section may not shadow them
RESERVED = frozenset(
    {"org_unit_id", "from", "to", "appeals", "resolution", "orders", "warnings"}
    | {"satisfaction", "by_child"}
)

_SECTIONS: dict[str, Section] = {}


def register_section(name: str, compute: Section) -> None:
    """Add a named section (once per name; registering the same function again is harmless)."""
    if name in RESERVED:
        raise ValueError(f"{name!r} is a figure of the stats answer itself")
    known = _SECTIONS.get(name)
    if known is not None and known is not compute:
        raise ValueError(f"stats section {name!r} is already registered")
    _SECTIONS[name] = compute


def _every_domain_loaded() -> None:
    """Sections register when their domain is imported: an app server imports every domain at
    start, a Celery worker building a stored workbook (server/command/tasks.py) does not, and
    its workbook lacked the sections' figures until it asked for them here."""
    from server import specs

    specs.ensure_loaded()


def section_names() -> list[str]:
    _every_domain_loaded()
    return list(_SECTIONS)


async def compute_sections(window: StatsWindow) -> dict[str, Any]:
    """Every registered section for this window, by name, in registration order."""
    _every_domain_loaded()
    return {name: await compute(window) for name, compute in _SECTIONS.items()}
