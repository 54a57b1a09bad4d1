"""The delivery loop of a worker process: one long-lived event loop in a background thread.

Celery tasks are synchronous; running each batch with `asyncio.run` would throw away the push
service connections (and, on PostgreSQL, the database connections) after every task. Instead
each worker process keeps one loop, one `Sender` and — when asked, in Celery worker processes —
one small PostgreSQL pool, and tasks submit their coroutine to it. Created lazily, and again
after a fork (Celery's prefork children).
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from piccolo.engine.postgres import PostgresEngine

from server.notify.tables import PushDelivery
from server.notify.webpush import Sender

T = TypeVar("T")

_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None
_pid = 0
_sender: Sender | None = None
_use_pool = False


def use_connection_pool() -> None:
    """Let the delivery loop open a PostgreSQL pool (only in processes where nothing else runs
    Piccolo queries on another loop: Celery worker processes)."""
    global _use_pool
    _use_pool = True


def _start() -> asyncio.AbstractEventLoop:
    global _loop, _pid, _sender
    loop = asyncio.new_event_loop()
    ready = threading.Event()

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.call_soon(ready.set)
        loop.run_forever()

    threading.Thread(target=run, name="doorstep-delivery-loop", daemon=True).start()
    ready.wait()
    _loop, _pid, _sender = loop, os.getpid(), None

    async def setup() -> None:
        global _sender
        _sender = Sender()
        db = PushDelivery._meta.db
        if _use_pool and isinstance(db, PostgresEngine) and db.pool is None:
            await db.start_connection_pool(min_size=1, max_size=4)

    asyncio.run_coroutine_threadsafe(setup(), loop).result()
    return loop


def sender() -> Sender:
    """The process's Sender (call from a coroutine running on the delivery loop)."""
    assert _sender is not None, "not on the delivery loop"
    return _sender


def run(factory: Callable[[], Coroutine[Any, Any, T]], timeout: float | None = None) -> T:
    """Run a coroutine on this process's delivery loop and wait for its result."""
    with _lock:
        loop = _loop if _loop is not None and _pid == os.getpid() else _start()
    return asyncio.run_coroutine_threadsafe(factory(), loop).result(timeout)
