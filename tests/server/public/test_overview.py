"""Public figures (一体化公开) equal the command view's for the same unit and window, and are
cacheable (ETag, Cache-Control) with no personal data."""

from __future__ import annotations

from typing import Any

from server.public import overview
from tests.helpers import COMMUNITY_A, STREET_A, login
from tests.server.public.flow import accepted, move

KEYS = ("received", "resolved", "resolution_rate", "on_time_rate", "satisfied_rate")


def command_figures(stats: dict[str, Any]) -> dict[str, Any]:
    return {
        "received": stats["appeals"]["received"],
        "resolved": stats["resolution"]["resolved"],
        "resolution_rate": stats["resolution"]["resolution_rate"],
        "on_time_rate": stats["orders"]["on_time_rate"],
        "satisfied_rate": stats["satisfaction"]["satisfied_rate"],
    }


async def test_public_figures_equal_the_command_view(client: Any) -> None:
    admin, body, item = await accepted(client, "公开数据测试")
    await move(admin, item["dispute_id"], status="mediating")
    await move(admin, item["dispute_id"], status="resolved")
    rated = await client.post(f"{body['status_url']}/rating", json={"satisfaction": "satisfied"})
    assert rated.status_code == 200
    overview.forget()

    response = await client.get("/api/public/overview", params={"org_unit_id": str(STREET_A)})
    assert response.status_code == 200, response.text
    public = response.json()
    assert len(public["months"]) == 12
    district = await login(client, "district")
    this_month = public["months"][-1]
    month_start = f"{this_month['month']}-01T00:00:00Z"
    stats = (
        await district.get(
            "/api/command/stats",
            params={"org_unit_id": str(STREET_A), "from": month_start, "to": public["to"]},
        )
    ).json()
    assert {k: this_month[k] for k in KEYS} == command_figures(stats)
    assert this_month["received"] >= 1 and this_month["satisfied_rate"] is not None

    child = next(c for c in public["children"] if c["org_unit_id"] == str(COMMUNITY_A))
    stats = (
        await district.get(
            "/api/command/stats",
            params={"org_unit_id": str(COMMUNITY_A), "from": public["from"], "to": public["to"]},
        )
    ).json()
    assert {k: child[k] for k in KEYS} == command_figures(stats)
    assert "公开数据测试" not in response.text and "13800138000" not in response.text

    etag = response.headers["ETag"]
    assert "max-age" in response.headers["Cache-Control"]
    again = await client.get(
        "/api/public/overview",
        params={"org_unit_id": str(STREET_A)},
        headers={"If-None-Match": etag},
    )
    assert again.status_code == 304 and again.headers["ETag"] == etag


async def test_overview_bad_unit(client: Any) -> None:
    for unit in ("nope", "00000000-0000-0000-0000-000000000000"):
        response = await client.get("/api/public/overview", params={"org_unit_id": unit})
        assert response.status_code == 400
    default = await client.get("/api/public/overview")
    assert default.status_code == 200 and default.json()["kind"] == "district"
