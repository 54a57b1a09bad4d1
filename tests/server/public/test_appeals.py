"""Public appeals: a resident with no account submits, the hall triages, the resident tracks."""

from __future__ import annotations

import uuid
from typing import Any

from server.org.importer import unit_id
from server.public import codes
from tests.helpers import COMMUNITY_A, login
from tests.server.public.conftest import appeal

GRID_A = unit_id("GM.GUANGMING.C01.G1")


async def submit(client: Any, **fields: Any) -> dict[str, Any]:
    response = await client.post("/api/public/appeals", json=appeal(**fields))
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_an_appeal_becomes_a_dispute_in_the_hall_triage(client: Any) -> None:
    body = await submit(client, contact_phone="13800138000")
    code = body["tracking_code"]
    assert len(code) == 10 and set(code) <= set(codes.ALPHABET)
    assert body["status_url"] == f"/api/public/appeals/{code}"

    admin = await login(client, "admin.a")
    listed = (await admin.get("/api/triage/appeals", params={"triage": "pending"})).json()
    item = next(i for i in listed if i["title"] == "楼道堆放杂物")
    assert item["channel"] == "station" and item["has_phone"]
    assert item["community_id"] == str(COMMUNITY_A)

    # the dispute syncs to the hall like any record, the phone kept as a party's personal data
    await admin.pull_all()
    dispute = admin.seen[("disputes", item["dispute_id"])]["fields"]
    assert dispute["status"] == "registered" and dispute["risk_level"] == "blue"
    assert dispute["parties"][0]["phone"] == "13800138000"

    status = (await client.get(body["status_url"])).json()
    assert status["status"] == "registered" and status["triage"] == "pending"
    assert [e["code"] for e in status["timeline"]] == ["received"]
    assert status["can_rate"] is False

    accepted = await admin.post(
        f"/api/triage/appeals/{item['appeal_id']}/accept",
        json={"grid_id": str(GRID_A), "service_type": "complaint"},
    )
    assert accepted.status_code == 200, accepted.text
    status = (await client.get(body["status_url"])).json()
    assert [e["code"] for e in status["timeline"]] == ["received", "accepted"]
    assert "投诉建议" in status["timeline"][1]["what"]
    again = await admin.post(
        f"/api/triage/appeals/{item['appeal_id']}/accept",
        json={"grid_id": str(GRID_A), "service_type": "complaint"},
    )
    assert again.status_code == 409


async def test_a_resend_from_the_outbox_arrives_once(client: Any) -> None:
    client_id = str(uuid.uuid4())
    first = await submit(client, client_id=client_id, title="重复提交测试")
    second = await client.post(
        "/api/public/appeals", json=appeal(client_id=client_id, title="重复提交测试")
    )
    assert second.status_code == 200
    assert second.json()["tracking_code"] == first["tracking_code"]
    admin = await login(client, "admin.a")
    listed = (await admin.get("/api/triage/appeals")).json()
    assert sum(1 for i in listed if i["title"] == "重复提交测试") == 1
