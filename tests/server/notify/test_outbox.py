"""The outbox contract: rows written in the caller's transaction, claimed once, and delivered by
the embedded deliverer (no Redis) through the same delivery function."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from server.notify.delivery import deliver_batch_async, transaction, utcnow
from server.notify.services import encode_payload, enqueue_push, kick, make_topic
from server.notify.tables import DeliveryAttempt, PushDelivery, PushSubscription
from tests.server.notify.helpers import enqueue, eventually, payload, settled, subscribe
from tests.server.notify.pushservice import Answer, PushService

pytestmark = pytest.mark.usefixtures("private_endpoints_allowed")


async def test_enqueue_needs_the_callers_transaction(pushsvc: PushService) -> None:
    user, _ = await subscribe(pushsvc)
    with pytest.raises(RuntimeError, match="transaction"):
        await enqueue_push([user], payload(), ttl=60)


async def test_rows_roll_back_with_the_change(pushsvc: PushService) -> None:
    user, _ = await subscribe(pushsvc)

    class Boom(Exception):
        pass

    with pytest.raises(Boom):
        async with transaction():
            ids = await enqueue_push([user], payload(), ttl=60)
            assert len(ids) == 1
            raise Boom
    assert await PushDelivery.count() == 0


async def test_users_without_devices_get_no_rows(pushsvc: PushService) -> None:
    from uuid import uuid4

    async with transaction():
        assert await enqueue_push([uuid4()], payload(), ttl=60) == []
        assert await enqueue_push([], payload(), ttl=60) == []


@pytest.mark.parametrize(
    ("body", "kw"),
    [
        ({**payload(), "phone": "13800000000"}, {}),
        ({k: v for k, v in payload().items() if k != "url"}, {}),
        (payload(body="x" * 3100), {}),
        (payload(), {"ttl": 0}),
        (payload(), {"urgency": "urgent"}),
        (payload(), {"topic": "dispatch-order-" + "x" * 40}),
        (payload(), {"topic": "has space"}),
    ],
)
async def test_payload_and_headers_are_validated(
    pushsvc: PushService, body: dict[str, str], kw: dict[str, object]
) -> None:
    user, _ = await subscribe(pushsvc)
    kw.setdefault("ttl", 60)
    async with transaction():
        with pytest.raises(ValueError):
            await enqueue_push([user], body, **kw)  # type: ignore[arg-type]


def test_ttl_and_retry_after_helpers() -> None:
    from email.utils import format_datetime

    from server.notify.services import ttl_until
    from server.notify.webpush import parse_retry_after

    assert 3590 <= ttl_until(utcnow() + timedelta(hours=1)) <= 3600
    assert ttl_until(utcnow() - timedelta(hours=1)) == 300  # never 0
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after(None) is None and parse_retry_after("soon") is None
    later = parse_retry_after(format_datetime(utcnow() + timedelta(seconds=90), usegmt=True))
    assert later is not None and 85 <= later <= 90


def test_payload_is_compact_utf8_and_topics_fit() -> None:
    text = encode_payload(payload(title="红色预警"))
    assert "红色预警" in text and ", " not in text
    assert len(encode_payload(payload(body="字" * 900)).encode()) <= 3072
    topic = make_topic("dispatch_order", "0190a8a3-6a8b-7cde-8f00-123456789abc")
    assert len(topic) == 32 and topic == make_topic(
        "dispatch_order", "0190a8a3-6a8b-7cde-8f00-123456789abc"
    )


async def test_concurrent_runs_of_one_batch_send_once(pushsvc: PushService) -> None:
    users, subs = [], []
    for _ in range(6):
        user, sub = await subscribe(pushsvc)
        users.append(user)
        subs.append(sub)
    async with transaction():
        ids = await enqueue_push(users, payload("once"), ttl=60)
    reports = await asyncio.gather(*(deliver_batch_async(ids) for _ in range(3)))
    assert sorted(i for r in reports for i in r.sent) == sorted(ids)
    again = await deliver_batch_async(ids)
    assert again.sent == [] and sorted(again.skipped) == sorted(ids)
    for sub in subs:
        assert len(pushsvc.messages(sub)) == 1
    assert await DeliveryAttempt.count() == len(ids)


async def test_expired_messages_are_not_sent(pushsvc: PushService) -> None:
    user, sub = await subscribe(pushsvc)
    async with transaction():
        [delivery_id] = await enqueue_push([user], payload(), ttl=60)
    old = utcnow() - timedelta(seconds=61)
    await PushDelivery.update({PushDelivery.created_at: old}).where(PushDelivery.id == delivery_id)
    report = await deliver_batch_async([delivery_id])
    assert report.failed == [delivery_id]
    row = await PushDelivery.select().where(PushDelivery.id == delivery_id).first()
    assert row is not None and (row["status"], row["last_error"]) == ("failed", "expired")
    assert pushsvc.requests[sub.token] == 0


async def test_resubscribed_device_gets_it_at_its_new_endpoint(pushsvc: PushService) -> None:
    import msgspec

    from server.notify.schemas import SubscriptionIn
    from server.notify.services import SubscriptionService

    user, old = await subscribe(pushsvc)
    row = await PushSubscription.select().first()
    assert row is not None
    async with transaction():
        ids = await enqueue_push([user], payload(), ttl=60)
    new = pushsvc.subscribe()
    service = SubscriptionService()
    await service.subscribe(
        user, row["device_id"], msgspec.convert(new.subscription_json(), SubscriptionIn)
    )
    await deliver_batch_async(ids)
    assert len(pushsvc.delivered(new)) == 1 and pushsvc.messages(old) == []

    # A device that unsubscribed before delivery: nothing is sent, the row is closed.
    async with transaction():
        ids = await enqueue_push([user], payload(), ttl=60)
    await service.unsubscribe(row["device_id"])
    report = await deliver_batch_async(ids)
    assert report.gone == ids
    assert len(pushsvc.delivered(new)) == 1


async def test_embedded_mode_delivers_without_redis(
    pushsvc: PushService, embedded_mode: None
) -> None:
    from server.notify.local import local_deliverer, start_local_deliverer, stop_local_deliverer
    from server.settings import get_settings

    assert get_settings().redis_url is None
    await start_local_deliverer()
    try:
        assert local_deliverer() is not None
        user, sub = await subscribe(pushsvc)
        _, flaky = await subscribe(pushsvc)
        pushsvc.script(flaky, Answer(500), Answer(201))
        ids = await enqueue([user], payload("e-1"))
        await eventually(lambda: settled(ids), within=10)
        assert [m.payload["id"] for m in pushsvc.delivered(sub)] == ["e-1"]
        # Retries come due by polling the table.
        flaky_user = (
            await PushSubscription.select(PushSubscription.user_id)
            .where(PushSubscription.endpoint == flaky.endpoint)
            .first()
        )
        assert flaky_user is not None
        ids = await enqueue([flaky_user["user_id"]], payload("e-2"))
        await eventually(lambda: settled(ids), within=10)
        assert [m.answered for m in pushsvc.messages(flaky)] == [500, 201]
    finally:
        await stop_local_deliverer()


async def test_embedded_rows_written_while_stopped_are_delivered_on_start(
    pushsvc: PushService, embedded_mode: None
) -> None:
    """The table is the queue: a kick nobody hears loses nothing."""
    from server.notify.local import start_local_deliverer, stop_local_deliverer

    user, sub = await subscribe(pushsvc)
    async with transaction():
        ids = await enqueue_push([user], payload("later"), ttl=60)
    kick(ids)  # no deliverer running: a no-op
    assert await PushDelivery.count().where(PushDelivery.status == "pending") == 1
    await start_local_deliverer()
    try:
        await eventually(lambda: settled(ids), within=10)
    finally:
        await stop_local_deliverer()
    assert len(pushsvc.delivered(sub)) == 1


def test_beat_schedule_holds_the_sweep() -> None:
    from server.worker import app, celery_app

    assert celery_app is app
    entry = app.conf.beat_schedule["notify-sweep"]
    assert entry["task"] == "notify.sweep"
    assert entry["schedule"] == timedelta(minutes=1)
    assert app.conf.task_acks_late is True and app.conf.worker_prefetch_multiplier == 1
    import server.notify.tasks  # noqa: F401 - registers the tasks

    assert {"notify.deliver", "notify.sweep"} <= set(app.tasks)


async def test_per_user_pushes_are_one_statement_with_each_users_payload(
    pushsvc: PushService,
) -> None:
    """`enqueue_pushes` (an inbox notice per recipient, each naming its own notification)
    writes one delivery per subscribed device with that user's payload, options and
    notification, skips users without a device, and checks every push's options."""
    import json
    from uuid import uuid4

    from server.notify.services import PushTo, enqueue_pushes

    alice, _ = await subscribe(pushsvc)
    bob, _ = await subscribe(pushsvc)
    await subscribe(pushsvc, bob)  # bob's second device
    nobody = uuid4()
    pushes = [
        PushTo(alice, payload("a"), ttl=60, urgency="high", topic="t-a", notification_id="na"),
        PushTo(bob, payload("b"), ttl=7200, notification_id="nb"),
        PushTo(nobody, payload("c"), ttl=60, notification_id="nc"),
    ]
    with pytest.raises(RuntimeError, match="transaction"):
        await enqueue_pushes(pushes)
    async with transaction():
        ids = await enqueue_pushes(pushes)
        assert await enqueue_pushes([]) == []
    assert len(ids) == 3
    rows = await PushDelivery.select().where(PushDelivery.id.is_in(ids))
    by_user: dict[str, list[dict[str, object]]] = {}
    for row in rows:
        by_user.setdefault(str(row["user_id"]), []).append(row)
    assert sorted(by_user) == sorted([str(alice), str(bob)])
    [a] = by_user[str(alice)]
    assert (a["ttl"], a["urgency"], a["topic"], a["notification_id"]) == (60, "high", "t-a", "na")
    assert json.loads(str(a["payload"]))["id"] == "a"
    assert len(by_user[str(bob)]) == 2
    for b in by_user[str(bob)]:
        assert (b["ttl"], b["urgency"], b["topic"], b["notification_id"]) == (
            7200,
            "normal",
            None,
            "nb",
        )
        assert json.loads(str(b["payload"]))["id"] == "b"
    async with transaction():
        with pytest.raises(ValueError):
            await enqueue_pushes([PushTo(alice, payload(), ttl=0)])
        with pytest.raises(ValueError):
            await enqueue_pushes([PushTo(alice, {**payload(), "phone": "13800000000"}, ttl=60)])
