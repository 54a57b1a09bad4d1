"""`GET /api/command/stats` on a constructed month with known answers (dataset.py), on both
engines: every figure of COMMAND_API.md, windows, subtrees, flagged check-ins, satisfaction,
nulls when nothing is there to divide; scope (403) and bad input (400)."""

from __future__ import annotations

from typing import Any

import pytest

from server.org.tree import load_tree
from tests.server.command import dataset as ds
from tests.server.replication.support import as_user, assert_error

pytestmark = pytest.mark.usefixtures("database")

MARCH = {"from": "2019-03-01T00:00:00Z", "to": "2019-04-01T00:00:00Z"}


@pytest.fixture
async def march(client: Any) -> None:
    await ds.build()


async def stats(client: Any, user: str, unit: Any, **window: str) -> dict[str, Any]:
    session = await as_user(client, user)
    response = await session.get(
        "/api/command/stats", params={"org_unit_id": str(unit), **(window or MARCH)}
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.mark.usefixtures("march")
async def test_the_district_month(client: Any) -> None:
    body = await stats(client, "district", ds.DISTRICT)
    assert body["org_unit_id"] == str(ds.DISTRICT)
    assert (body["from"], body["to"]) == ("2019-03-01T00:00:00.000Z", "2019-04-01T00:00:00.000Z")
    appeals = body["appeals"]
    # d1 d2 d3 d4 d7: d5 came in February, d6 is deleted
    assert appeals["received"] == 5
    assert appeals["by_service_type"] == {
        "dispute": 2,
        "legal": 1,
        "psych": 0,
        "complaint": 1,
        "assistance": 0,
        "unspecified": 1,
    }
    assert appeals["by_channel"] == {
        "door_to_door": 1,
        "hall": 1,
        "station": 1,
        "app": 1,
        "hotline": 1,
    }
    assert appeals["by_category"]["neighbour"] == 1
    assert appeals["by_category"]["labour_wages"] == 1
    assert appeals["by_category"]["unspecified"] == 1
    assert sum(appeals["by_category"].values()) == 5
    assert appeals["by_risk_level"] == {"blue": 2, "yellow": 1, "orange": 1, "red": 1}

    # resolved before `to`: d1 (10 h), d2 (24 h), d7 (20 min); d4 only in April
    assert body["resolution"] == {
        "resolved": 3,
        "resolution_rate": 0.6,
        # first actions: d1 2 h (mediating), d2 4 h (a visit before its order and mediation),
        # d3 1 h (an order citing it), d4 6 h, d7 10 min
        "median_hours_to_first_action": 2.0,
        "median_hours_to_resolve": 10.0,
    }
    orders = body["orders"]
    assert {k: v for k, v in orders.items() if k != "by_department"} == {
        "issued": 5,  # o6 was issued in February
        "arrived": 4,
        "arrived_on_time": 2,  # o1 (ok) and o5 (verified); o2 is flagged, o3 late
        "arrived_flagged": 1,
        "on_time_rate": 0.4,
        "leader_level_met_rate": 0.75,  # o2 sent a section chief where a division was asked
        "overdue": 2,
        "escalated_to_street": 2,
        "escalated_to_district": 1,
    }
    departments = {d["department_id"]: d for d in orders["by_department"]}
    assert set(departments) == {str(ds.HOUSING), str(ds.URBAN)}
    housing, urban = departments[str(ds.HOUSING)], departments[str(ds.URBAN)]
    assert housing["name"] == "区住房和建设局"
    assert (housing["issued"], housing["on_time_rate"]) == (3, pytest.approx(2 / 3))
    assert (housing["mean_community_rating"], housing["mean_department_rating"]) == (4.0, 5.0)
    assert (urban["issued"], urban["on_time_rate"]) == (2, 0.0)
    assert (urban["mean_community_rating"], urban["mean_department_rating"]) == (2.0, None)
    assert orders["by_department"][0]["department_id"] == str(ds.HOUSING)  # most orders first

    assert body["warnings"] == {
        "raised": {"blue": 1, "yellow": 1, "orange": 1, "red": 4},
        "median_minutes_to_ack": {"red": 30.0},  # 10, 30, 60; w7 never acknowledged
    }
    # d1 satisfied, d2 last rated basically satisfied (after unsatisfied); d4 rated in April
    assert body["satisfaction"] == {
        "rated": 2,
        "satisfied": 1,
        "basically_satisfied": 1,
        "unsatisfied": 0,
        "satisfied_rate": 1.0,
    }
    # one row per street of the district, in code order: the six demo streets and any street
    # another test added to the shared database (test_boundaries.py's 边界测试街道), whose
    # figures are all empty below
    tree = await load_tree()
    streets = sorted(
        (u for u in tree.units.values() if u.parent_id == ds.DISTRICT and u.kind == "street"),
        key=lambda u: u.code,
    )
    assert [c["org_unit_id"] for c in body["by_child"]] == [str(u.id) for u in streets]
    assert set(ds.DEMO_STREETS) <= {u.id for u in streets}
    children = {c["org_unit_id"]: c for c in body["by_child"]}
    guangming, gongming = children[str(ds.GUANGMING)], children[str(ds.GONGMING)]
    assert guangming["name"] == "光明街道"
    assert (guangming["received"], guangming["resolution_rate"]) == (3, pytest.approx(2 / 3))
    assert guangming["on_time_rate"] == pytest.approx(2 / 3)
    assert (gongming["received"], gongming["resolution_rate"], gongming["on_time_rate"]) == (
        2,
        0.5,
        0.0,
    )
    empty = [
        c for c in body["by_child"] if c["org_unit_id"] not in (str(ds.GUANGMING), str(ds.GONGMING))
    ]
    assert all(c["received"] == 0 and c["resolution_rate"] is None for c in empty)
    assert all(c["on_time_rate"] is None for c in empty)


@pytest.mark.usefixtures("march")
async def test_a_street_sees_its_subtree(client: Any) -> None:
    body = await stats(client, "street.a", ds.GUANGMING)
    assert body["appeals"]["received"] == 3
    assert body["resolution"] == {
        "resolved": 2,
        "resolution_rate": pytest.approx(2 / 3),
        "median_hours_to_first_action": 2.0,  # 2, 4, 1
        "median_hours_to_resolve": 17.0,  # 10, 24
    }
    assert body["orders"]["issued"] == 3
    assert body["orders"]["arrived_flagged"] == 1
    assert body["orders"]["on_time_rate"] == pytest.approx(2 / 3)
    # w1, w2 (on the street itself), w4, w7; not B1's or the district's
    assert body["warnings"]["raised"] == {"blue": 0, "yellow": 0, "orange": 1, "red": 3}
    assert body["warnings"]["median_minutes_to_ack"] == {"red": 20.0}
    assert body["satisfaction"]["rated"] == 2
    children = {c["org_unit_id"]: c for c in body["by_child"]}
    assert children[str(ds.A1)]["received"] == 2
    assert children[str(ds.A2)]["received"] == 1
    assert children[str(ds.A2)]["resolution_rate"] == 0.0


@pytest.mark.usefixtures("march")
async def test_a_community(client: Any) -> None:
    body = await stats(client, "admin.b", ds.B1)
    assert body["appeals"]["received"] == 2
    assert body["resolution"]["resolved"] == 1
    assert body["resolution"]["resolution_rate"] == 0.5
    assert body["resolution"]["median_hours_to_first_action"] == pytest.approx(3.08, abs=0.01)
    assert body["resolution"]["median_hours_to_resolve"] == pytest.approx(0.33, abs=0.01)
    assert body["satisfaction"] == {
        "rated": 0,
        "satisfied": 0,
        "basically_satisfied": 0,
        "unsatisfied": 0,
        "satisfied_rate": None,
    }
    assert body["warnings"]["raised"] == {"blue": 0, "yellow": 1, "orange": 0, "red": 1}
    assert body["by_child"] == []


@pytest.mark.usefixtures("march")
async def test_windows(client: Any) -> None:
    """The first half of March: d1-d4; d4's resolution (April) is outside; o1-o3."""
    body = await stats(
        client,
        "district",
        ds.DISTRICT,
        **{"from": "2019-03-01T00:00:00Z", "to": "2019-03-16T00:00:00Z"},
    )
    assert body["appeals"]["received"] == 4
    assert body["resolution"]["resolved"] == 2
    assert body["resolution"]["median_hours_to_resolve"] == 17.0
    assert body["orders"]["issued"] == 3
    # ending at d1's resolution: received but not yet resolved (facts before `to` only)
    body = await stats(
        client,
        "district",
        ds.DISTRICT,
        **{"from": "2019-03-02T00:00:00Z", "to": "2019-03-02T10:00:00Z"},
    )
    assert (body["appeals"]["received"], body["resolution"]["resolved"]) == (1, 0)
    assert body["resolution"]["median_hours_to_first_action"] == 2.0
    assert body["resolution"]["median_hours_to_resolve"] is None


@pytest.mark.usefixtures("march")
async def test_an_empty_window_has_zeros_and_nulls(client: Any) -> None:
    body = await stats(
        client,
        "district",
        ds.DISTRICT,
        **{"from": "2019-01-01T00:00:00Z", "to": "2019-02-01T00:00:00Z"},
    )
    assert body["appeals"]["received"] == 0
    assert body["resolution"] == {
        "resolved": 0,
        "resolution_rate": None,
        "median_hours_to_first_action": None,
        "median_hours_to_resolve": None,
    }
    assert body["orders"]["issued"] == 0
    assert body["orders"]["on_time_rate"] is None
    assert body["orders"]["leader_level_met_rate"] is None
    assert body["orders"]["by_department"] == []
    assert body["warnings"]["median_minutes_to_ack"] == {"red": None}
    assert body["satisfaction"]["satisfied_rate"] is None


async def test_scope_is_checked(client: Any) -> None:
    street = await as_user(client, "street.a")
    for unit in (ds.DISTRICT, ds.GONGMING, ds.B1):
        response = await street.get(
            "/api/command/stats", params={"org_unit_id": str(unit), **MARCH}
        )
        assert_error(response, 403, "forbidden")
    admin = await as_user(client, "admin.a")
    assert_error(
        await admin.get("/api/command/stats", params={"org_unit_id": str(ds.A2), **MARCH}),
        403,
        "forbidden",
    )
    for user in ("gw.a1", "dept.housing", "lawyer.a"):
        session = await as_user(client, user)
        assert_error(
            await session.get("/api/command/stats", params={"org_unit_id": str(ds.A1), **MARCH}),
            403,
            "forbidden",
        )
    assert (
        await client.get("/api/command/stats", params={"org_unit_id": str(ds.A1), **MARCH})
    ).status_code == 401


BAD = [
    ("no unit", {**MARCH}),
    ("unknown unit", {"org_unit_id": "00000000-0000-0000-0000-000000000000", **MARCH}),
    ("not a uuid", {"org_unit_id": "GM", **MARCH}),
    ("a grid", {"org_unit_id": "grid", **MARCH}),
    ("a department", {"org_unit_id": str(ds.HOUSING), **MARCH}),
    ("no from", {"org_unit_id": str(ds.DISTRICT), "to": MARCH["to"]}),
    ("bad from", {"org_unit_id": str(ds.DISTRICT), "from": "2019-03-01", "to": MARCH["to"]}),
    ("bad to", {"org_unit_id": str(ds.DISTRICT), "from": MARCH["from"], "to": "tomorrow"}),
    ("to before from", {"org_unit_id": str(ds.DISTRICT), "from": MARCH["to"], "to": MARCH["from"]}),
    ("empty window", {"org_unit_id": str(ds.DISTRICT), "from": MARCH["from"], "to": MARCH["from"]}),
    (
        "two years",
        {
            "org_unit_id": str(ds.DISTRICT),
            "from": "2017-01-01T00:00:00Z",
            "to": "2019-01-01T00:00:00Z",
        },
    ),
    (
        "offset time",
        {"org_unit_id": str(ds.DISTRICT), "from": "2019-03-01T00:00:00+08:00", "to": MARCH["to"]},
    ),
]


@pytest.mark.parametrize("params", [b[1] for b in BAD], ids=[b[0] for b in BAD])
async def test_bad_input_is_400(client: Any, params: dict[str, str]) -> None:
    if params.get("org_unit_id") == "grid":
        from server.org.importer import unit_id

        params = {**params, "org_unit_id": str(unit_id("GM.GUANGMING.C01.G1"))}
    district = await as_user(client, "district")
    error = assert_error(await district.get("/api/command/stats", params=params), 400)
    assert error["code"] in ("invalid_request", "validation")


@pytest.mark.usefixtures("march")
async def test_a_rating_as_last_recorded_before_the_window_ends(client: Any) -> None:
    """Up to 12:00 on 7 March: d1 (rated satisfied on the 3rd) and d2 (rated unsatisfied on
    the 7th, basically satisfied on the 8th: after `to`, so its rating then was unsatisfied,
    found in its facts).  Ending on the 6th instead, d2 had no rating yet (first rated after
    `to`: no lookup needed)."""
    body = await stats(
        client,
        "district",
        ds.DISTRICT,
        **{"from": "2019-03-01T00:00:00Z", "to": "2019-03-07T12:00:00Z"},
    )
    assert body["appeals"]["received"] == 2
    assert body["satisfaction"] == {
        "rated": 2,
        "satisfied": 1,
        "basically_satisfied": 0,
        "unsatisfied": 1,
        "satisfied_rate": 0.5,
    }
    body = await stats(
        client,
        "district",
        ds.DISTRICT,
        **{"from": "2019-03-01T00:00:00Z", "to": "2019-03-06T00:00:00Z"},
    )
    assert body["appeals"]["received"] == 2
    assert (body["satisfaction"]["rated"], body["satisfaction"]["satisfied"]) == (1, 1)
    assert body["satisfaction"]["unsatisfied"] == 0
