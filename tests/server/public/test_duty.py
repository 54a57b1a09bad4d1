"""Leaders' duty roster (领导接访): admins publish, the public sees who is where and when,
residents ask for a slot, and the leader is told and reminded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from server.public.duty import remind_leaders
from tests.helpers import COMMUNITY_A, COMMUNITY_B, login


def _at(hours: float) -> str:
    moment = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=hours)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


async def test_publish_show_ask_and_remind(client: Any) -> None:
    leader = await login(client, "street.a")
    shift = {
        "org_unit_id": str(COMMUNITY_A),
        "leader_id": leader.user_id,
        "leader_title": "光明街道党工委书记",
        "starts_at": _at(20),
        "ends_at": _at(23),
        "capacity": 2,
    }
    published = await leader.post("/api/duty/shifts", json=shift)
    assert published.status_code == 201, published.text
    shift_id = published.json()["id"]

    roster = (await client.get("/api/public/duty", params={"org_unit_id": str(COMMUNITY_A)})).json()
    shown = next(s for s in roster if s["id"] == shift_id)
    assert shown["leader_title"] == "光明街道党工委书记" and shown["slots_left"] == 2
    assert shown["leader_name"] == leader.user["display_name"]
    assert "requests" not in shown

    for n in range(2):
        asked = await client.post(
            f"/api/public/duty/{shift_id}/requests",
            json={"topic": f"小区停车问题{n}", "contact_phone": "13700000000"},
        )
        assert asked.status_code == 201, asked.text
    full = await client.post(
        f"/api/public/duty/{shift_id}/requests",
        json={"topic": "再来一位", "contact_phone": "13700000001"},
    )
    assert full.status_code == 409 and full.json()["error"]["code"] == "shift_full"

    await leader.pull_all()
    notices = [c["fields"] for c in leader.seen.values() if c["collection"] == "notifications"]
    assert any(n["type"] == "duty" and "预约" in n["title"] for n in notices)
    assert all("13700000000" not in n["body"] for n in notices)

    staff_view = (await leader.get("/api/duty/shifts")).json()
    mine = next(s for s in staff_view if s["id"] == shift_id)
    assert [r["contact_phone"] for r in mine["requests"]] == ["13700000000", "13700000000"]

    assert await remind_leaders() >= 1
    assert await remind_leaders() == 0  # once
    await leader.pull_all()
    notices = [c["fields"] for c in leader.seen.values() if c["collection"] == "notifications"]
    assert any(n["title"] == "领导接访提醒" and "已有2位" in n["body"] for n in notices)


async def test_only_admins_of_the_scope_publish(client: Any) -> None:
    street = await login(client, "street.a")
    base = {
        "leader_id": street.user_id,
        "leader_title": "街道领导",
        "starts_at": _at(30),
        "ends_at": _at(32),
    }
    gw = await login(client, "gw.a1")
    assert (
        await gw.post("/api/duty/shifts", json={**base, "org_unit_id": str(COMMUNITY_A)})
    ).status_code == 403
    other = await street.post("/api/duty/shifts", json={**base, "org_unit_id": str(COMMUNITY_B)})
    assert other.status_code == 403
    admin = await login(client, "admin.a")
    not_a_leader = await street.post(
        "/api/duty/shifts",
        json={**base, "org_unit_id": str(COMMUNITY_A), "leader_id": admin.user_id},
    )
    assert not_a_leader.status_code == 422
    for bad in (
        {"starts_at": _at(-2), "ends_at": _at(-1)},
        {"starts_at": _at(5), "ends_at": _at(4)},
        {"starts_at": _at(5), "ends_at": _at(30)},
        {"starts_at": "tomorrow"},
        {"leader_title": ""},
        {"capacity": 0},
    ):
        response = await street.post(
            "/api/duty/shifts", json={**base, "org_unit_id": str(COMMUNITY_A), **bad}
        )
        assert response.status_code in (400, 422), (bad, response.text)
    assert (await client.post("/api/duty/shifts", json=base)).status_code == 401


async def test_bad_slot_requests(client: Any) -> None:
    import uuid

    missing = await client.post(
        f"/api/public/duty/{uuid.uuid4()}/requests",
        json={"topic": "停车问题", "contact_phone": "13700000000"},
    )
    assert missing.status_code == 404
    bad = await client.post(
        f"/api/public/duty/{uuid.uuid4()}/requests", json={"topic": "x", "contact_phone": "no"}
    )
    assert bad.status_code == 400
