"""Crashes and outages delay a notification, never lose it: a worker killed mid-task, and the
broker (a private redis-server) stopped while warnings are raised."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator

import pytest

from server.notify.services import stale_deliveries
from server.notify.tables import PushDelivery
from server.notify.tasks import queue_deliveries
from tests.server.notify.conftest import CELERY_TEST_BROKER, point_celery_at, use_settings
from tests.server.notify.helpers import enqueue, eventually, payload, settled, subscribe
from tests.server.notify.pushservice import Answer, PushService
from tests.server.notify.support import TEST_POLICY, RedisServer, WorkerProcess, free_port

# kills a Celery worker and stops a private redis-server: real processes, real waits
pytestmark = pytest.mark.slow

#: seconds: far beyond a kick on a busy machine (the broker refuses at once), only a hang gets there
HANG_TIMEOUT = 60


async def sweep() -> list[int]:
    """What `notify.sweep` does every minute under beat."""
    ids = await stale_deliveries()
    queue_deliveries(ids)
    return ids


async def test_worker_killed_mid_task_loses_nothing(
    pushsvc: PushService, celery_mode: WorkerProcess
) -> None:
    users, subs = [], []
    for _ in range(8):
        user, sub = await subscribe(pushsvc)
        users.append(user)
        subs.append(sub)
    # The push service stalls: the worker is mid-request when it dies.
    for sub in subs:
        pushsvc.script(sub, Answer(201, delay=3.0), Answer(201))
    ids = await enqueue(users, payload("kill"))
    await eventually(lambda: sum(pushsvc.requests.values()) >= 1, what="a request in flight")
    celery_mode.kill()

    rows = await PushDelivery.select().where(PushDelivery.id.is_in(ids))
    assert all(r["status"] == "pending" for r in rows)
    claimed = [r for r in rows if r["claim_token"] is not None]
    assert claimed, "the killed worker held claims"
    # Until the lease lapses nothing is stale, then the sweep re-queues all of them.
    assert await stale_deliveries() == [r["id"] for r in rows if r["claim_token"] is None]
    await asyncio.sleep(TEST_POLICY["lease_seconds"] + 0.2)
    assert sorted(await stale_deliveries()) == sorted(ids)

    celery_mode.start()
    # The beat entry's task, run by the real worker.
    from server.worker import app

    app.send_task("notify.sweep")
    await eventually(lambda: settled(ids), within=30, what="redelivery after the kill")
    assert {r["status"] for r in await PushDelivery.select().where(PushDelivery.id.is_in(ids))} == {
        "sent"
    }
    for sub in subs:
        # At least once; twice only for a message that was on the wire when the worker died.
        assert len(pushsvc.delivered(sub)) in (1, 2)


@pytest.fixture
def private_broker(celery_mode: WorkerProcess) -> Iterator[tuple[RedisServer, WorkerProcess]]:
    redis_server = RedisServer(free_port()).start()
    worker = WorkerProcess(redis_server.url).start()
    use_settings(DOORSTEP_REDIS_URL=redis_server.url)
    point_celery_at(redis_server.url)
    yield redis_server, worker
    worker.stop()
    redis_server.stop()
    use_settings(DOORSTEP_REDIS_URL=CELERY_TEST_BROKER)
    point_celery_at(CELERY_TEST_BROKER)


async def test_broker_outage_delays_but_delivers_exactly_once(
    pushsvc: PushService, private_broker: tuple[RedisServer, WorkerProcess]
) -> None:
    redis_server, worker = private_broker
    users, subs = [], []
    for _ in range(10):
        user, sub = await subscribe(pushsvc)
        users.append(user)
        subs.append(sub)
    # Before the outage: delivered through the private broker.
    before = await enqueue(users[:2], payload("before"))
    await eventually(lambda: settled(before), what="delivery before the outage")

    redis_server.stop()
    raised = []
    for n in range(5):
        # the kick fails, quietly; a dead broker must not hang the request (generous: a busy
        # machine is slow, a hang never returns)
        async with asyncio.timeout(HANG_TIMEOUT):
            raised += await enqueue(users, payload(f"outage-{n}"))
    assert len(raised) == 50
    assert await PushDelivery.count().where(PushDelivery.status == "pending") == 50

    redis_server.start()  # same port, empty: every message published before is gone
    await sweep()
    await eventually(lambda: settled(raised), within=30, what="delivery after the outage")
    for sub in subs:
        got = Counter(m.payload["id"] for m in pushsvc.delivered(sub))
        outage = {k: v for k, v in got.items() if k.startswith("outage-")}
        assert outage == {f"outage-{n}": 1 for n in range(5)}, (sub.token, got)
    # A second sweep finds nothing left to do.
    assert await stale_deliveries() == []
    assert worker.proc is not None and worker.proc.poll() is None
