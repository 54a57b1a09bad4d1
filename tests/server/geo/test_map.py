"""`GET /api/command/map`: the subtree's disputes, warnings and open orders as GeoJSON, placed,
coloured, filtered, with labels safe for a supervisor's screen, and refusals for bad input."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from server.org.importer import unit_id
from tests.helpers import COMMUNITY_A, COMMUNITY_B, DISTRICT, STREET_A, Session, login, new_dispute
from tests.server.replication.support import new_order

pytestmark = pytest.mark.usefixtures("database")

CONTRACT_PROPERTIES = {"collection", "id", "status", "title", "community_id", "updated_at"}
A_CENTRE = [113.909, 22.783]  # community A's centre in the demo file (lng, lat)


async def applied(session: Session, *args: Any, **kw: Any) -> dict[str, Any]:
    result = await session.push_one(*args, **kw)
    assert result["status"] == "applied", result
    return result


async def command_map(session: Session, **params: str) -> dict[str, Any]:
    response = await session.get("/api/command/map", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert body["type"] == "FeatureCollection"
    return body


def by_id(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["properties"]["id"]: f for f in body["features"]}


@pytest.fixture
async def case(client: httpx.AsyncClient) -> dict[str, str]:
    """A red dispute with a place and parties (its warning follows), a blue one without a
    place, a resolved legal one, an order for the red dispute, and a red dispute in B."""
    gw = await login(client, "gw.a1")
    admin = await login(client, "admin.a")
    gw_b = await login(client, "gw.b1")
    ids = {k: str(uuid.uuid4()) for k in ("red", "blue", "done", "order", "other")}
    await applied(
        gw,
        "disputes",
        ids["red"],
        new_dispute(
            risk_level="red",
            title="王小明与李四漏水纠纷 电话13912345678",
            parties=[
                {"name": "王小明", "phone": "13912345678", "role": "applicant"},
                {"name": "李四", "role": "respondent"},
            ],
            location={"lat": 22.7845, "lng": 113.9101, "accuracy_m": 10},
            service_type="dispute",
        ),
    )
    await applied(gw, "disputes", ids["blue"], new_dispute(service_type="dispute"))
    first = await applied(
        gw, "disputes", ids["done"], new_dispute(risk_level="yellow", service_type="legal")
    )
    second = await applied(
        gw, "disputes", ids["done"], {"status": "mediating"}, base_version=first["record_version"]
    )
    await applied(
        gw, "disputes", ids["done"], {"status": "resolved"}, base_version=second["record_version"]
    )
    await applied(
        admin,
        "dispatch_orders",
        ids["order"],
        {**new_order(), "dispute_id": ids["red"], "summary": "王小明家漏水，请到场"},
    )
    await applied(gw_b, "disputes", ids["other"], new_dispute(COMMUNITY_B, risk_level="red"))
    return ids


async def warning_about(session: Session, dispute_id: str) -> dict[str, Any]:
    body = await command_map(session, org_unit_id=str(COMMUNITY_A))
    [warning] = [
        f
        for f in body["features"]
        if f["properties"]["collection"] == "warnings"
        and f["properties"]["subject_id"] == dispute_id
    ]
    return warning


async def test_the_map_places_colours_and_labels_the_subtree(
    client: httpx.AsyncClient, case: dict[str, str]
) -> None:
    admin = await login(client, "admin.a")
    body = await command_map(admin, org_unit_id=str(COMMUNITY_A))
    assert body["org_unit_id"] == str(COMMUNITY_A) and body["truncated"] is False
    features = by_id(body)
    assert {case["red"], case["blue"], case["done"], case["order"]} <= set(features)
    assert case["other"] not in features  # community B
    for feature in body["features"]:
        assert set(feature["properties"]) >= CONTRACT_PROPERTIES
        assert feature["properties"]["community_id"] == str(COMMUNITY_A)
        assert "parties" not in feature["properties"]

    red = features[case["red"]]
    assert red["geometry"] == {"type": "Point", "coordinates": [113.9101, 22.7845]}
    assert red["properties"]["collection"] == "disputes"
    assert red["properties"]["risk_level"] == "red" and red["properties"]["located"] == "record"
    # no phone, no party's full name, nor its length (the contract's 张* form)
    assert red["properties"]["title"] == "王*与李*漏水纠纷 电话139****5678"

    blue = features[case["blue"]]
    assert blue["geometry"]["coordinates"] == A_CENTRE and blue["properties"]["located"] == "unit"

    order = features[case["order"]]
    assert order["properties"]["collection"] == "dispatch_orders"
    assert order["properties"]["status"] == "issued"
    assert order["properties"]["risk_level"] == "red"  # its dispute's colour
    assert order["geometry"]["coordinates"] == [113.9101, 22.7845]  # at its dispute
    assert order["properties"]["title"] == "王*家漏水，请到场"

    warning = await warning_about(admin, case["red"])
    assert warning["properties"]["level"] == "red" and warning["properties"]["status"] == "open"
    assert warning["geometry"]["coordinates"] == [113.9101, 22.7845]
    assert "王小明" not in warning["properties"]["title"]


async def test_filters_by_level_status_period_and_service(
    client: httpx.AsyncClient, case: dict[str, str]
) -> None:
    admin = await login(client, "admin.a")
    a = str(COMMUNITY_A)

    red = by_id(await command_map(admin, org_unit_id=a, levels="red"))
    assert case["red"] in red and case["order"] in red
    assert case["blue"] not in red and case["done"] not in red
    assert all(f["properties"]["level"] == "red" for f in red.values())

    opened = by_id(await command_map(admin, org_unit_id=a, status="open"))
    assert {case["red"], case["blue"], case["order"]} <= set(opened)
    assert case["done"] not in opened
    assert all(f["properties"]["status"] not in ("resolved", "closed") for f in opened.values())

    resolved = by_id(await command_map(admin, org_unit_id=a, status="resolved"))
    assert case["done"] in resolved and case["red"] not in resolved
    assert {f["properties"]["collection"] for f in resolved.values()} == {"disputes"}

    legal = by_id(await command_map(admin, org_unit_id=a, service_type="legal"))
    assert case["done"] in legal and case["red"] not in legal and case["order"] not in legal

    future = await command_map(
        admin, org_unit_id=a, **{"from": "2099-01-01T00:00:00Z", "to": "2099-02-01T00:00:00Z"}
    )
    assert future["features"] == []
    recent = by_id(await command_map(admin, org_unit_id=a, **{"from": "2020-01-01T08:00:00+08:00"}))
    assert case["red"] in recent

    limited = await command_map(admin, org_unit_id=a, limit="1")
    kinds = [f["properties"]["collection"] for f in limited["features"]]
    assert kinds.count("disputes") <= 1 and limited["truncated"] is True


async def test_street_and_district_see_their_subtrees(
    client: httpx.AsyncClient, case: dict[str, str]
) -> None:
    street = by_id(await command_map(await login(client, "street.a"), org_unit_id=str(STREET_A)))
    assert case["red"] in street and case["other"] not in street
    district = by_id(await command_map(await login(client, "district"), org_unit_id=str(DISTRICT)))
    assert case["red"] in district and case["other"] in district
    assert district[case["other"]]["properties"]["community_id"] == str(COMMUNITY_B)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "org_unit_id"),
        ({"org_unit_id": "nope"}, "org_unit_id"),
        ({"levels": "purple"}, "levels"),
        ({"levels": ","}, "levels"),
        ({"status": "bogus"}, "status"),
        ({"service_type": "cooking"}, "service_type"),
        ({"from": "yesterday"}, "from"),
        ({"from": "2026-12-01"}, "from"),
        ({"to": "2026-12-01T00:00:00"}, "to"),
        ({"from": "2026-13-01T00:00:00Z"}, "from"),
        ({"from": "2026-12-02T00:00:00Z", "to": "2026-12-01T00:00:00Z"}, "from"),
        ({"limit": "0"}, "limit"),
        ({"limit": "100000"}, "limit"),
    ],
)
async def test_bad_parameters_are_400(
    client: httpx.AsyncClient, params: dict[str, str], field: str
) -> None:
    admin = await login(client, "admin.a")
    query = {"org_unit_id": str(COMMUNITY_A), **params} if field != "org_unit_id" else params
    response = await admin.get("/api/command/map", params=query)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_request"
    assert error["details"]["field"] == field


async def test_scope_and_role_are_checked(client: httpx.AsyncClient) -> None:
    admin = await login(client, "admin.a")
    gw = await login(client, "gw.a1")
    street = await login(client, "street.a")
    for session, unit, status in [
        (admin, COMMUNITY_B, 403),
        (admin, STREET_A, 403),
        (street, COMMUNITY_B, 403),
        (street, DISTRICT, 403),
        (gw, COMMUNITY_A, 403),
        (await login(client, "dept.housing"), COMMUNITY_A, 403),
        (admin, uuid.uuid4(), 404),
    ]:
        for path in ("/api/command/map", "/api/command/boundaries"):
            response = await session.get(path, params={"org_unit_id": str(unit)})
            assert response.status_code == status, (session.username, path, response.text)
    response = await client.get("/api/command/map", params={"org_unit_id": str(COMMUNITY_A)})
    assert response.status_code == 401


async def test_a_grid_inside_the_scope_is_a_valid_unit(client: httpx.AsyncClient) -> None:
    admin = await login(client, "admin.a")
    body = await command_map(admin, org_unit_id=str(unit_id("GM.GUANGMING.C01.G1")))
    assert all(f["properties"]["collection"] == "warnings" for f in body["features"])
