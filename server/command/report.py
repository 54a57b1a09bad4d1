"""The monthly report (`GET /api/command/reports/monthly.xlsx`): one workbook with the sheets
of COMMAND_API.md, exactly `汇总` (the month's figures), `分单位` (one row per child unit),
`派单`, `预警`, `纠纷` (one row per record of the month).

Written with XlsxWriter in constant-memory mode (each row goes to a temporary file once
written, so a district's 200,000 disputes do not sit in memory), rows fetched in keyset pages
(`sheets.batches`) and written in a worker thread, so the event loop keeps serving.  Every
sheet has a bold header row, frozen, with column widths; rates are numbers with a percentage
format, times Excel dates in Beijing time.  The figures in `汇总` are the stats answer's
(`stats.command_stats`), so the report and the screen agree.
"""

from __future__ import annotations

import asyncio
import io
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import xlsxwriter  # type: ignore[import-untyped]

from server.command.sheets import DISPUTES, ORDERS, WARNINGS, Listing, as_time, batches
from server.command.stats import command_stats
from server.command.window import StatsWindow

MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHEETS = ("汇总", "分单位", "派单", "预警", "纠纷")
BEIJING = timedelta(hours=8)
_EXCEL_EPOCH = datetime(1899, 12, 30, tzinfo=UTC)

#: the summary's rows: (path in the stats answer, label, kind, definition)
SUMMARY: tuple[tuple[str, str, str, str], ...] = (
    ("appeals.received", "受理诉求（件）", "int", "本月登记、社区在本单位内的纠纷（不含删除）"),
    ("resolution.resolved", "已化解（件）", "int", "其中月底前达到已化解或已办结的"),
    ("resolution.resolution_rate", "化解率", "rate", "已化解 ÷ 受理"),
    (
        "resolution.median_hours_to_first_action",
        "首次响应时长中位数（小时）",
        "hours",
        "登记到首次走访、调解、状态变更或派单",
    ),
    ("resolution.median_hours_to_resolve", "化解时长中位数（小时）", "hours", "登记到化解"),
    ("orders.issued", "派单（件）", "int", "本月社区发出的派单"),
    ("orders.arrived", "已到场（件）", "int", "月底前部门已报到的"),
    ("orders.arrived_on_time", "按时到场（件）", "int", "到场时限前报到且无需核实或已核实"),
    ("orders.arrived_flagged", "报到待核实（件）", "int", "报到时间或位置可疑、尚未核实"),
    ("orders.on_time_rate", "按时到场率", "rate", "按时到场 ÷ 派单"),
    (
        "orders.leader_level_met_rate",
        "领导到场级别达标率",
        "rate",
        "到场领导级别不低于要求 ÷ 已到场",
    ),
    ("orders.overdue", "超时派单（件）", "int", "超过到场或化解时限"),
    ("orders.escalated_to_street", "升级街道督办（件）", "int", "督办级别达到街道或区"),
    ("orders.escalated_to_district", "升级区级督办（件）", "int", "督办级别达到区"),
    ("warnings.raised.red", "红色预警（条）", "int", "本月发出"),
    ("warnings.raised.orange", "橙色预警（条）", "int", "本月发出"),
    ("warnings.raised.yellow", "黄色预警（条）", "int", "本月发出"),
    ("warnings.raised.blue", "蓝色预警（条）", "int", "本月发出"),
    (
        "warnings.median_minutes_to_ack.red",
        "红色预警确认时长中位数（分钟）",
        "hours",
        "发出到首次确认",
    ),
    ("satisfaction.rated", "回访（件）", "int", "本月受理的纠纷中已回访评价的"),
    ("satisfaction.satisfied", "满意（件）", "int", ""),
    ("satisfaction.basically_satisfied", "基本满意（件）", "int", ""),
    ("satisfaction.unsatisfied", "不满意（件）", "int", ""),
    ("satisfaction.satisfied_rate", "满意率", "rate", "（满意 + 基本满意）÷ 回访"),
    # the agreements section (server/agreements/stats.py, docs/agreements.md)
    ("agreements.signed", "调解协议签署（份）", "int", "本月各方签名确认的调解协议"),
    ("agreements.submitted", "申请司法确认（份）", "int", "本月提交法院的"),
    ("agreements.confirmed", "司法确认有效（份）", "int", "本月法院裁定确认的"),
    ("agreements.rejected", "司法确认驳回（份）", "int", "本月法院驳回的"),
    (
        "agreements.median_days_signing_to_ruling",
        "签署到裁定天数中位数（天）",
        "hours",
        "本月裁定的协议，签署到裁定",
    ),
)


def figure(stats: dict[str, Any], path: str) -> Any:
    value: Any = stats
    for key in path.split("."):
        value = value.get(key) if isinstance(value, dict) else None
    return value


def excel_time(moment: datetime) -> float:
    """Days since Excel's epoch, in Beijing time (what the offices read)."""
    return (moment.astimezone(UTC) + BEIJING - _EXCEL_EPOCH).total_seconds() / 86400


class Workbook:
    """The workbook being written: formats made once, sheets written top to bottom."""

    def __init__(self, out: str | io.BytesIO, tmpdir: str) -> None:
        self.book = xlsxwriter.Workbook(
            out, {"constant_memory": True, "tmpdir": tmpdir, "strings_to_numbers": False}
        )
        add = self.book.add_format
        self.header = add(
            {"bold": True, "bg_color": "#1F4E79", "font_color": "#FFFFFF", "border": 1}
        )
        self.header.set_text_wrap()
        self.header.set_align("vcenter")
        self.rate = add({"num_format": "0.0%"})
        self.hours = add({"num_format": "0.00"})
        self.time = add({"num_format": "yyyy-mm-dd hh:mm"})
        self.title = add({"bold": True, "font_size": 13})

    def sheet(self, name: str, headers: list[tuple[str, int]]) -> Any:
        ws = self.book.add_worksheet(name)
        for col, (_, width) in enumerate(headers):
            ws.set_column(col, col, width)
        ws.freeze_panes(1, 0)
        ws.set_row(0, 30)
        ws.write_row(0, 0, [h for h, _ in headers], self.header)
        return ws

    def close(self) -> None:
        self.book.close()


def write_summary(
    wb: Workbook, stats: dict[str, Any], w: StatsWindow, month: str, built_at: datetime
) -> None:
    ws = wb.sheet("汇总", [("指标", 34), ("数值", 14), ("口径", 48), ("代码", 40)])
    # when it was built, in the file's properties (a stored workbook is served later)
    wb.book.set_properties(
        {"title": f"{w.unit.name} {month} 月报", "created": built_at.astimezone(UTC)}
    )
    ws.write_row(1, 0, ["单位", w.unit.name, "", "org_unit_id"])
    ws.write_row(2, 0, ["月份", month, "北京时间自然月", "month"])
    for row, (path, label, kind, definition) in enumerate(SUMMARY, start=3):
        value = figure(stats, path)
        ws.write_string(row, 0, label)
        if value is None:
            ws.write_blank(row, 1, None)
        elif kind == "rate":
            ws.write_number(row, 1, value, wb.rate)
        elif kind == "hours":
            ws.write_number(row, 1, value, wb.hours)
        else:
            ws.write_number(row, 1, value)
        ws.write_string(row, 2, definition)
        ws.write_string(row, 3, path)


def write_children(wb: Workbook, stats: dict[str, Any]) -> None:
    ws = wb.sheet(
        "分单位",
        [
            ("单位", 26),
            ("受理诉求", 10),
            ("已化解", 10),
            ("化解率", 10),
            ("派单", 10),
            ("按时到场率", 12),
            ("单位编号", 38),
        ],
    )
    for row, child in enumerate(stats["by_child"], start=1):
        ws.write_string(row, 0, child["name"])
        ws.write_number(row, 1, child["received"])
        ws.write_number(row, 2, child["resolved"])
        _maybe(ws, row, 3, child["resolution_rate"], wb.rate)
        ws.write_number(row, 4, child["orders_issued"])
        _maybe(ws, row, 5, child["on_time_rate"], wb.rate)
        ws.write_string(row, 6, child["org_unit_id"])


def _maybe(ws: Any, row: int, col: int, value: float | None, fmt: Any) -> None:
    if value is None:
        ws.write_blank(row, col, None)
    else:
        ws.write_number(row, col, value, fmt)


class ListingWriter:
    """One record list as a sheet, a page of rows at a time."""

    def __init__(self, wb: Workbook, listing: Listing, w: StatsWindow) -> None:
        self.wb, self.listing, self.w = wb, listing, w
        self.ws = wb.sheet(listing.sheet, [(c.header, c.width) for c in listing.columns])
        self.row = 1

    def write(self, rows: list[dict[str, Any]]) -> None:
        ws, w, time_format = self.ws, self.w, self.wb.time
        columns = [(col, c.kind, c.value) for col, c in enumerate(self.listing.columns)]
        for record in rows:
            r = self.row
            for col, kind, get in columns:
                value = get(record, w)
                if value is None or value == "":
                    continue
                if kind == "text":
                    ws.write_string(r, col, value)
                elif kind == "time":
                    moment = as_time(value)
                    if moment is not None:
                        ws.write_number(r, col, excel_time(moment), time_format)
                elif kind == "bool":
                    ws.write_string(r, col, "是" if value else "否")
                else:
                    ws.write_number(r, col, value)
            self.row += 1


#: how many rows a progress report covers (one keyset page of `sheets.batches`)
Progress = Callable[[int], None]


async def write_workbook(
    target: str | io.BytesIO,
    w: StatsWindow,
    month: str,
    *,
    built_at: datetime | None = None,
    progress: Progress | None = None,
) -> int:
    """Write the month's workbook to `target` (a file name or a buffer); returns the rows of
    the record sheets.  `progress(rows)` is told after each page written."""
    built_at = built_at or datetime.now(UTC)
    stats = await command_stats(w)
    written = 0
    with tempfile.TemporaryDirectory(prefix="doorstep-xlsx-") as tmpdir:
        wb = Workbook(target, tmpdir)
        write_summary(wb, stats, w, month, built_at)
        write_children(wb, stats)
        for listing in (ORDERS, WARNINGS, DISPUTES):
            writer = ListingWriter(wb, listing, w)
            async for rows in batches(listing, w):
                await asyncio.to_thread(writer.write, rows)
                written += len(rows)
                if progress is not None:
                    progress(written)
        await asyncio.to_thread(wb.close)
    return written


async def monthly_workbook(w: StatsWindow, month: str) -> bytes:
    """The month's workbook as bytes (built now)."""
    out = io.BytesIO()
    await write_workbook(out, w, month)
    return out.getvalue()
