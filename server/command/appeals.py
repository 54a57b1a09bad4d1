"""The appeals figures: what came in, what was resolved and how fast, how residents rated it.

Every figure is over the disputes *received* in the window: created in `[from, to)` (server
time) in a community of the subtree, not deleted (a withdrawn dispute counts; a deleted one
was made in error).  "Before `to`" everywhere, so a past month's figures are the same whenever
they are asked for (docs/command.md, "Definitions").

What each figure needs of one dispute (its first action, first resolution, last rating) is
kept on its row when the facts are written (server/disputes/milestones.py), so the figures
are a scan of the window's disputes with no aggregation over the facts per request.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from server.command import sql
from server.command.window import StatsWindow
from server.disputes.milestones import RESOLVED_STATES as MILESTONE_RESOLVED_STATES
from server.disputes.schema import DISPUTES, SATISFACTION_LEVELS

#: a dispute counts as resolved once it reaches one of these
RESOLVED_STATES = MILESTONE_RESOLVED_STATES
#: the breakdowns of `appeals`, by dispute field
BREAKDOWNS = {
    "by_service_type": "service_type",
    "by_channel": "channel",
    "by_category": "category",
    "by_risk_level": "risk_level",
}
#: the key of a breakdown for records that leave its field empty
UNSPECIFIED = "unspecified"


def received_where(w: StatsWindow, alias: str = "d") -> tuple[str, list[Any]]:
    """The SQL condition (and its arguments) of "received in the window, in the subtree"."""
    among, args = sql.among(f"{alias}.community_id", w.communities)
    return (
        f"{alias}.deleted = {{}} AND {alias}.created_at >= {{}} AND {alias}.created_at < {{}} "
        f"AND {among}",
        [False, w.start, w.end, *args],
    )


def resolved_by_end(w: StatsWindow, alias: str = "d") -> tuple[str, list[Any]]:
    """ "Reached resolved or closed before `to`" of a received dispute: its first resolution
    (`resolved_at`, kept at write time: server/disputes/milestones.py) is before `to`.  (It
    cannot be before `from`: a dispute is resolved after it is created.)"""
    return f"{alias}.resolved_at IS NOT NULL AND {alias}.resolved_at < {{}}", [w.end]


def acted_by_end(w: StatsWindow, alias: str = "d") -> tuple[str, list[Any]]:
    """ "Had its first action (a status change out of `registered`, a visit, a dispatch order
    citing it) before `to`"."""
    return (
        f"{alias}.first_action_at IS NOT NULL AND {alias}.first_action_at < {{}}",
        [w.end],
    )


def rating_by_end(w: StatsWindow, alias: str = "d") -> tuple[str, list[Any]]:
    """A received dispute's satisfaction as last recorded before `to` (an SQL expression): the
    last rating kept on the row when it was rated before `to`; none when first rated at or
    after `to` (kept on the row too: a month's late callbacks cost no lookup); for the few
    rated before `to` and again since, their last rating fact of the window."""
    return (
        f"(CASE WHEN {alias}.rated_at IS NULL THEN NULL "
        f"WHEN {alias}.rated_at < {{}} THEN {alias}.last_rating "
        f"WHEN {alias}.first_rated_at >= {{}} THEN NULL "
        "ELSE (SELECT f.to_value FROM lifecycle_facts f WHERE f.record_id = "
        f"{alias}.id AND f.field = {{}} AND f.collection = {{}} AND f.at >= {{}} "
        "AND f.at < {} ORDER BY f.at DESC, f.id DESC LIMIT 1) END)",
        [w.end, w.end, "satisfaction", "disputes", w.start, w.end],
    )


def _per_dispute(w: StatsWindow) -> tuple[str, list[Any]]:
    """Each received dispute once, with what the figures count of it: its breakdown fields,
    its rating, and hours to resolve / to the first action (NULL when not before `to`)."""
    where, args = received_where(w)
    resolved, resolved_args = resolved_by_end(w)
    acted, acted_args = acted_by_end(w)
    rating, rating_args = rating_by_end(w)
    return (
        "SELECT d.community_id, d.service_type, d.channel, d.category, d.risk_level, "
        f"{rating} AS rating, "
        f"CASE WHEN {resolved} THEN {sql.hours('d.resolved_at', 'd.created_at')} END "
        "AS resolve_h, "
        f"CASE WHEN {acted} THEN {sql.hours('d.first_action_at', 'd.created_at')} END "
        f"AS first_h FROM disputes d WHERE {where}",
        [*rating_args, *resolved_args, *acted_args, *args],
    )


@dataclass
class AppealFigures:
    received: int = 0
    resolved: int = 0
    by: dict[str, dict[str, int]] = field(default_factory=dict)
    #: per community: (received, resolved)
    per_community: dict[UUID, list[int]] = field(
        default_factory=lambda: defaultdict(lambda: [0, 0])
    )
    median_hours_to_first_action: float | None = None
    median_hours_to_resolve: float | None = None
    satisfaction: dict[str, Any] = field(default_factory=dict)

    def appeals(self) -> dict[str, Any]:
        return {"received": self.received, **self.by}

    def resolution(self) -> dict[str, Any]:
        return {
            "resolved": self.resolved,
            "resolution_rate": sql.rate(self.resolved, self.received),
            "median_hours_to_first_action": self.median_hours_to_first_action,
            "median_hours_to_resolve": self.median_hours_to_resolve,
        }


async def appeal_figures(w: StatsWindow) -> AppealFigures:
    if sql.is_postgres():
        return await _one_pass(w)
    out = AppealFigures()
    out.by = await _breakdowns(w)
    rows_sql, rows_args = _per_dispute(w)
    for row in await sql.fetch(
        "SELECT community_id AS community, COUNT(*) AS received, COUNT(resolve_h) AS resolved "
        f"FROM ({rows_sql}) AS d GROUP BY community_id",
        *rows_args,
    ):
        community = _uuid(row["community"])
        out.per_community[community] = [int(row["received"]), int(row["resolved"])]
        out.received += int(row["received"])
        out.resolved += int(row["resolved"])
    out.median_hours_to_resolve = await _median(
        f"SELECT resolve_h AS v FROM ({rows_sql}) AS d", rows_args
    )
    out.median_hours_to_first_action = await _median(
        f"SELECT first_h AS v FROM ({rows_sql}) AS d", rows_args
    )
    out.satisfaction = await satisfaction(w)
    return out


def _zero_breakdowns() -> dict[str, dict[str, int]]:
    return {
        name: dict.fromkeys(DISPUTES.fields[column].enum or (), 0)
        for name, column in BREAKDOWNS.items()
    }


#: the grouping sets of the one-pass query, in order: (name, column)
_SETS = (("community", "community_id"), *((n, c) for n, c in BREAKDOWNS.items()))


async def _one_pass(w: StatsWindow) -> AppealFigures:
    """PostgreSQL: every appeals figure in two statements run side by side, each one scan of
    the month's disputes with their milestones (kept on the row at write time; no join, no
    aggregation over the facts): the counts by GROUPING SETS, the two medians by
    percentile_cont (docs/performance.md).  The same definitions as the portable queries
    (SQLite), which the tests hold both engines to."""
    rows_sql, rows_args = _per_dispute(w)
    columns = [c for _, c in _SETS]
    grouping = f"GROUPING({', '.join(columns)})"
    sets = ", ".join(f"({c})" for c in columns)
    counts = (
        f"SELECT {grouping} AS g, community_id::text AS community, "
        f"{', '.join(columns[1:])}, rating, COUNT(*) AS n, COUNT(resolve_h) AS resolved "
        f"FROM ({rows_sql}) AS d GROUP BY GROUPING SETS ({sets}, (rating))"
    )
    medians = (
        "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY resolve_h) AS resolve_median, "
        "percentile_cont(0.5) WITHIN GROUP (ORDER BY first_h) AS first_median "
        f"FROM ({rows_sql}) AS d"
    )
    if sql.side_by_side():
        rows, middle = await asyncio.gather(
            sql.fetch_big(counts, *rows_args), sql.fetch_big(medians, *rows_args)
        )
    else:
        rows = await sql.fetch_big(counts, *rows_args)
        middle = await sql.fetch_big(medians, *rows_args)
    out = AppealFigures()
    out.by = _zero_breakdowns()
    ratings = dict.fromkeys(SATISFACTION_LEVELS.split(), 0)
    full = (1 << len(columns)) - 1  # GROUPING() of a row grouped by none of the columns
    if middle:
        out.median_hours_to_resolve = _rounded(middle[0]["resolve_median"])
        out.median_hours_to_first_action = _rounded(middle[0]["first_median"])
    for row in rows:
        g = int(row["g"])
        if g == full:  # the (rating) set
            if row["rating"] in ratings:
                ratings[row["rating"]] += int(row["n"])
            continue
        index = next(i for i, _ in enumerate(columns) if not g & (1 << (len(columns) - 1 - i)))
        name, column = _SETS[index]
        if name == "community":
            out.per_community[_uuid(row["community"])] = [int(row["n"]), int(row["resolved"])]
            out.received += int(row["n"])
            out.resolved += int(row["resolved"])
        else:
            key = row[column] if row[column] is not None else UNSPECIFIED
            out.by[name][key] = out.by[name].get(key, 0) + int(row["n"])
    out.satisfaction = _satisfaction_figures(ratings)
    return out


def _rounded(value: Any) -> float | None:
    return None if value is None else round(float(value), 2)


async def _breakdowns(w: StatsWindow) -> dict[str, dict[str, int]]:
    """Received disputes counted by each breakdown field: known values first (zero-filled, so
    charts keep their categories), then `unspecified` when some left it empty."""
    where, args = received_where(w)
    parts, all_args = [], []
    for name, column in BREAKDOWNS.items():
        parts.append(
            f"SELECT {{}} AS dim, d.{column} AS value, COUNT(*) AS n FROM disputes d "
            f"WHERE {where} GROUP BY d.{column}"
        )
        all_args += [name, *args]
    out = _zero_breakdowns()
    for row in await sql.fetch(" UNION ALL ".join(parts), *all_args):
        key = row["value"] if row["value"] is not None else UNSPECIFIED
        out[row["dim"]][key] = out[row["dim"]].get(key, 0) + int(row["n"])
    return out


async def satisfaction(w: StatsWindow) -> dict[str, Any]:
    """The callback results of the disputes received in the window, each as last recorded
    before `to`.  `satisfied_rate` = (satisfied + basically_satisfied) / rated, as the
    callback statistics count 满意 (满意 + 基本满意)."""
    where, args = received_where(w)
    rating, rating_args = rating_by_end(w)
    rows = await sql.fetch(
        f"SELECT {rating} AS level, COUNT(*) AS n FROM disputes d "
        f"WHERE d.rated_at IS NOT NULL AND {where} GROUP BY 1",
        *rating_args,
        *args,
    )
    counts = dict.fromkeys(SATISFACTION_LEVELS.split(), 0)
    for row in rows:
        if row["level"] in counts:
            counts[row["level"]] += int(row["n"])
    return _satisfaction_figures(counts)


def _satisfaction_figures(counts: dict[str, int]) -> dict[str, Any]:
    rated = sum(counts.values())
    return {
        "rated": rated,
        **counts,
        "satisfied_rate": sql.rate(counts["satisfied"] + counts["basically_satisfied"], rated),
    }


async def _median(values_sql: str, args: list[Any]) -> float | None:
    rows = await sql.fetch(sql.median_sql(values_sql), *args)
    return _rounded(rows[0]["median"] if rows else None)


def _uuid(value: Any) -> UUID:
    return value if isinstance(value, UUID) else UUID(str(value))
