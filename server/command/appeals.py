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
    status change after registration, a visit or mediation, a dispatch order citing it."""
    return (
        "SELECT record_id AS dispute_id, at FROM lifecycle_facts WHERE collection = {} "
        "AND field = {} AND from_value IS NOT NULL AND at >= {} AND at < {} "
        "UNION ALL SELECT dispute_id, created_at AS at FROM visits "
        "WHERE deleted = {} AND created_at >= {} AND created_at < {} "
        "UNION ALL SELECT dispute_id, created_at AS at FROM dispatch_orders "
        "WHERE deleted = {} AND dispute_id IS NOT NULL AND created_at >= {} AND created_at < {}",
        ["disputes", "status", w.start, w.end, False, w.start, w.end, False, w.start, w.end],
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
    out: dict[str, dict[str, int]] = {
        name: dict.fromkeys(DISPUTES.fields[column].enum or (), 0)
        for name, column in BREAKDOWNS.items()
    }
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
    rated = sum(counts.values())
    return {
        "rated": rated,
        **counts,
        "satisfied_rate": sql.rate(counts["satisfied"] + counts["basically_satisfied"], rated),
    }


async def _median(values_sql: str, args: list[Any]) -> float | None:
    rows = await sql.fetch(sql.median_sql(values_sql), *args)
    value = rows[0]["median"] if rows else None
    return None if value is None else round(float(value), 2)


def _uuid(value: Any) -> UUID:
    return value if isinstance(value, UUID) else UUID(str(value))
