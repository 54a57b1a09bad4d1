"""A resident's browser subscribes to an appeal (no account) under the same SSRF rules as
staff devices, and is told of each status change without personal data."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from server.notify.delivery import deliver_batch_async
from server.notify.tables import PushDelivery, PushSubscription
from server.public.residents import resident_of
from server.public.tables import PublicAppeal
from tests.server.notify.conftest import use_settings
from tests.server.notify.pushservice import PushService
from tests.server.public.flow import accepted, move


@pytest.fixture
def push_service() -> Iterator[PushService]:
    service = PushService()
    service.start()
    use_settings(DOORSTEP_PUSH_ALLOW_PRIVATE_ENDPOINTS="1")
    try:
        yield service
    finally:
        use_settings(DOORSTEP_PUSH_ALLOW_PRIVATE_ENDPOINTS=None)
        service.stop()


async def test_the_residents_browser_hears_each_step(
    client: Any, push_service: PushService
) -> None:
    admin, body, item = await accepted(client, "推送测试")
    browser = push_service.subscribe()
    response = await client.post(f"{body['status_url']}/push", json=browser.subscription_json())
    assert response.status_code == 201, response.text
    again = await client.post(f"{body['status_url']}/push", json=browser.subscription_json())
    assert again.status_code == 201
    appeal = (
        await PublicAppeal.select(PublicAppeal.id)
        .where(PublicAppeal.dispute_id == item["dispute_id"])
        .first()
    )
    assert appeal is not None
    assert (
        await PushSubscription.count().where(PushSubscription.user_id == resident_of(appeal["id"]))
        == 1
    )

    await move(admin, item["dispute_id"], status="mediating")
    rows = await PushDelivery.select().where(PushDelivery.user_id == resident_of(appeal["id"]))
    assert len(rows) == 1
    payload = rows[0]["payload"]
    payload = json.loads(payload) if isinstance(payload, str) else payload
    assert payload["type"] == "appeal_status" and "正在办理" in payload["body"]
    text = json.dumps(payload, ensure_ascii=False)
    assert (
        "推送测试" not in text
        and "13800138000" not in text
        and admin.user["display_name"] not in text
    )
    report = await deliver_batch_async([rows[0]["id"]])
    assert report.sent == [rows[0]["id"]] or len(push_service.received) == 1


async def test_private_endpoints_are_refused_like_for_staff(client: Any) -> None:
    _admin, body, _item = await accepted(client, "推送SSRF测试")
    service = PushService()
    sub = service.subscribe()  # never started: the address is what is judged
    refused = await client.post(f"{body['status_url']}/push", json=sub.subscription_json())
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "invalid_endpoint"
    bad = await client.post(f"{body['status_url']}/push", json={"endpoint": "https://x"})
    assert bad.status_code == 400
    unknown = await client.post("/api/public/appeals/ABCDEFGHJK/push", json=sub.subscription_json())
    assert unknown.status_code == 404
