"""Drill-down (`GET /api/command/records`): the records behind each figure; `count` equals the
figure of `/api/command/stats` for the same unit and window, on the constructed month."""

from __future__ import annotations

from typing import Any

import pytest

from tests.server.command import dataset as ds
from tests.server.replication.support import as_user, assert_error

pytestmark = pytest.mark.usefixtures("database")

MARCH = {"from": "2019-03-01T00:00:00Z", "to": "2019-04-01T00:00:00Z"}


@pytest.fixture
async def march(client: Any) -> None:
    await ds.build()


async def drill(client: Any, user: str, unit: Any, figure: str, **params: Any) -> dict[str, Any]:
    session = await as_user(client, user)
    response = await session.get(
        "/api/command/records",
        params={"org_unit_id": str(unit), "figure": figure, **MARCH, **params},
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def names(body: dict[str, Any]) -> list[str]:
    """The data set's names of the listed records (d1, o2, w3 ...), in list order."""
    by_id = {str(ds.rid(n)): n for n in [f"{p}{i}" for p in "dow" for i in range(1, 8)]}
    return [by_id.get(i["id"], "?") for i in body["items"]]


@pytest.mark.usefixtures("march")
async def test_every_count_equals_its_figure(client: Any) -> None:
    session = await as_user(client, "district")
    stats = (
        await session.get("/api/command/stats", params={"org_unit_id": str(ds.DISTRICT), **MARCH})
    ).json()
    expected = {
        "appeals.received": stats["appeals"]["received"],
        "resolution.resolved": stats["resolution"]["resolved"],
        "resolution.unresolved": stats["appeals"]["received"] - stats["resolution"]["resolved"],
        "satisfaction.rated": stats["satisfaction"]["rated"],
        "satisfaction.satisfied": stats["satisfaction"]["satisfied"],
        "satisfaction.basically_satisfied": stats["satisfaction"]["basically_satisfied"],
        "satisfaction.unsatisfied": stats["satisfaction"]["unsatisfied"],
        "warnings.raised": sum(stats["warnings"]["raised"].values()),
        **{
            f"orders.{k}": stats["orders"][k]
            for k in (
                "issued",
                "arrived",
                "arrived_on_time",
                "arrived_flagged",
                "overdue",
                "escalated_to_street",
                "escalated_to_district",
            )
        },
    }
    for figure, count in expected.items():
        body = await drill(client, "district", ds.DISTRICT, figure)
        assert body["count"] == count == len(body["items"]), figure
    for by, counts in stats["appeals"].items():
        if by.startswith("by_"):
            for value, count in counts.items():
                body = await drill(client, "district", ds.DISTRICT, f"appeals.{by}", value=value)
                assert body["count"] == count, (by, value)
    for level, count in stats["warnings"]["raised"].items():
        body = await drill(client, "district", ds.DISTRICT, "warnings.raised", value=level)
        assert body["count"] == count, level
    for department in stats["orders"]["by_department"]:
        body = await drill(
            client, "district", ds.DISTRICT, "orders.issued", value=department["department_id"]
        )
        assert body["count"] == department["issued"]


@pytest.mark.usefixtures("march")
async def test_the_lists_name_the_right_records(client: Any) -> None:
    assert names(await drill(client, "district", ds.DISTRICT, "appeals.received")) == [
        "d1",
        "d2",
        "d3",
        "d4",
        "d7",
    ]
    flagged = await drill(client, "district", ds.DISTRICT, "orders.arrived_flagged")
    assert names(flagged) == ["o2"]
    order = flagged["items"][0]
    assert order["collection"] == "dispatch_orders"
    assert order["checkin_status"] == "pending_verification"
    assert order["department"] == "区住房和建设局"
    assert order["community_id"] == str(ds.A2)
    assert order["arrival_at"] == "2019-03-10T04:00:00.000Z"
    assert order["arrival_leader_level"] == "section"
    assert order["created_at"] == "2019-03-10T01:00:00.000Z"
    assert order["overdue"] is True
    assert names(await drill(client, "district", ds.DISTRICT, "orders.arrived_on_time")) == [
        "o1",
        "o5",
    ]
    assert names(await drill(client, "street.a", ds.GUANGMING, "resolution.unresolved")) == ["d3"]
    assert names(
        await drill(client, "district", ds.DISTRICT, "satisfaction.basically_satisfied")
    ) == ["d2"]
    red = await drill(client, "district", ds.DISTRICT, "warnings.raised", value="red")
    assert names(red) == ["w1", "w2", "w3", "w7"]
    assert [w["acknowledged"] for w in red["items"]] == [True, True, True, False]
    dispute = (await drill(client, "district", ds.DISTRICT, "appeals.received"))["items"][0]
    assert dispute["title"] == "统计测试纠纷 d1"
    assert dispute["community"] == "光明示范社区01（演示）"
    assert "parties" not in dispute
    assert ds.PARTY_PHONE not in str(dispute)
    paged = await drill(client, "district", ds.DISTRICT, "appeals.received", limit=2, offset=2)
    assert (paged["count"], names(paged)) == (5, ["d3", "d4"])


async def test_scope_and_bad_input(client: Any) -> None:
    street = await as_user(client, "street.a")
    response = await street.get(
        "/api/command/records",
        params={"org_unit_id": str(ds.B1), "figure": "appeals.received", **MARCH},
    )
    assert_error(response, 403, "forbidden")
    district = await as_user(client, "district")
    for params in (
        {"figure": "appeals.nope"},
        {"figure": "nope"},
        {},
        {"figure": "appeals.by_channel", "value": "carrier_pigeon"},
        {"figure": "warnings.raised", "value": "purple"},
        {"figure": "orders.issued", "value": "not-a-uuid"},
        {"figure": "orders.nope"},
        {"figure": "appeals.received", "limit": "0"},
        {"figure": "appeals.received", "limit": "501"},
        {"figure": "appeals.received", "offset": "-1"},
    ):
        response = await district.get(
            "/api/command/records", params={"org_unit_id": str(ds.DISTRICT), **MARCH, **params}
        )
        assert_error(response, 400)
