"""Satisfaction (回访): the resident rates once the case is resolved; `unsatisfied` reopens it and
raises a yellow warning to the community; a second rating is refused; hall staff may record a
phone callback with the same effect."""

from __future__ import annotations

from typing import Any

from server.warnings.tables import GradedWarning
from tests.helpers import COMMUNITY_A
from tests.server.public.flow import accepted, move


async def yellow_warnings(dispute_id: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = await GradedWarning.select().where(
        GradedWarning.subject_id == dispute_id, GradedWarning.level == "yellow"
    )
    return rows


async def test_status_steps_then_unsatisfied_reopens_and_warns(client: Any) -> None:
    admin, body, item = await accepted(client, "回访不满意测试")
    url, dispute_id = body["status_url"], item["dispute_id"]

    early = await client.post(f"{url}/rating", json={"satisfaction": "satisfied"})
    assert early.status_code == 409 and early.json()["error"]["code"] == "not_resolved"

    await move(admin, dispute_id, status="mediating")
    status = (await client.get(url)).json()
    assert status["status"] == "mediating" and status["can_rate"] is False
    await move(admin, dispute_id, status="resolved", resolution_summary="已协调清理")
    status = (await client.get(url)).json()
    assert status["status"] == "resolved" and status["can_rate"] is True
    steps = [e["code"] for e in status["timeline"]]
    assert steps == ["received", "accepted", "mediating", "resolved"]
    # roles, never names: admin.a's display name appears nowhere in the public answer
    assert admin.user["display_name"] not in str(status)
    assert "社区诉求服务大厅" in status["timeline"][2]["what"]
    assert "13800138000" not in str(status)

    rated = await client.post(
        f"{url}/rating", json={"satisfaction": "unsatisfied", "comment": "还没清理干净"}
    )
    assert rated.status_code == 200, rated.text
    assert rated.json() == {"satisfaction": "unsatisfied", "status": "mediating"}
    warnings = await yellow_warnings(dispute_id)
    assert len(warnings) == 1 and str(warnings[0]["org_unit_id"]) == str(COMMUNITY_A)
    assert "回访不满意" in warnings[0]["message"]

    status = (await client.get(url)).json()
    assert status["status"] == "mediating" and status["can_rate"] is False
    assert status["satisfaction"] == "unsatisfied"
    assert [e["code"] for e in status["timeline"]][-2:] == ["rated", "reopened"]

    # the hall's figures see the callback: the dispute itself carries it
    await admin.pull_all()
    assert admin.seen[("disputes", dispute_id)]["fields"]["satisfaction"] == "unsatisfied"

    second = await client.post(f"{url}/rating", json={"satisfaction": "satisfied"})
    assert second.status_code == 409 and second.json()["error"]["code"] == "already_rated"


async def test_a_satisfied_rating_closes_nothing_and_warns_nobody(client: Any) -> None:
    admin, body, item = await accepted(client, "回访满意测试")
    await move(admin, item["dispute_id"], status="mediating")
    await move(admin, item["dispute_id"], status="resolved")
    rated = await client.post(f"{body['status_url']}/rating", json={"satisfaction": "satisfied"})
    assert rated.json() == {"satisfaction": "satisfied", "status": "resolved"}
    assert await yellow_warnings(item["dispute_id"]) == []


async def test_a_phone_callback_recorded_by_the_hall_reopens_too(client: Any) -> None:
    admin, _body, item = await accepted(client, "电话回访测试")
    await move(admin, item["dispute_id"], status="mediating")
    await move(admin, item["dispute_id"], status="resolved")
    await move(admin, item["dispute_id"], satisfaction="unsatisfied")
    await admin.pull_all()
    assert admin.seen[("disputes", item["dispute_id"])]["fields"]["status"] == "mediating"
    assert len(await yellow_warnings(item["dispute_id"])) == 1


async def test_bad_ratings_change_nothing(client: Any) -> None:
    _admin, body, _item = await accepted(client, "评价输入测试")
    url = body["status_url"]
    for bad in ({"satisfaction": "great"}, {}, {"satisfaction": "satisfied", "extra": 1}):
        response = await client.post(f"{url}/rating", json=bad)
        assert response.status_code == 400, bad
    response = await client.post(f"{url}/rating", content=b"not json")
    assert response.status_code == 400
    missing = await client.post(
        "/api/public/appeals/ABCDEFGHJK/rating", json={"satisfaction": "satisfied"}
    )
    assert missing.status_code == 404
    status = (await client.get(url)).json()
    assert status["satisfaction"] is None
