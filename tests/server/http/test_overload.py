"""Graceful overload (issue 13): past its bound of requests in progress, a worker answers at
once with 503 `overloaded` and Retry-After, never by queueing; health shows the load."""

from __future__ import annotations

import asyncio
import dataclasses
from collections import Counter
from typing import Any

import httpx
import pytest

from server.http.overload import Load, LoadShedder
from tests.helpers import login
from tests.server.replication.support import assert_error


async def test_a_request_over_the_bound_is_refused_while_the_others_still_run() -> None:
    """Two requests hold both slots (their handler waits on an event nobody sets yet); a third
    is answered 503 while they are still in progress — so it did not wait for a slot."""
    release = asyncio.Event()
    both_started = asyncio.Event()
    started = 0

    async def slow_app(scope: Any, receive: Any, send: Any) -> None:
        nonlocal started
        started += 1
        if started == 2:
            both_started.set()
        await release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    load = Load(max_in_flight=2)
    shedder: Any = LoadShedder(slow_app, load)
    transport = httpx.ASGITransport(app=shedder)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        held = [asyncio.create_task(client.get("/api/sync/pull")) for _ in range(2)]
        await both_started.wait()
        refused = await client.get("/api/sync/pull")
        assert not release.is_set() and not any(t.done() for t in held)
        assert_error(refused, 503, "overloaded")
        assert refused.headers["retry-after"] in {"1", "2", "3"}
        assert load.as_dict() == {"in_flight": 2, "max_in_flight": 2, "peak": 2, "shed_total": 1}
        # health is never shed
        assert started == 2
        release.set()
        assert [(await t).status_code for t in held] == [200, 200]
        assert load.in_flight == 0
        after = await client.get("/api/sync/pull")
        assert after.status_code == 200 and load.shed == 1


@pytest.mark.usefixtures("database")
async def test_a_flood_of_pulls_gets_503s_with_retry_after_and_health_shows_it() -> None:
    from server.app import create_app
    from server.settings import get_settings

    app: Any = create_app(dataclasses.replace(get_settings(), max_in_flight=2))
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50001))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver.local") as c:
        session = await login(c, "gw.a1")
        responses = await asyncio.gather(
            *[session.get("/api/sync/pull", params={"limit": 50}) for _ in range(40)]
        )
        statuses = Counter(r.status_code for r in responses)
        assert set(statuses) <= {200, 503}, statuses
        assert statuses[200] >= 2 and statuses[503] >= 1, statuses
        for response in responses:
            if response.status_code == 503:
                assert_error(response, 503, "overloaded")
                assert response.headers["retry-after"] in {"1", "2", "3"}
                assert response.headers["x-request-id"]  # logged like any response
        health = await c.get("/health/live")
        assert health.status_code == 200
        load = health.json()["load"]
        assert load["max_in_flight"] == 2 and load["peak"] == 2
        assert load["shed_total"] == statuses[503]
        assert load["in_flight"] == 0
