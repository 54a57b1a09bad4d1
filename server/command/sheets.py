"""The lists a report or an export holds, one definition each: which records (the same
conditions as the figures), which columns, in which order.  The monthly workbook
(`report.py`) and the CSV exports (`export.py`) both write them.

What is *not* here on purpose: parties (names, phones), descriptions, notes, anything of
psych sessions; free text that is listed (titles, summaries, warning messages) has long digit
runs masked, so a phone number typed into a title does not leave in a report.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from server.command import labels, sql
from server.command.appeals import received_where
from server.command.orders import issued_where
from server.command.warnings import raised_where
from server.command.window import StatsWindow

BATCH = 5000
#: 7 or more digits, possibly split by spaces or dashes: a phone or an id number
_LONG_NUMBER = re.compile(r"\d(?:[\s-]?\d){6,}")


def masked(text: Any) -> str:
    """Free text with long digit runs masked (`138****`), never a phone number."""
    if text is None:
        return ""
    return _LONG_NUMBER.sub(lambda m: m.group(0)[:3] + "****", str(text))


def as_time(value: Any) -> datetime | None:
    """A timestamp from either engine (SQLite may hand back text), aware, in UTC."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    if not isinstance(value, datetime):
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Column:
    header: str
    #: text, int, time (shown in Beijing time), bool
    kind: str
    value: Callable[[dict[str, Any], StatsWindow], Any]
    width: int = 12


@dataclass(frozen=True)
class Listing:
    """One list of records of the window: a sheet of the workbook, a CSV export."""

    sheet: str
    collection: str
    table: str
    alias: str
    select: str
    where: Callable[[StatsWindow, str], tuple[str, list[Any]]]
    columns: tuple[Column, ...]


def _unit(key: str) -> Callable[[dict[str, Any], StatsWindow], Any]:
    def name(row: dict[str, Any], w: StatsWindow) -> str:
        value = row.get(key)
        if not value:
            return ""
        try:  # PostgreSQL hands back UUIDs, SQLite text
            unit = w.tree.get(value if isinstance(value, UUID) else UUID(str(value)))
        except ValueError:
            unit = None
        return unit.name if unit else ""

    return name


def _field(
    key: str, names: dict[str, str] | None = None
) -> Callable[[dict[str, Any], StatsWindow], Any]:
    if names is None:
        return lambda row, w: row.get(key)
    return lambda row, w: labels.label(names, row.get(key))


def _text(key: str) -> Callable[[dict[str, Any], StatsWindow], Any]:
    return lambda row, w: masked(row.get(key))


def _json_member(key: str, member: str) -> Callable[[dict[str, Any], StatsWindow], Any]:
    def get(row: dict[str, Any], w: StatsWindow) -> Any:
        value = row.get(key)
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                return None
        return value.get(member) if isinstance(value, dict) else None

    return get


def _id(row: dict[str, Any], w: StatsWindow) -> str:
    return str(row["id"])


DISPUTES = Listing(
    sheet="纠纷",
    collection="disputes",
    table="disputes",
    alias="d",
    select="d.id, d.community_id, d.title, d.service_type, d.channel, d.category, "
    "d.risk_level, d.status, d.satisfaction, d.created_at",
    where=received_where,
    columns=(
        Column("编号", "text", _id, 38),
        Column("社区", "text", _unit("community_id"), 24),
        Column("标题", "text", _text("title"), 36),
        Column("服务类型", "text", _field("service_type", labels.SERVICE_TYPE)),
        Column("渠道", "text", _field("channel", labels.CHANNEL)),
        Column("类别", "text", _field("category", labels.CATEGORY)),
        Column("风险等级", "text", _field("risk_level", labels.LEVEL), 10),
        Column("状态", "text", _field("status", labels.DISPUTE_STATUS), 10),
        Column("回访满意度", "text", _field("satisfaction", labels.SATISFACTION)),
        Column("登记时间（北京时间）", "time", _field("created_at"), 20),
    ),
)

ORDERS = Listing(
    sheet="派单",
    collection="dispatch_orders",
    table="dispatch_orders",
    alias="o",
    select="o.id, o.community_id, o.department_id, o.summary, o.status, "
    "o.required_leader_level, o.arrive_by, o.resolve_by, o.arrival, o.arrival_received_at, "
    "o.checkin_status, o.overdue, o.escalation_level, o.community_rating, "
    "o.department_rating, o.created_at",
    where=issued_where,
    columns=(
        Column("编号", "text", _id, 38),
        Column("社区", "text", _unit("community_id"), 24),
        Column("职能部门", "text", _unit("department_id"), 24),
        Column("事项", "text", _text("summary"), 36),
        Column("状态", "text", _field("status", labels.ORDER_STATUS), 10),
        Column("要求领导级别", "text", _field("required_leader_level", labels.LEADER_LEVEL)),
        Column("派单时间（北京时间）", "time", _field("created_at"), 20),
        Column("到场时限", "time", _field("arrive_by"), 20),
        Column("化解时限", "time", _field("resolve_by"), 20),
        Column("报到时间（上报）", "time", _json_member("arrival", "at"), 20),
        Column("报到收到时间", "time", _field("arrival_received_at"), 20),
        Column(
            "到场领导级别",
            "text",
            lambda row, w: labels.label(
                labels.LEADER_LEVEL, _json_member("arrival", "leader_level")(row, w)
            ),
        ),
        Column("报到核实", "text", _field("checkin_status", labels.CHECKIN_STATUS), 10),
        Column("超时", "bool", _field("overdue"), 8),
        Column("督办级别", "text", _field("escalation_level", labels.ESCALATION_LEVEL), 10),
        Column("社区评分", "int", _field("community_rating"), 10),
        Column("部门评分", "int", _field("department_rating"), 10),
    ),
)

WARNINGS = Listing(
    sheet="预警",
    collection="warnings",
    table="warnings",
    alias="wr",
    select="wr.id, wr.org_unit_id, wr.level, wr.source, wr.message, wr.status, "
    "wr.acknowledged_by, wr.created_at",
    where=raised_where,
    columns=(
        Column("编号", "text", _id, 38),
        Column("单位", "text", _unit("org_unit_id"), 24),
        Column("级别", "text", _field("level", labels.LEVEL), 8),
        Column("来源", "text", _field("source", labels.WARNING_SOURCE), 10),
        Column("内容", "text", _text("message"), 40),
        Column("状态", "text", _field("status", labels.WARNING_STATUS), 10),
        Column(
            "已确认",
            "bool",
            lambda row, w: bool(_json_list(row.get("acknowledged_by"))),
            8,
        ),
        Column("预警时间（北京时间）", "time", _field("created_at"), 20),
    ),
)

#: the lists by collection name (the CSV exports' `{collection}`)
LISTINGS = {listing.collection: listing for listing in (DISPUTES, ORDERS, WARNINGS)}


def _json_list(value: Any) -> list[Any]:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return []
    return value if isinstance(value, list) else []


async def batches(
    listing: Listing, w: StatsWindow, size: int = BATCH
) -> AsyncIterator[list[dict[str, Any]]]:
    """The listing's rows in creation order, `size` at a time (keyset pages: memory stays
    bounded however long the month)."""
    where, args = listing.where(w, listing.alias)
    a = listing.alias
    after: tuple[Any, Any] | None = None
    while True:
        page_where, page_args = where, list(args)
        if after is not None:
            page_where += (
                f" AND ({a}.created_at > {{}} OR ({a}.created_at = {{}} AND {a}.id > {{}}))"
            )
            page_args += [after[0], after[0], after[1]]
        rows = await sql.fetch(
            f"SELECT {listing.select} FROM {listing.table} {a} WHERE {page_where} "
            f"ORDER BY {a}.created_at, {a}.id LIMIT {{}}",
            *page_args,
            size,
        )
        if not rows:
            return
        yield rows
        if len(rows) < size:
            return
        last = rows[-1]
        after = (last["created_at"], last["id"] if sql.is_postgres() else str(last["id"]))
