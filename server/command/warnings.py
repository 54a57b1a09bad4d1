"""The warning figures (分级预警): warnings raised in the window on a unit of the subtree, by
level, and how fast a red one was first acknowledged."""

from __future__ import annotations

from typing import Any

from server.command import sql
from server.command.window import StatsWindow
from sync.schema import RISK_LEVELS


def raised_where(w: StatsWindow, alias: str = "wr") -> tuple[str, list[Any]]:
    """ "Raised in the window on a unit of the subtree" as SQL and arguments."""
    among, args = sql.among(f"{alias}.org_unit_id", w.units)
    return (
        f"{alias}.deleted = {{}} AND {alias}.created_at >= {{}} AND {alias}.created_at < {{}} "
        f"AND {among}",
        [False, w.start, w.end, *args],
    )


def first_acks(w: StatsWindow) -> tuple[str, list[Any]]:
    """Per warning, its first acknowledgement before `to` (a subquery: `record_id`, `at`)."""
    return (
        "SELECT record_id, MIN(at) AS at FROM lifecycle_facts WHERE collection = {} "
        "AND field = {} AND to_value IS NOT NULL AND to_value <> {} AND at >= {} AND at < {} "
        "GROUP BY record_id",
        ["warnings", "acknowledged_by", "[]", w.start, w.end],
    )


async def warning_figures(w: StatsWindow) -> dict[str, Any]:
    where, args = raised_where(w)
    raised = dict.fromkeys(RISK_LEVELS.split(), 0)
    for row in await sql.fetch(
        f"SELECT wr.level AS level, COUNT(*) AS n FROM warnings wr WHERE {where} GROUP BY wr.level",
        *args,
    ):
        if row["level"] in raised:
            raised[row["level"]] = int(row["n"])
    acks_sql, acks_args = first_acks(w)
    rows = await sql.fetch(
        sql.median_sql(
            f"SELECT {sql.hours('a.at', 'wr.created_at')} * 60.0 AS v FROM warnings wr "
            f"JOIN ({acks_sql}) a ON a.record_id = wr.id WHERE wr.level = {{}} AND {where}"
        ),
        *acks_args,
        "red",
        *args,
    )
    median = rows[0]["median"] if rows else None
    return {
        "raised": raised,
        "median_minutes_to_ack": {"red": None if median is None else round(float(median), 2)},
    }
