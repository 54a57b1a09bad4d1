"""The finance office's sheet of a payout batch (.xlsx, XlsxWriter): one row per award with
the volunteer's name, the amount in yuan with two decimals, the reason and the source record,
then the total.  Amounts are kept in fen everywhere else; yuan appear only here, as numbers
formatted `0.00` so the sheet sums correctly."""

from __future__ import annotations

import io
from typing import Any
from zoneinfo import ZoneInfo

import xlsxwriter

from server.incentives.audit import iso

SHANGHAI = ZoneInfo("Asia/Shanghai")
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SOURCE_NAMES = {"reports": "随手拍"}
HEADERS = ("序号", "姓名", "金额（元）", "事由", "来源", "奖励编号")


def yuan(fen: int) -> str:
    """Fen as the finance office reads yuan: 12345 → "123.45" (integer arithmetic, no floats)."""
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100}.{abs(fen) % 100:02d}"


def batch_workbook(
    batch: dict[str, Any], awards: list[dict[str, Any]], names: dict[str, str], unit_name: str
) -> bytes:
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    sheet = book.add_worksheet("发放清单")
    bold = book.add_format({"bold": True})
    money = book.add_format({"num_format": "0.00"})
    money_bold = book.add_format({"num_format": "0.00", "bold": True})
    sheet.write(0, 0, f"平安志愿者奖励发放清单 · {unit_name}", bold)
    sheet.write(1, 0, f"批次 {batch['id']}  审核时间 {iso(batch['approved_at']) or ''}")
    header_row = 3
    for col, title in enumerate(HEADERS):
        sheet.write(header_row, col, title, bold)
    row = header_row
    for n, award in enumerate(awards, start=1):
        row = header_row + n
        source = award["source_collection"]
        sheet.write_number(row, 0, n)
        sheet.write_string(row, 1, names.get(str(award["volunteer_id"]), ""))
        # a number (yuan) with two decimals shown; the text form is exact by construction
        sheet.write_number(row, 2, int(award["amount_fen"]) / 100, money)
        sheet.write_string(row, 3, str(award["reason"]))
        sheet.write_string(
            row, 4, f"{SOURCE_NAMES.get(source, source)} {source}/{award['source_id']}"
        )
        sheet.write_string(row, 5, str(award["id"]))
    total = sum(int(a["amount_fen"]) for a in awards)
    sheet.write(row + 1, 1, "合计", bold)
    sheet.write_number(row + 1, 2, total / 100, money_bold)
    sheet.set_column(0, 0, 6)
    sheet.set_column(1, 1, 14)
    sheet.set_column(2, 2, 12)
    sheet.set_column(3, 3, 40)
    sheet.set_column(4, 5, 48)
    book.close()
    return out.getvalue()
