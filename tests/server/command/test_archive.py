"""A district month's workbook is a stored document (server/command/archive.py): the first
request is answered 202 with the build's progress while it is built (here by the in-process
queue: no Redis, as embedded mode), later requests are served the stored file, and a late edit
to the month queues a rebuild while the previous file is served, marked as not current."""

from __future__ import annotations

import asyncio
import io
from typing import Any

import openpyxl
import pytest

from server.command import archive
from tests.server.command import dataset as ds
from tests.server.replication.support import as_user, assert_ok

pytestmark = pytest.mark.usefixtures("database")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PARAMS = {"org_unit_id": str(ds.GONGMING), "month": "2019-03"}


async def until_current(session: Any, not_before: str | None = None) -> Any:
    """Ask until the stored workbook is current (and built after `not_before`)."""
    for _ in range(300):
        response = await session.get("/api/command/reports/monthly.xlsx", params=PARAMS)
        if response.status_code == 200:
            built = response.headers["x-report-built-at"]
            if response.headers["x-report-current"] == "true" and (
                not_before is None or built > not_before
            ):
                return response
        else:
            assert response.status_code == 202, response.text
            assert response.headers["retry-after"] == str(archive.RETRY_AFTER_SECONDS)
        await asyncio.sleep(0.1)
    raise AssertionError("the workbook was never built")


def dispute_titles(response: Any) -> list[str]:
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    return [row[2] for row in book["纠纷"].iter_rows(min_row=2, values_only=True)]


async def test_a_district_sized_month_is_built_once_and_rebuilt_after_a_late_edit(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    await ds.build()
    # every scope counts as district-sized here: none is built on request
    monkeypatch.setattr(archive, "on_request_rows", lambda: 0)
    district = await as_user(client, "district")

    first = await district.get("/api/command/reports/monthly.xlsx", params=PARAMS)
    assert first.status_code == 202, first.text
    body = first.json()
    assert body["status"] == "building"
    assert body["rows_total"] >= 3  # d4, o3, o4 and the warnings of 公明街道
    assert 0 <= body["rows_written"] <= body["rows_total"]

    built = await until_current(district)
    assert built.headers["content-type"] == XLSX
    built_at = built.headers["x-report-built-at"]
    assert dispute_titles(built) == ["统计测试纠纷 d4"]

    # served from the store: the same build
    again = await district.get("/api/command/reports/monthly.xlsx", params=PARAMS)
    assert again.status_code == 200
    assert again.headers["x-report-built-at"] == built_at
    assert again.content == built.content

    # a late edit to the month: the previous workbook is served, marked not current, while
    # the rebuild runs; then the rebuilt one holds the edit
    admin = await as_user(client, "admin.b")
    d4 = str(ds.rid("d4"))
    assert_ok(
        await admin.push_one("disputes", d4, {"title": "统计测试纠纷 d4 补记"}, base_version=3)
    )
    try:
        stale = await district.get("/api/command/reports/monthly.xlsx", params=PARAMS)
        assert stale.status_code == 200
        assert stale.headers["x-report-current"] == "false"
        assert stale.headers["x-report-built-at"] == built_at
        rebuilt = await until_current(district, not_before=built_at)
        assert dispute_titles(rebuilt) == ["统计测试纠纷 d4 补记"]
    finally:
        assert_ok(
            await admin.push_one("disputes", d4, {"title": "统计测试纠纷 d4"}, base_version=4)
        )


async def test_the_month_under_way_of_a_small_scope_is_built_fresh(client: Any) -> None:
    """A community's current month is built on every request (it changes by the minute)."""
    from datetime import UTC, datetime, timedelta

    now = datetime.now(UTC) + timedelta(hours=8)
    admin = await as_user(client, "admin.a")
    params = {"org_unit_id": str(ds.A1), "month": f"{now.year:04d}-{now.month:02d}"}
    one = await admin.get("/api/command/reports/monthly.xlsx", params=params)
    two = await admin.get("/api/command/reports/monthly.xlsx", params=params)
    assert one.status_code == two.status_code == 200
    assert one.headers["x-report-current"] == "true"
    assert two.headers["x-report-built-at"] >= one.headers["x-report-built-at"]
