"""Drill-down: the records behind a figure (`GET /api/command/records`).

Each figure of the stats answer that counts records is named here as `<section>.<figure>`
(`appeals.received`, `orders.arrived_flagged`, `warnings.raised`, ...) with the SQL condition
that picks its records, the same condition the figure counts by; the list's `count` equals
the figure.  Items carry what a supervisor needs to pick a record, never a party's name or
phone; the full record is read online through its own endpoint.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from server.command import sql
from server.command.appeals import (
    BREAKDOWNS,
    UNSPECIFIED,
    rating_by_end,
    received_where,
    resolved_by_end,
)
from server.command.orders import conditions as order_conditions
from server.command.orders import issued_where
from server.command.warnings import raised_where
from server.command.window import StatsWindow, bad_request
from server.disputes.schema import DISPUTES, SATISFACTION_LEVELS
from server.replication.rows import iso
from sync.schema import RISK_LEVELS

MAX_LIMIT = 500

DISPUTE_COLUMNS = (
    "id, community_id, title, service_type, channel, category, risk_level, status, "
    "satisfaction, created_at"
)
ORDER_COLUMNS = (
    "id, community_id, department_id, dispute_id, summary, status, required_leader_level, "
    "arrive_by, resolve_by, arrival, arrival_received_at, checkin_status, overdue, "
    "escalation_level, community_rating, department_rating, last_chased_at, created_at"
)
WARNING_COLUMNS = (
    "id, org_unit_id, level, source, subject_collection, subject_id, message, status, "
    "acknowledged_by, created_at"
)


@dataclass(frozen=True)
class Selection:
    """One figure's records: the table, its alias, the condition and its arguments."""

    collection: str
    table: str
    alias: str
    columns: str
    where: str
    args: list[Any]


def _latest_rating(alias: str, w: StatsWindow) -> tuple[str, list[Any]]:
    """A dispute's satisfaction as last recorded before `to` (as the figure counts it)."""
    return rating_by_end(w, alias)


def _resolved(alias: str, w: StatsWindow) -> tuple[str, list[Any]]:
    """Reached resolved or closed before `to` (as the figure counts it)."""
    condition, args = resolved_by_end(w, alias)
    return f"({condition})", args


def _dispute_condition(figure: str, value: str | None, w: StatsWindow) -> tuple[str, list[Any]]:
    if figure == "appeals.received":
        return "1 = 1", []
    by = figure.removeprefix("appeals.")
    if by in BREAKDOWNS:
        column = BREAKDOWNS[by]
        known = DISPUTES.fields[column].enum or ()
        if value == UNSPECIFIED:
            return f"d.{column} IS NULL", []
        if value not in known:
            raise bad_request(f"value 须为 {column} 的取值 / value must be a {column}", "value")
        return f"d.{column} = {{}}", [value]
    if figure in ("resolution.resolved", "resolution.unresolved"):
        condition, args = _resolved("d", w)
        return (condition if figure.endswith(".resolved") else f"NOT {condition}"), args
    level = figure.removeprefix("satisfaction.")
    levels = SATISFACTION_LEVELS.split()
    if figure == "satisfaction.rated" or level in levels:
        latest, args = _latest_rating("d", w)
        wanted = levels if level == "rated" else [level]
        return f"{latest} IN ({', '.join('{}' for _ in wanted)})", [*args, *wanted]
    raise KeyError(figure)


def selection(figure: str, value: str | None, w: StatsWindow) -> Selection:
    """The records behind `figure` (with `value` for a breakdown, a department or a level)."""
    section = figure.split(".", 1)[0]
    if section in ("appeals", "resolution", "satisfaction"):
        try:
            condition, cond_args = _dispute_condition(figure, value, w)
        except KeyError:
            raise _unknown(figure) from None
        where, args = received_where(w, "d")
        return Selection(
            "disputes",
            "disputes",
            "d",
            DISPUTE_COLUMNS,
            f"{where} AND {condition}",
            [
                *args,
                *cond_args,
            ],
        )
    if section == "orders":
        conditions = order_conditions(w, "o")
        name = figure.removeprefix("orders.")
        if name not in conditions:
            raise _unknown(figure)
        condition, cond_args = conditions[name]
        where, args = issued_where(w, "o")
        if value is not None:
            department = _uuid_or_400(value)
            condition, cond_args = (
                f"{condition} AND o.department_id = {{}}",
                [
                    *cond_args,
                    department if sql.is_postgres() else str(department),
                ],
            )
        return Selection(
            "dispatch_orders",
            "dispatch_orders",
            "o",
            ORDER_COLUMNS,
            f"{where} AND {condition}",
            [*args, *cond_args],
        )
    if figure == "warnings.raised":
        where, args = raised_where(w, "wr")
        if value is not None:
            if value not in RISK_LEVELS.split():
                raise bad_request("value 须为预警级别 / value must be a warning level", "value")
            where, args = f"{where} AND wr.level = {{}}", [*args, value]
        return Selection("warnings", "warnings", "wr", WARNING_COLUMNS, where, args)
    raise _unknown(figure)


def figure_names() -> list[str]:
    """Every figure a drill-down answers (documented in docs/command.md)."""
    return [
        "appeals.received",
        *(f"appeals.{by}" for by in BREAKDOWNS),
        "resolution.resolved",
        "resolution.unresolved",
        "satisfaction.rated",
        *(f"satisfaction.{level}" for level in SATISFACTION_LEVELS.split()),
        *(
            f"orders.{name}"
            for name in (
                "issued",
                "arrived",
                "arrived_on_time",
                "arrived_flagged",
                "leader_level_met",
                "overdue",
                "escalated_to_street",
                "escalated_to_district",
            )
        ),
        "warnings.raised",
    ]


def _unknown(figure: str) -> Exception:
    return bad_request(
        f"未知指标 / unknown figure {figure!r}; one of: {', '.join(figure_names())}", "figure"
    )


def _uuid_or_400(value: str) -> UUID:
    try:
        return UUID(value)
    except ValueError:
        raise bad_request("value 须为部门 id / value must be a department id", "value") from None


async def drill_down(
    w: StatsWindow, figure: str, value: str | None, limit: int, offset: int
) -> dict[str, Any]:
    s = selection(figure, value, w)
    base = f"FROM {s.table} {s.alias} WHERE {s.where}"
    count = await sql.fetch(f"SELECT COUNT(*) AS n {base}", *s.args)
    columns = ", ".join(f"{s.alias}.{c.strip()}" for c in s.columns.split(","))
    rows = await sql.fetch(
        f"SELECT {columns} {base} ORDER BY {s.alias}.created_at, {s.alias}.id "
        "LIMIT {} OFFSET {}",
        *s.args,
        limit,
        offset,
    )
    return {
        "figure": figure,
        "value": value,
        "org_unit_id": str(w.org_unit_id),
        "from": iso(w.start),
        "to": iso(w.end),
        "collection": s.collection,
        "count": int(count[0]["n"]) if count else 0,
        "limit": limit,
        "offset": offset,
        "items": [item(s.collection, row, w) for row in rows],
    }


def item(collection: str, row: dict[str, Any], w: StatsWindow) -> dict[str, Any]:
    """One listed record: ids as text, times as RFC 3339, unit names beside their ids."""
    out: dict[str, Any] = {"collection": collection}
    for key, value in row.items():
        out[key] = _wire(value)
    for key in ("community_id", "department_id", "org_unit_id"):
        if key in out:
            unit = w.tree.get(_as_uuid(out[key]))
            out[key.removesuffix("_id")] = unit.name if unit else None
    if "arrival" in out:
        arrival = _json(out.pop("arrival")) or {}
        out["arrival_at"] = arrival.get("at")
        out["arrival_leader_level"] = arrival.get("leader_level")
    if "acknowledged_by" in out:
        out["acknowledged"] = bool(_json(out.pop("acknowledged_by")))
    if "overdue" in out:
        out["overdue"] = bool(out["overdue"])
    return out


def _wire(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, str) and len(value) >= 19 and value[10] == " " and value[4] == "-":
        # a timestamp SQLite handed back as text
        try:
            return iso(datetime.fromisoformat(value))
        except ValueError:
            return value
    return value


def _json(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return None
    return value


def _as_uuid(value: Any) -> UUID | None:
    try:
        return UUID(str(value)) if value else None
    except ValueError:
        return None
