"""A supervisor's phone holds disputes reduced (or not at all); opening one reads the whole
record online, and offline says so (COMMAND_API.md "Supervisors' devices hold less")."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from server.org.importer import unit_id

from .conftest import PASSWORD, go, login

PHONE = "13800138000"
COMMUNITY_A = str(unit_id("GM.GUANGMING.C01"))


def _dispute_with_parties(base: str, risk: str) -> str:
    """Made by gw.a1 over HTTP (the form's party editor is tested elsewhere)."""
    with httpx.Client(base_url=base, timeout=30) as client:
        body = client.post(
            "/api/auth/login",
            json={"username": "gw.a1", "password": PASSWORD, "device_name": "browser test"},
        ).json()
        record_id = str(uuid.uuid4())
        response = client.post(
            "/api/sync/push",
            headers={"Authorization": f"Bearer {body['access_token']}"},
            json={
                "schema_version": 1,
                "mutations": [
                    {
                        "id": str(uuid.uuid4()),
                        "seq": 1,
                        "collection": "disputes",
                        "record_id": record_id,
                        "op": "upsert",
                        "base_version": 0,
                        "hlc": f"{1764000000000:013d}-0001-{body['device_id']}",
                        "fields": {
                            "community_id": COMMUNITY_A,
                            "title": "完整信息 " + {"blue": "低风险", "orange": "高风险"}.get(risk, "风险"),
                            "risk_level": risk,
                            "channel": "door_to_door",
                            "parties": [{"name": "张三", "phone": PHONE, "role": "申请人"}],
                        },
                    }
                ],
            },
        )
        assert response.json()["results"][0]["status"] == "applied", response.text
        return record_id


def test_a_supervisor_reads_the_whole_dispute_online_and_is_told_offline(
    server_url: str, phone: Any
) -> None:
    online_id = _dispute_with_parties(server_url, "blue")
    offline_id = _dispute_with_parties(server_url, "blue")
    ctx = phone()
    page = login(ctx, server_url, "district")
    go(page, f"#/disputes/{online_id}", "[data-full-record=full]")
    text = page.inner_text("main")
    assert PHONE in text and "张三" in text
    assert "查看完整信息会记入访问日志" in text
    ctx.set_offline(True)
    page.evaluate("window.dispatchEvent(new Event('offline'))")
    go(page, f"#/disputes/{offline_id}", "[data-full-record=offline]")
    assert "需要网络查看完整信息" in page.inner_text("main")
    assert PHONE not in page.inner_text("main")
