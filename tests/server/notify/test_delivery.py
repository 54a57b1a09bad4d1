"""Delivery through a real Celery worker on real Redis to the local push service: every answer
of the push service leads to the outcome the issue asks for, proven end to end."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from server.notify.tables import DeliveryAttempt, PushDelivery, PushSubscription
from tests.server.notify.helpers import enqueue, eventually, payload, settled, subscribe
from tests.server.notify.pushservice import Answer, PushService
from tests.server.notify.support import TEST_POLICY, WorkerProcess

pytestmark = pytest.mark.usefixtures("celery_mode")


async def delivery(delivery_id: int) -> dict[str, Any]:
    row = await PushDelivery.select().where(PushDelivery.id == delivery_id).first()
    assert row is not None
    return row


async def attempts(delivery_id: int) -> list[dict[str, Any]]:
    return list(
        await DeliveryAttempt.select()
        .where(DeliveryAttempt.delivery == delivery_id)
        .order_by(DeliveryAttempt._meta.primary_key)
    )


async def test_201_delivers_encrypted_payload_with_headers(pushsvc: PushService) -> None:
    from server.notify.services import make_topic

    user, sub = await subscribe(pushsvc)
    topic = make_topic("dispatch_order", "o-1")
    body = payload("o-1", type="dispatch_order", title="派单 Dispatch order")
    [delivery_id] = await enqueue([user], body, ttl=1800, urgency="high", topic=topic)

    await eventually(lambda: settled([delivery_id]), what="delivery settled")
    [msg] = pushsvc.delivered(sub)
    assert msg.payload == body
    assert msg.urgency == "high" and msg.topic == topic
    assert 1700 <= msg.ttl <= 1800
    row = await delivery(delivery_id)
    assert row["status"] == "sent" and row["last_status_code"] == 201 and row["attempts"] == 1
    [attempt] = await attempts(delivery_id)
    assert attempt["status_code"] == 201 and attempt["outcome"] == "sent"
    assert attempt["error"] is None
    stored = await PushSubscription.select().where(PushSubscription.endpoint == sub.endpoint)
    assert stored[0]["last_success_at"] is not None
    assert json.loads(row["payload"]) == body


async def test_fanout_to_every_device_of_every_user(pushsvc: PushService) -> None:
    user_a, sub_a1 = await subscribe(pushsvc)
    _, sub_a2 = await subscribe(pushsvc, user_a)
    user_b, sub_b = await subscribe(pushsvc)
    _, other = await subscribe(pushsvc)
    ids = await enqueue([user_a, user_b], payload("w-1"))
    assert len(ids) == 3
    await eventually(lambda: settled(ids))
    for sub in (sub_a1, sub_a2, sub_b):
        assert [m.payload["id"] for m in pushsvc.delivered(sub)] == ["w-1"]
    assert pushsvc.messages(other) == []


@pytest.mark.parametrize("status", [404, 410])
async def test_gone_removes_the_subscription(pushsvc: PushService, status: int) -> None:
    user, sub = await subscribe(pushsvc)
    _, kept = await subscribe(pushsvc, user)
    pushsvc.script(sub, Answer(status))
    ids = await enqueue([user])
    await eventually(lambda: settled(ids))
    by_status = {r["status"] for r in await PushDelivery.select().where(PushDelivery.id.is_in(ids))}
    assert by_status == {"gone", "sent"}
    remaining = await PushSubscription.select(PushSubscription.endpoint)
    assert [r["endpoint"] for r in remaining] == [kept.endpoint]
    assert pushsvc.requests[sub.token] == 1
    [gone] = await PushDelivery.select().where(PushDelivery.status == "gone")
    [attempt] = await attempts(gone["id"])
    assert attempt["status_code"] == status and attempt["outcome"] == "gone"


@pytest.mark.parametrize("status", [400, 401, 403, 413])
async def test_configuration_errors_fail_without_retry(pushsvc: PushService, status: int) -> None:
    user, sub = await subscribe(pushsvc)
    pushsvc.script(sub, Answer(status))
    [delivery_id] = await enqueue([user])
    await eventually(lambda: settled([delivery_id]))
    row = await delivery(delivery_id)
    assert row["status"] == "failed" and row["last_status_code"] == status
    assert row["last_error"] == f"config: HTTP {status}"
    await asyncio.sleep(0.8)  # longer than any backoff of the test policy: nothing comes back
    assert pushsvc.requests[sub.token] == 1
    [attempt] = await attempts(delivery_id)
    assert attempt["outcome"] == "failed"
    # The subscription stays: a configuration error is ours, not the device's.
    assert await PushSubscription.count() == 1


async def test_429_waits_for_retry_after(pushsvc: PushService) -> None:
    user, sub = await subscribe(pushsvc)
    pushsvc.script(sub, Answer(429, retry_after="2"), Answer(201))
    [delivery_id] = await enqueue([user])
    await eventually(lambda: settled([delivery_id]))
    first, second = await attempts(delivery_id)
    assert (first["status_code"], first["error"]) == (429, "rate_limited")
    assert second["status_code"] == 201
    assert (second["at"] - first["at"]).total_seconds() >= 1.9
    assert (await delivery(delivery_id))["status"] == "sent"
    assert len(pushsvc.delivered(sub)) == 1


async def test_5xx_retries_with_backoff_then_delivers(pushsvc: PushService) -> None:
    user, sub = await subscribe(pushsvc)
    pushsvc.script(sub, Answer(500), Answer(503), Answer(201))
    [delivery_id] = await enqueue([user])
    await eventually(lambda: settled([delivery_id]))
    codes = [a["status_code"] for a in await attempts(delivery_id)]
    assert codes == [500, 503, 201]
    row = await delivery(delivery_id)
    assert row["status"] == "sent" and row["attempts"] == 3
    assert len(pushsvc.delivered(sub)) == 1


async def test_5xx_attempts_are_bounded(pushsvc: PushService) -> None:
    user, sub = await subscribe(pushsvc)
    pushsvc.script(sub, Answer(500))
    [delivery_id] = await enqueue([user])
    await eventually(lambda: settled([delivery_id]))
    row = await delivery(delivery_id)
    assert row["status"] == "failed" and row["last_error"].startswith("attempts exhausted")
    assert pushsvc.requests[sub.token] == TEST_POLICY["max_attempts"]
    assert len(await attempts(delivery_id)) == TEST_POLICY["max_attempts"]


async def test_network_errors_retry_then_fail(pushsvc: PushService) -> None:
    from tests.server.notify.support import free_port

    user, sub = await subscribe(pushsvc)
    # The device's endpoint moves to a port where nothing listens.
    dead = f"http://127.0.0.1:{free_port()}/push/{sub.token}"
    await PushSubscription.update({PushSubscription.endpoint: dead}).where(
        PushSubscription.endpoint == sub.endpoint
    )
    [delivery_id] = await enqueue([user])
    await eventually(lambda: settled([delivery_id]))
    tries = await attempts(delivery_id)
    assert len(tries) == TEST_POLICY["max_attempts"]
    assert all(a["status_code"] is None and a["error"].startswith("network") for a in tries)
    row = await delivery(delivery_id)
    assert row["status"] == "failed"
    assert row["last_error"].startswith("attempts exhausted; last: network")


async def test_task_run_twice_delivers_once(
    pushsvc: PushService, celery_mode: WorkerProcess
) -> None:
    from server.notify.tasks import queue_deliveries

    users = []
    subs = []
    for _ in range(5):
        user, sub = await subscribe(pushsvc)
        users.append(user)
        subs.append(sub)
    from server.notify.delivery import transaction
    from server.notify.services import enqueue_push

    async with transaction():
        ids = await enqueue_push(users, payload("twice"), ttl=600)
    # The same ids in two messages (e.g. a kick and a sweep), run by two pool processes at once,
    # then once more after they settled.
    queue_deliveries(ids)
    queue_deliveries(ids)
    await eventually(lambda: settled(ids))
    queue_deliveries(ids)
    await asyncio.sleep(0.5)
    for sub in subs:
        assert len(pushsvc.messages(sub)) == 1
    total = await DeliveryAttempt.count()
    assert total == len(ids)
