"""CSV exports of one list (`GET /api/command/export/{collection}.csv`): the same rows and
columns as the monthly workbook's sheet (`sheets.py`), streamed a page at a time.  UTF-8 with
a byte-order mark, so Excel in a Chinese office opens it without mojibake; times in Beijing
time as `YYYY-MM-DD HH:MM`."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator

from server.command.report import BEIJING
from server.command.sheets import Listing, as_time, batches
from server.command.window import StatsWindow

MIME = "text/csv; charset=utf-8"


def _cell(kind: str, value: object) -> str:
    if value is None:
        return ""
    if kind == "time":
        moment = as_time(value)
        return (moment + BEIJING).strftime("%Y-%m-%d %H:%M") if moment else ""
    if kind == "bool":
        return "是" if value else "否"
    return str(value)


async def csv_rows(listing: Listing, w: StatsWindow) -> AsyncIterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([c.header for c in listing.columns])
    yield b"\xef\xbb\xbf" + buffer.getvalue().encode()
    async for rows in batches(listing, w):
        buffer.seek(0)
        buffer.truncate()
        for row in rows:
            writer.writerow([_cell(c.kind, c.value(row, w)) for c in listing.columns])
        yield buffer.getvalue().encode()
