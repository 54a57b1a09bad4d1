"""The dispatch-order figures (社区发令，部门执行; 双向考核): orders *issued* in the window
(created in `[from, to)` by a community of the subtree), how their departments arrived, and how
each side rated the other.

One grouped query (per department and community) gives every count; the totals, the
department scorecard and the per-child figures are sums of its rows.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from server.command import sql
from server.command.window import StatsWindow
from server.dispatch.checkin import CHECKIN_FLAGGED, CHECKIN_OK, CHECKIN_VERIFIED
from server.dispatch.schema import LEADER_LEVELS

COUNTS = (
    "issued",
    "arrived",
    "arrived_on_time",
    "arrived_flagged",
    "leader_level_met",
    "overdue",
    "escalated_to_street",
    "escalated_to_district",
    "community_rating_sum",
    "community_rated",
    "department_rating_sum",
    "department_rated",
)


def issued_where(w: StatsWindow, alias: str = "o") -> tuple[str, list[Any]]:
    """ "Issued in the window, by a community of the subtree" as SQL and arguments."""
    among, args = sql.among(f"{alias}.community_id", w.communities)
    return (
        f"{alias}.deleted = {{}} AND {alias}.created_at >= {{}} AND {alias}.created_at < {{}} "
        f"AND {among}",
        [False, w.start, w.end, *args],
    )


def _rank(expr: str) -> str:
    """A leader level's rank (staff 1 … bureau 6) as SQL; 0 for none or unknown."""
    whens = " ".join(
        f"WHEN '{level}' THEN {rank}" for rank, level in enumerate(LEADER_LEVELS.split(), 1)
    )
    return f"(CASE {expr} {whens} ELSE 0 END)"


def conditions(w: StatsWindow, alias: str = "o") -> dict[str, tuple[str, list[Any]]]:
    """Each order figure as an SQL condition on one order (and its arguments), for the counts
    and for the drill-down lists alike."""
    checked_in = f"{alias}.arrival_received_at IS NOT NULL AND {alias}.arrival_received_at < {{}}"
    reported = sql.timestamp(sql.json_text(f"{alias}.arrival", "at"))
    leader = sql.json_text(f"{alias}.arrival", "leader_level")
    return {
        "issued": ("1 = 1", []),
        "arrived": (checked_in, [w.end]),
        "arrived_on_time": (
            f"{checked_in} AND {alias}.checkin_status IN ({{}}, {{}}) "
            f"AND {reported} <= {sql.comparable(f'{alias}.arrive_by')}",
            [w.end, CHECKIN_OK, CHECKIN_VERIFIED],
        ),
        "arrived_flagged": (
            f"{checked_in} AND {alias}.checkin_status = {{}}",
            [w.end, CHECKIN_FLAGGED],
        ),
        "leader_level_met": (
            f"{checked_in} AND {_rank(leader)} >= {_rank(f'{alias}.required_leader_level')}",
            [w.end],
        ),
        "overdue": (f"{alias}.overdue = {{}}", [True]),
        "escalated_to_street": (
            f"{alias}.escalation_level IN ({{}}, {{}})",
            ["street", "district"],
        ),
        "escalated_to_district": (f"{alias}.escalation_level = {{}}", ["district"]),
    }


@dataclass
class OrderCounts:
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTS, 0))

    def add(self, row: dict[str, Any]) -> None:
        for name in COUNTS:
            self.counts[name] += int(row[name] or 0)

    def on_time_rate(self) -> float | None:
        return sql.rate(self.counts["arrived_on_time"], self.counts["issued"])

    def mean(self, side: str) -> float | None:
        rated = self.counts[f"{side}_rated"]
        return round(self.counts[f"{side}_rating_sum"] / rated, 2) if rated else None


@dataclass
class OrderFigures:
    total: OrderCounts = field(default_factory=OrderCounts)
    by_department: dict[UUID, OrderCounts] = field(default_factory=lambda: defaultdict(OrderCounts))
    by_community: dict[UUID, OrderCounts] = field(default_factory=lambda: defaultdict(OrderCounts))

    def as_json(self, w: StatsWindow) -> dict[str, Any]:
        c = self.total.counts
        departments = []
        for department_id, counts in sorted(
            self.by_department.items(), key=lambda kv: (-kv[1].counts["issued"], str(kv[0]))
        ):
            unit = w.tree.get(department_id)
            departments.append(
                {
                    "department_id": str(department_id),
                    "name": unit.name if unit else None,
                    "issued": counts.counts["issued"],
                    "arrived_on_time": counts.counts["arrived_on_time"],
                    "on_time_rate": counts.on_time_rate(),
                    "leader_level_met_rate": sql.rate(
                        counts.counts["leader_level_met"], counts.counts["arrived"]
                    ),
                    "overdue": counts.counts["overdue"],
                    "mean_community_rating": counts.mean("community"),
                    "mean_department_rating": counts.mean("department"),
                }
            )
        return {
            "issued": c["issued"],
            "arrived": c["arrived"],
            "arrived_on_time": c["arrived_on_time"],
            "arrived_flagged": c["arrived_flagged"],
            "on_time_rate": self.total.on_time_rate(),
            "leader_level_met_rate": sql.rate(c["leader_level_met"], c["arrived"]),
            "overdue": c["overdue"],
            "escalated_to_street": c["escalated_to_street"],
            "escalated_to_district": c["escalated_to_district"],
            "by_department": departments,
        }


async def order_figures(w: StatsWindow) -> OrderFigures:
    where, args = issued_where(w)
    sums, sum_args = [], []
    for name, (condition, cond_args) in conditions(w).items():
        sums.append(f"SUM(CASE WHEN {condition} THEN 1 ELSE 0 END) AS {name}")
        sum_args += cond_args
    rows = await sql.fetch(
        "SELECT o.department_id AS department, o.community_id AS community, "
        f"{', '.join(sums)}, "
        "SUM(o.community_rating) AS community_rating_sum, "
        "COUNT(o.community_rating) AS community_rated, "
        "SUM(o.department_rating) AS department_rating_sum, "
        "COUNT(o.department_rating) AS department_rated "
        f"FROM dispatch_orders o WHERE {where} GROUP BY o.department_id, o.community_id",
        *sum_args,
        *args,
    )
    out = OrderFigures()
    for row in rows:
        out.total.add(row)
        out.by_department[_uuid(row["department"])].add(row)
        out.by_community[_uuid(row["community"])].add(row)
    return out


def _uuid(value: Any) -> UUID:
    return value if isinstance(value, UUID) else UUID(str(value))
