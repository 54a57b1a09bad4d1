"""The `agreements` section of `GET /api/command/stats` (server/command/sections.py): how many
agreements were signed, submitted to the court, confirmed and rejected in the window, the
median days from signing to the court's ruling, and the same counts per community.

Counts come from the lifecycle facts (a status change into the step, at the server's commit
time, in `[from, to)`; an agreement counts once per step even if it passed it twice, e.g.
signed, back to draft, signed again).  The median is over agreements ruled (confirmed or
rejected) in the window: from `signed_at` (the server's time of the last signing) to
`ruled_at` (the ruling's date as recorded, else the time the ruling was recorded).
"""

from __future__ import annotations

from typing import Any

from server.command import sql
from server.command.sections import register_section
from server.command.window import StatsWindow
from server.permissions import as_uuid

STEPS = ("signed", "submitted", "confirmed", "rejected")


async def agreement_figures(w: StatsWindow) -> dict[str, Any]:
    where, args = sql.among("scope_org_id", w.communities)
    steps = ", ".join("{}" for _ in STEPS)
    rows = await sql.fetch(
        "SELECT scope_org_id AS community, to_value AS step, COUNT(DISTINCT record_id) AS n "
        "FROM lifecycle_facts WHERE collection = {} AND field = {} "
        f"AND to_value IN ({steps}) AND at >= {{}} AND at < {{}} AND {where} "
        "GROUP BY scope_org_id, to_value",
        "agreements",
        "status",
        *STEPS,
        w.start,
        w.end,
        *args,
    )
    totals = dict.fromkeys(STEPS, 0)
    per_community: dict[str, dict[str, int]] = {}
    for row in rows:
        step, count = str(row["step"]), int(row["n"])
        totals[step] += count
        community = per_community.setdefault(str(row["community"]), dict.fromkeys(STEPS, 0))
        community[step] += count
    return {
        **totals,
        "median_days_signing_to_ruling": await _median_days(w),
        "by_community": [
            {"org_unit_id": unit_id, "name": _name(w, unit_id), **counts}
            for unit_id, counts in sorted(per_community.items(), key=lambda kv: _name(w, kv[0]))
        ],
    }


async def _median_days(w: StatsWindow) -> float | None:
    where, args = sql.among("a.community_id", w.communities)
    ruled = (
        "SELECT record_id, MIN(at) AS at FROM lifecycle_facts WHERE collection = {} "
        "AND field = {} AND to_value IN ({}, {}) AND at >= {} AND at < {} GROUP BY record_id"
    )
    days = sql.hours("COALESCE(a.ruled_at, r.at)", "a.signed_at")
    values = (
        f"SELECT {days} / 24.0 AS v FROM agreements a JOIN ({ruled}) r ON r.record_id = a.id "
        f"WHERE a.deleted = {{}} AND a.signed_at IS NOT NULL AND {where}"
    )
    rows = await sql.fetch(
        sql.median_sql(values),
        "agreements",
        "status",
        "confirmed",
        "rejected",
        w.start,
        w.end,
        False,
        *args,
    )
    median = rows[0]["median"] if rows else None
    return round(float(median), 1) if median is not None else None


def _name(w: StatsWindow, unit_id: str) -> str:
    unit = w.tree.get(as_uuid(unit_id))
    return unit.name if unit is not None else ""


register_section("agreements", agreement_figures)
