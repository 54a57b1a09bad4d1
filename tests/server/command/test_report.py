"""The monthly workbook and the CSV exports: opened with openpyxl, the sheets are exactly the
contract's, the summary's figures equal `/api/command/stats` for the same month, every list
holds the figure's records, and no party phone is anywhere in them."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import openpyxl
import pytest

from tests.server.command import dataset as ds
from tests.server.replication.support import as_user, assert_error

pytestmark = pytest.mark.usefixtures("database")

#: March 2019 in Beijing time, as the report counts a month
BEIJING_MARCH = {"from": "2019-02-28T16:00:00Z", "to": "2019-03-31T16:00:00Z"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PHONE_DIGITS = re.compile(r"\d(?:[ -]?\d){6,}")
UUID_TEXT = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


@pytest.fixture
async def march(client: Any) -> None:
    await ds.build()


async def workbook(client: Any, user: str, unit: Any, month: str = "2019-03") -> Any:
    session = await as_user(client, user)
    response = await session.get(
        "/api/command/reports/monthly.xlsx", params={"org_unit_id": str(unit), "month": month}
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == XLSX
    assert "attachment" in response.headers["content-disposition"]
    return openpyxl.load_workbook(io.BytesIO(response.content))


def all_text(book: Any) -> str:
    """Every text cell but ids (numbers are figures and times, not phones)."""
    return "\n".join(
        cell
        for ws in book.worksheets
        for row in ws.iter_rows(values_only=True)
        for cell in row
        if isinstance(cell, str) and not UUID_TEXT.match(cell)
    )


@pytest.mark.usefixtures("march")
@pytest.mark.parametrize(("user", "unit"), [("district", ds.DISTRICT), ("street.a", ds.GUANGMING)])
async def test_the_workbook_equals_the_api(client: Any, user: str, unit: Any) -> None:
    book = await workbook(client, user, unit)
    assert book.sheetnames == ["汇总", "分单位", "派单", "预警", "纠纷"]
    session = await as_user(client, user)
    stats = (
        await session.get("/api/command/stats", params={"org_unit_id": str(unit), **BEIJING_MARCH})
    ).json()

    summary = book["汇总"]
    assert summary.freeze_panes == "A2"
    assert [c.value for c in summary[1]] == ["指标", "数值", "口径", "代码"]
    assert summary[1][0].font.b
    compared = 0
    for label, value, _, path in summary.iter_rows(min_row=4, values_only=True):
        expected: Any = stats
        for key in path.split("."):
            expected = expected[key]
        assert value == (pytest.approx(expected) if expected is not None else None), (label, path)
        compared += 1
    assert compared >= 20
    rates = [row for row in summary.iter_rows(min_row=4) if row[3].value.endswith("_rate")]
    assert rates and all(row[1].number_format == "0.0%" for row in rates)
    assert stats["appeals"]["received"] == (4 if unit == ds.DISTRICT else 3)

    children = book["分单位"]
    assert children.freeze_panes == "A2"
    rows = list(children.iter_rows(min_row=2, values_only=True))
    assert [(r[6], r[1], r[2]) for r in rows] == [
        (c["org_unit_id"], c["received"], c["resolved"]) for c in stats["by_child"]
    ]
    assert children.column_dimensions["A"].width >= 20

    for sheet, figure in (
        ("纠纷", stats["appeals"]["received"]),
        ("派单", stats["orders"]["issued"]),
        ("预警", sum(stats["warnings"]["raised"].values())),
    ):
        ws = book[sheet]
        assert ws.freeze_panes == "A2", sheet
        assert ws.max_row - 1 == figure, sheet
    orders = {r[0]: r for r in book["派单"].iter_rows(min_row=2, values_only=True)}
    o2 = orders[str(ds.rid("o2"))]
    assert o2[12] == "待核实"
    assert str(o2[6]) == "2019-03-10 09:00:00"  # 01:00 UTC, in Beijing time

    text = all_text(book)
    assert ds.PARTY_PHONE not in text.replace("-", "")
    assert PHONE_DIGITS.findall(text) == []
    assert "统计测试纠纷 d3 欠薪，联系 139****" in text  # masked, not dropped
    assert "张三" not in text  # no party names either


async def test_the_workbook_refuses_bad_input_and_other_scopes(client: Any) -> None:
    district = await as_user(client, "district")
    for month in ("2019-13", "2019-3", "march", "", "2019-03-01"):
        response = await district.get(
            "/api/command/reports/monthly.xlsx",
            params={"org_unit_id": str(ds.DISTRICT), "month": month},
        )
        assert_error(response, 400)
    street = await as_user(client, "street.a")
    assert_error(
        await street.get(
            "/api/command/reports/monthly.xlsx",
            params={"org_unit_id": str(ds.GONGMING), "month": "2019-03"},
        ),
        403,
        "forbidden",
    )


@pytest.mark.usefixtures("march")
async def test_csv_exports(client: Any) -> None:
    district = await as_user(client, "district")
    window = {
        "org_unit_id": str(ds.DISTRICT),
        "from": "2019-03-01T00:00:00Z",
        "to": "2019-04-01T00:00:00Z",
    }
    response = await district.get("/api/command/export/disputes.csv", params=window)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["编号", "社区", "标题"]
    assert [r[0] for r in rows[1:]] == [str(ds.rid(n)) for n in ("d1", "d2", "d3", "d4", "d7")]
    assert rows[1][-1] == "2019-03-02 08:00"
    assert ds.PARTY_PHONE not in response.text.replace("-", "")
    for name, count in (("dispatch_orders.csv", 5), ("warnings.csv", 7)):
        response = await district.get(f"/api/command/export/{name}", params=window)
        assert response.status_code == 200, response.text
        assert len(list(csv.reader(io.StringIO(response.text)))) == count + 1, name
    for name in ("psych_sessions.csv", "disputes.xlsx", "users.csv", "notifications.csv"):
        assert_error(await district.get(f"/api/command/export/{name}", params=window), 404)
    assert_error(
        await district.get(
            "/api/command/export/disputes.csv", params={**window, "from": "yesterday"}
        ),
        400,
    )
    street = await as_user(client, "street.a")
    assert_error(
        await street.get(
            "/api/command/export/disputes.csv", params={**window, "org_unit_id": str(ds.B1)}
        ),
        403,
        "forbidden",
    )
