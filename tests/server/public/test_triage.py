"""The hall's triage: scope, merge into an existing dispute, and bad input."""

from __future__ import annotations

import uuid
from typing import Any

from server.public.tables import PublicAppeal
from tests.helpers import login, new_dispute
from tests.server.public.flow import GRID_A, move, pending_item, submit


async def test_merge_moves_the_resident_to_the_existing_dispute(client: Any) -> None:
    admin = await login(client, "admin.a")
    existing = str(uuid.uuid4())
    result = await admin.push_one("disputes", existing, new_dispute(title="楼道杂物（已登记）"))
    assert result["status"] == "applied"
    body = await submit(client, title="楼道杂物重复", contact_phone="13900000000")
    item = await pending_item(admin, "楼道杂物重复")
    merged = await admin.post(
        f"/api/triage/appeals/{item['appeal_id']}/merge", json={"dispute_id": existing}
    )
    assert merged.status_code == 200, merged.text
    assert merged.json()["dispute_id"] == existing
    await admin.pull_all()
    target = admin.seen[("disputes", existing)]["fields"]
    assert {"name": "来访群众", "phone": "13900000000", "role": "appellant"} in target["parties"]
    assert admin.seen[("disputes", item["dispute_id"])]["deleted"] is True
    # the resident now follows the existing dispute's steps
    await move(admin, existing, status="mediating")
    status = (await client.get(body["status_url"])).json()
    assert status["triage"] == "merged"
    assert [e["code"] for e in status["timeline"]] == ["received", "merged", "mediating"]


async def test_triage_is_for_the_hall_of_the_appeal_community(client: Any) -> None:
    await submit(client, title="范围测试")
    admin_a = await login(client, "admin.a")
    item = await pending_item(admin_a, "范围测试")
    admin_b = await login(client, "admin.b")
    listed_b = (await admin_b.get("/api/triage/appeals")).json()
    assert not [i for i in listed_b if i["appeal_id"] == item["appeal_id"]]
    refused = await admin_b.post(
        f"/api/triage/appeals/{item['appeal_id']}/reject", json={"reason": "不是本社区"}
    )
    assert refused.status_code == 404
    gw = await login(client, "gw.a1")
    assert (await gw.get("/api/triage/appeals")).status_code == 403
    assert (
        await gw.post(f"/api/triage/appeals/{item['appeal_id']}/reject", json={"reason": "垃圾"})
    ).status_code == 403
    assert (await client.get("/api/triage/appeals")).status_code == 401
    street = await login(client, "street.a")
    assert [i for i in (await street.get("/api/triage/appeals")).json() if i["title"] == "范围测试"]
    other_street = await admin_a.get(
        "/api/triage/appeals", params={"org_unit_id": "00000000-0000-0000-0000-000000000001"}
    )
    assert other_street.status_code == 404


async def test_bad_triage_input_changes_nothing(client: Any) -> None:
    await submit(client, title="分拣输入测试")
    admin = await login(client, "admin.a")
    item = await pending_item(admin, "分拣输入测试")
    url = f"/api/triage/appeals/{item['appeal_id']}"
    other_grid = "GM.GONGMING.C01.G1"
    from server.org.importer import unit_id

    for path, body in (
        ("accept", {"grid_id": str(unit_id(other_grid)), "service_type": "dispute"}),
        ("accept", {"grid_id": str(GRID_A), "service_type": "nonsense"}),
        ("accept", {}),
        ("merge", {"dispute_id": str(uuid.uuid4())}),
        ("merge", {"dispute_id": item["dispute_id"]}),
        ("reject", {"reason": ""}),
        ("reject", {"reason": "x" * 201}),
    ):
        response = await admin.post(f"{url}/{path}", json=body)
        assert response.status_code in (400, 422), (path, body, response.text)
    row = (
        await PublicAppeal.select(PublicAppeal.triage)
        .where(PublicAppeal.id == item["appeal_id"])
        .first()
    )
    assert row is not None and row["triage"] == "pending"
    unknown = await admin.post(
        f"/api/triage/appeals/{uuid.uuid4()}/reject", json={"reason": "垃圾"}
    )
    assert unknown.status_code == 404
    bad_filter = await admin.get("/api/triage/appeals", params={"triage": "maybe"})
    assert bad_filter.status_code == 400
