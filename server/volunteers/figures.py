"""The `volunteers` section of `GET /api/command/stats` (server/command/sections.py): for an
org unit's subtree and a window, computed in SQL on both engines —

- `registered`: active volunteer accounts in the subtree's communities (now);
- `active`: volunteers who made at least one report in the window;
- `reports_made`, `reports_accepted` (a report's status became `accepted` in the window, from
  the lifecycle facts), `points` (points entries written in the window);
- `awarded_fen` (awards less reversals entered in the window), `paid_fen` (payout entries);
- `by_month` (Beijing-time months, `YYYY-MM`) and `by_community`, the same figures broken down.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from server.command import sql
from server.command.sections import register_section
from server.command.window import StatsWindow

FIGURES = ("reports_made", "reports_accepted", "points", "awarded_fen", "paid_fen")


def month_of(column: str) -> str:
    """A timestamp column as its Beijing-time month, `YYYY-MM` (China has no summer time)."""
    if sql.is_postgres():
        return f"to_char(({column}) AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM')"
    return f"strftime('%Y-%m', {column}, '+8 hours')"


def _queries(w: StatsWindow) -> dict[str, tuple[str, list[Any]]]:
    """Per figure: SQL yielding (community_id, month, value) rows for the window."""
    reports_in, report_args = sql.among("r.community_id", w.communities)
    points_in, points_args = sql.among("p.community_id", w.communities)
    awards_in, award_args = sql.among("a.community_id", w.communities)
    window = [w.start, w.end]
    return {
        "reports_made": (
            f"SELECT r.community_id AS community_id, {month_of('r.created_at')} AS month,"
            " COUNT(*) AS value FROM reports r WHERE r.deleted = {} AND r.created_at >= {}"
            f" AND r.created_at < {{}} AND {reports_in} GROUP BY 1, 2",
            [False, *window, *report_args],
        ),
        "reports_accepted": (
            f"SELECT r.community_id AS community_id, {month_of('f.at')} AS month,"
            " COUNT(DISTINCT f.record_id) AS value FROM lifecycle_facts f"
            " JOIN reports r ON r.id = f.record_id"
            " WHERE f.collection = {} AND f.field = {} AND f.to_value = {}"
            f" AND f.at >= {{}} AND f.at < {{}} AND {reports_in} GROUP BY 1, 2",
            ["reports", "status", "accepted", *window, *report_args],
        ),
        "points": (
            f"SELECT p.community_id AS community_id, {month_of('p.created_at')} AS month,"
            " SUM(p.points) AS value FROM volunteer_points p"
            f" WHERE p.created_at >= {{}} AND p.created_at < {{}} AND {points_in} GROUP BY 1, 2",
            [*window, *points_args],
        ),
        "awarded_fen": (
            f"SELECT a.community_id AS community_id, {month_of('l.created_at')} AS month,"
            " SUM(l.amount_fen) AS value FROM incentive_ledger l"
            " JOIN incentive_awards a ON a.id = l.award_id"
            " WHERE l.kind IN ({}, {}) AND l.created_at >= {} AND l.created_at < {}"
            f" AND {awards_in} GROUP BY 1, 2",
            ["award", "reversal", *window, *award_args],
        ),
        "paid_fen": (
            f"SELECT a.community_id AS community_id, {month_of('l.created_at')} AS month,"
            " SUM(l.amount_fen) AS value FROM incentive_ledger l"
            " JOIN incentive_awards a ON a.id = l.award_id"
            " WHERE l.kind = {} AND l.created_at >= {} AND l.created_at < {}"
            f" AND {awards_in} GROUP BY 1, 2",
            ["payout", *window, *award_args],
        ),
    }


async def volunteer_figures(w: StatsWindow) -> dict[str, Any]:
    totals: dict[str, int] = dict.fromkeys(FIGURES, 0)
    by_month: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(FIGURES, 0))
    by_community: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(FIGURES, 0))
    for figure, (query, args) in _queries(w).items():
        for row in await sql.fetch(query, *args):
            value = int(row["value"] or 0)
            totals[figure] += value
            by_month[str(row["month"])][figure] += value
            by_community[str(row["community_id"])][figure] += value

    users_in, user_args = sql.among("u.org_unit_id", w.communities)
    reports_in, report_args = sql.among("r.community_id", w.communities)
    [registered] = await sql.fetch(
        "SELECT COUNT(*) AS n FROM users u WHERE u.role = {} AND u.active = {}"
        f" AND u.deleted = {{}} AND {users_in}",
        "volunteer",
        True,
        False,
        *user_args,
    )
    [active] = await sql.fetch(
        "SELECT COUNT(DISTINCT r.created_by) AS n FROM reports r WHERE r.deleted = {}"
        f" AND r.created_at >= {{}} AND r.created_at < {{}} AND {reports_in}",
        False,
        w.start,
        w.end,
        *report_args,
    )
    names = {str(u.id): u.name for u in (w.tree.get(c) for c in w.communities) if u is not None}
    return {
        "registered": int(registered["n"]),
        "active": int(active["n"]),
        **totals,
        "by_month": [{"month": m, **by_month[m]} for m in sorted(by_month)],
        "by_community": [
            {"community_id": c, "name": names.get(c, ""), **by_community[c]}
            for c in sorted(by_community, key=lambda c: names.get(c, c))
        ],
    }


register_section("volunteers", volunteer_figures)
