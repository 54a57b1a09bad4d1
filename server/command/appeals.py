"""The appeals figures: what came in, what was resolved and how fast, how residents rated it.

Every figure is over the disputes *received* in the window: created in `[from, to)` (server
time) in a community of the subtree, not deleted (a withdrawn dispute counts; a deleted one
was made in error).  "Before `to`" everywhere, so a past month's figures are the same whenever
they are asked for (docs/command.md, "Definitions").
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from server.command import sql
from server.command.window import StatsWindow
from server.disputes.schema import DISPUTES, SATISFACTION_LEVELS

#: a dispute counts as resolved once it reaches one of these
RESOLVED_STATES = ("resolved", "closed")
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


def resolved_facts(w: StatsWindow) -> tuple[str, list[Any]]:
    """Per dispute, when it first reached resolved/closed within the window (a subquery with
    `record_id`, `at`)."""
    states = ", ".join("{}" for _ in RESOLVED_STATES)
    return (
        "SELECT record_id, MIN(at) AS at FROM lifecycle_facts WHERE collection = {} "
        f"AND field = {{}} AND to_value IN ({states}) AND at >= {{}} AND at < {{}} "
        "GROUP BY record_id",
        ["disputes", "status", *RESOLVED_STATES, w.start, w.end],
    )


def first_actions(w: StatsWindow) -> tuple[str, list[Any]]:
    """Every action on a dispute within the window (a subquery with `dispute_id`, `at`): a
    status change after registration (the first one leaves the initial state, so only facts
    from `registered` can be first), a visit or mediation, a dispatch order citing it."""
    return (
        "SELECT record_id AS dispute_id, at FROM lifecycle_facts WHERE collection = {} "
        "AND field = {} AND from_value = {} AND at >= {} AND at < {} "
        "UNION ALL SELECT dispute_id, created_at AS at FROM visits "
        "WHERE deleted = {} AND created_at >= {} AND created_at < {} "
        "UNION ALL SELECT dispute_id, created_at AS at FROM dispatch_orders "
        "WHERE deleted = {} AND dispute_id IS NOT NULL AND created_at >= {} AND created_at < {}",
        [
            "disputes",
            "status",
            DISPUTES.initial_states["status"],
            w.start,
            w.end,
            False,
            w.start,
            w.end,
            False,
            w.start,
            w.end,
        ],
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
    where, args = received_where(w)
    resolved_sql, resolved_args = resolved_facts(w)
    for row in await sql.fetch(
        "SELECT d.community_id AS community, COUNT(*) AS received, COUNT(r.at) AS resolved "
        f"FROM disputes d LEFT JOIN ({resolved_sql}) r ON r.record_id = d.id "
        f"WHERE {where} GROUP BY d.community_id",
        *resolved_args,
        *args,
    ):
        community = _uuid(row["community"])
        out.per_community[community] = [int(row["received"]), int(row["resolved"])]
        out.received += int(row["received"])
        out.resolved += int(row["resolved"])
    out.median_hours_to_resolve = await _median(
        f"SELECT {sql.hours('r.at', 'd.created_at')} AS v "
        f"FROM disputes d JOIN ({resolved_sql}) r ON r.record_id = d.id WHERE {where}",
        [*resolved_args, *args],
    )
    actions_sql, actions_args = first_actions(w)
    out.median_hours_to_first_action = await _median(
        f"SELECT {sql.hours('MIN(a.at)', 'd.created_at')} AS v "
        f"FROM disputes d JOIN ({actions_sql}) a ON a.dispute_id = d.id "
        f"WHERE {where} GROUP BY d.id, d.created_at",
        [*actions_args, *args],
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
    """PostgreSQL: every appeals figure in one statement and one scan of the month's disputes
    (docs/performance.md): each received dispute once with its resolution time, its first
    action and its last rating, then counted by GROUPING SETS and the medians by
    percentile_cont.  The same definitions as the portable queries below (SQLite), which the
    tests hold both engines to."""
    where, args = received_where(w)
    resolved_sql, resolved_args = resolved_facts(w)
    actions_sql, actions_args = first_actions(w)
    columns = [c for _, c in _SETS]
    grouping = f"GROUPING({', '.join(columns)})"
    sets = ", ".join(f"({c})" for c in columns)
    statement = (
        f"WITH r AS ({resolved_sql}), "
        f"a AS (SELECT dispute_id, MIN(at) AS at FROM ({actions_sql}) AS x GROUP BY dispute_id), "
        "s AS (SELECT DISTINCT ON (record_id) record_id, to_value FROM lifecycle_facts "
        "WHERE collection = {} AND field = {} AND at >= {} AND at < {} "
        "ORDER BY record_id, at DESC, id DESC), "
        "d AS MATERIALIZED (SELECT d.community_id, d.service_type, d.channel, d.category, "
        f"d.risk_level, s.to_value AS rating, {sql.hours('r.at', 'd.created_at')} AS resolve_h, "
        f"{sql.hours('a.at', 'd.created_at')} AS first_h FROM disputes d "
        "LEFT JOIN r ON r.record_id = d.id LEFT JOIN a ON a.dispute_id = d.id "
        f"LEFT JOIN s ON s.record_id = d.id WHERE {where}) "
        f"SELECT {grouping} AS g, community_id::text AS community, "
        f"{', '.join(columns[1:])}, rating, COUNT(*) AS n, COUNT(resolve_h) AS resolved, "
        "NULL::float8 AS resolve_median, NULL::float8 AS first_median "
        f"FROM d GROUP BY GROUPING SETS ({sets}, (rating)) "
        f"UNION ALL SELECT -1, NULL, {', '.join('NULL' for _ in columns[1:])}, NULL, 0, 0, "
        "percentile_cont(0.5) WITHIN GROUP (ORDER BY resolve_h), "
        "percentile_cont(0.5) WITHIN GROUP (ORDER BY first_h) FROM d"
    )
    rows = await sql.fetch_big(
        statement,
        *resolved_args,
        *actions_args,
        "disputes",
        "satisfaction",
        w.start,
        w.end,
        *args,
    )
    out = AppealFigures()
    out.by = _zero_breakdowns()
    ratings = dict.fromkeys(SATISFACTION_LEVELS.split(), 0)
    full = (1 << len(columns)) - 1  # GROUPING() of a row grouped by none of the columns
    for row in rows:
        g = int(row["g"])
        if g == -1:
            out.median_hours_to_resolve = _rounded(row["resolve_median"])
            out.median_hours_to_first_action = _rounded(row["first_median"])
            continue
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
    rows = await sql.fetch(
        "SELECT f.to_value AS level, COUNT(*) AS n FROM disputes d "
        "JOIN lifecycle_facts f ON f.record_id = d.id "
        "WHERE f.collection = {} AND f.field = {} AND f.at >= {} AND f.at < {} "
        "AND NOT EXISTS (SELECT 1 FROM lifecycle_facts g WHERE g.record_id = f.record_id "
        "AND g.field = f.field AND g.collection = f.collection AND g.at < {} "
        "AND (g.at > f.at OR (g.at = f.at AND g.id > f.id))) "
        f"AND {where} GROUP BY f.to_value",
        "disputes",
        "satisfaction",
        w.start,
        w.end,
        w.end,
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
