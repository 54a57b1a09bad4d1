"""Fixtures of the notify tests: the notify tables, the local push service, real Celery workers
on the real Redis (db 9, flushed), and helpers to enqueue and wait.

The database is the suite's (tests/conftest.py: SQLite by default, PostgreSQL with
DOORSTEP_TEST_DB=postgres); only the notify app's migrations are needed here.
"""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import AsyncIterator, Iterator

import pytest

from tests.conftest import REDIS_URL
from tests.server.notify.pushservice import PushService
from tests.server.notify.support import SESSION_QUEUE, TEST_POLICY, WorkerProcess

CELERY_TEST_BROKER = REDIS_URL.rstrip("/") + "/9"


def point_celery_at(url: str) -> None:
    """Make this process publish to another broker (drops pooled connections)."""
    from server.worker import app

    app.conf.broker_url = url
    app.conf.task_default_queue = SESSION_QUEUE
    app.conf.broker_write_url = None
    app.conf.broker_read_url = None
    app._after_fork()


def use_settings(**env: str | None) -> None:
    """Change DOORSTEP_* settings for this process (settings are read once and cached)."""
    from server.settings import get_settings

    for name, value in env.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    get_settings.cache_clear()


@pytest.fixture(scope="session")
async def notify_db() -> AsyncIterator[None]:
    from piccolo.apps.migrations.commands.forwards import run_forwards
    from piccolo.engine.sqlite import SQLiteEngine

    from server.notify.policy import configure
    from server.notify.tables import PushDelivery

    configure(**TEST_POLICY)
    db = PushDelivery._meta.db
    if isinstance(db, SQLiteEngine):
        await db._run_in_new_connection("PRAGMA journal_mode=WAL")
    with contextlib.redirect_stdout(io.StringIO()):
        result = await run_forwards("notify")
    assert result.success, result.message
    yield


@pytest.fixture(autouse=True)
async def _clean_notify(notify_db: None) -> AsyncIterator[None]:
    from server.notify.tables import DeliveryAttempt, PushDelivery, PushSubscription

    for table in (DeliveryAttempt, PushDelivery, PushSubscription):
        await table.delete(force=True)
    yield


@pytest.fixture(scope="session")
def push_service() -> Iterator[PushService]:
    from server.notify.vapid import application_server_key

    service = PushService().start()
    service.application_server_key = application_server_key()
    yield service
    service.stop()


@pytest.fixture
def pushsvc(push_service: PushService) -> PushService:
    push_service.reset()
    return push_service


@pytest.fixture
def private_endpoints_allowed() -> Iterator[None]:
    """The local push service is http://127.0.0.1: allowed only with the development flag."""
    old = os.environ.get("DOORSTEP_PUSH_ALLOW_PRIVATE_ENDPOINTS")
    use_settings(DOORSTEP_PUSH_ALLOW_PRIVATE_ENDPOINTS="1")
    yield
    use_settings(DOORSTEP_PUSH_ALLOW_PRIVATE_ENDPOINTS=old)


@pytest.fixture(scope="session")
def celery_broker() -> Iterator[str]:
    """Redis db 9 of the real Redis. Not flushed as a whole: this session's messages travel on
    its own queue (SESSION_QUEUE), so two test sessions can share the server; only that
    queue is emptied, before and after."""
    import redis

    client = redis.Redis.from_url(CELERY_TEST_BROKER)
    client.delete(SESSION_QUEUE)
    yield CELERY_TEST_BROKER
    client.delete(SESSION_QUEUE)


@pytest.fixture(scope="session")
def worker(celery_broker: str) -> Iterator[WorkerProcess]:
    """One real Celery worker for the session; tests that kill it start it again."""
    proc = WorkerProcess(celery_broker).start()
    yield proc
    proc.stop()


@pytest.fixture
def celery_mode(
    worker: WorkerProcess, celery_broker: str, private_endpoints_allowed: None
) -> Iterator[WorkerProcess]:
    """This process kicks through Celery on Redis db 9; the session worker delivers."""
    old = os.environ.get("DOORSTEP_REDIS_URL")
    use_settings(DOORSTEP_REDIS_URL=celery_broker)
    point_celery_at(celery_broker)
    if worker.proc is None or worker.proc.poll() is not None:
        worker.start()
    yield worker
    use_settings(DOORSTEP_REDIS_URL=old)


@pytest.fixture
def embedded_mode(private_endpoints_allowed: None) -> Iterator[None]:
    old = os.environ.get("DOORSTEP_REDIS_URL")
    use_settings(DOORSTEP_REDIS_URL=None)
    yield
    use_settings(DOORSTEP_REDIS_URL=old)
