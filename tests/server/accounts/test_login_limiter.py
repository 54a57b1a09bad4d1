"""The login rate limiter under concurrency (issue 9, item 2): every attempt is counted before
the password is checked, so a burst checks at most the limit; no 5xx on either engine; argon2
leaves the event loop free; the limits come from Settings; expired counters are pruned."""

from __future__ import annotations

import asyncio
import dataclasses
import threading
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from server.accounts.tables import LoginThrottle
from server.settings import Settings, get_settings
from tests.helpers import DEMO_PASSWORD

pytestmark = pytest.mark.usefixtures("database")


@pytest.fixture
async def make_client() -> AsyncIterator[Any]:
    """A client of an app built with some settings changed, from a given client address."""
    from server.app import create_app

    opened: list[httpx.AsyncClient] = []

    async def make(address: str = "127.0.0.1", **changes: Any) -> httpx.AsyncClient:
        settings: Settings = dataclasses.replace(get_settings(), **changes)
        transport = httpx.ASGITransport(app=create_app(settings), client=(address, 40000))  # type: ignore[arg-type]
        client = httpx.AsyncClient(transport=transport, base_url="http://testserver.local")
        opened.append(client)
        return client

    yield make
    for client in opened:
        await client.aclose()


async def attempt(client: Any, username: str, password: str = "wrong") -> httpx.Response:
    response: httpx.Response = await client.post(
        "/api/auth/login",
        json={"username": username, "password": password, "device_name": "burst"},
    )
    return response


async def test_a_concurrent_burst_checks_at_most_the_limit(client: Any) -> None:
    limit = get_settings().login_max_failures
    burst = get_settings().login_max_failures_per_address - 5  # under the address limit
    answers = await asyncio.gather(*(attempt(client, "gw.a1") for _ in range(burst)))
    statuses = Counter(r.status_code for r in answers)
    assert not [s for s in statuses if s >= 500], statuses
    assert set(statuses) <= {401, 429}, statuses
    assert statuses[401] == limit, statuses
    assert statuses[429] == burst - limit
    refused = next(r for r in answers if r.status_code == 429)
    assert refused.json()["error"]["code"] == "too_many_attempts"
    assert int(refused.headers["Retry-After"]) >= 1
    # locked out: even the right password is not checked now
    assert (await attempt(client, "gw.a1", DEMO_PASSWORD)).status_code == 429


async def test_a_burst_of_unknown_names_is_limited_per_address(make_client: Any) -> None:
    client = await make_client("198.51.100.7", login_max_failures_per_address=7)
    names = [f"nobody-{uuid.uuid4().hex[:8]}" for _ in range(40)]
    answers = await asyncio.gather(*(attempt(client, name) for name in names))
    statuses = Counter(r.status_code for r in answers)
    assert statuses == Counter({401: 7, 429: 33}), statuses
    # another address is not affected
    other = await make_client("198.51.100.8", login_max_failures_per_address=7)
    assert (await attempt(other, "gw.a2", DEMO_PASSWORD)).status_code == 200


async def test_the_limit_comes_from_settings(make_client: Any) -> None:
    client = await make_client(login_max_failures=2)
    assert [(await attempt(client, "gw.b1")).status_code for _ in range(3)] == [401, 401, 429]


async def test_successful_logins_do_not_use_up_the_address(make_client: Any) -> None:
    client = await make_client("198.51.100.9", login_max_failures_per_address=3)
    for _ in range(5):
        assert (await attempt(client, "gw.a2", DEMO_PASSWORD)).status_code == 200
    assert (await attempt(client, "gw.a2")).status_code == 401


async def test_health_answers_during_a_burst_of_logins(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """argon2 runs in worker threads, so the event loop serves other requests meanwhile (the
    test checks where the work runs and that health answers, never how fast)."""
    from server.accounts import security

    real_verify = security.verify_password
    verified_on: list[int] = []

    def recording_verify(password_hash: str | None, password: str) -> bool:
        verified_on.append(threading.get_ident())
        return real_verify(password_hash, password)

    monkeypatch.setattr(security, "verify_password", recording_verify)
    names = [f"nobody-{uuid.uuid4().hex[:8]}" for _ in range(30)]
    burst = [asyncio.ensure_future(attempt(client, name)) for name in names]
    await asyncio.sleep(0)
    live = await client.get("/health/live")
    answers = await asyncio.gather(*burst)
    assert live.status_code == 200
    assert all(r.status_code == 401 for r in answers), Counter(r.status_code for r in answers)
    assert len(verified_on) == 30
    assert threading.get_ident() not in verified_on


async def test_expired_counters_are_pruned(make_client: Any) -> None:
    window = get_settings().login_window_seconds
    stale = datetime.now(UTC) - timedelta(seconds=2 * window)
    await LoginThrottle.insert(
        LoginThrottle(key="user:long-gone", window_start=stale, failures=3),
        LoginThrottle(key="addr:203.0.113.1", window_start=stale, failures=9),
    )
    client = await make_client()
    assert (await attempt(client, "gw.a1", DEMO_PASSWORD)).status_code == 200
    keys = {r["key"] for r in await LoginThrottle.select(LoginThrottle.key)}
    assert not keys & {"user:long-gone", "addr:203.0.113.1"}


@pytest.mark.slow
async def test_a_burst_against_two_server_processes() -> None:
    """Two uvicorn workers on one database: the count is atomic across processes too, and
    SQLite's writers queue up instead of failing with 'database is locked'."""
    from tests.server.replication.live_server import LiveServer

    limit = get_settings().login_max_failures
    server = LiveServer(workers=2)
    await asyncio.to_thread(server.start)
    try:
        async with httpx.AsyncClient(base_url=server.url, timeout=120) as live:
            answers = await asyncio.gather(*(attempt(live, "gw.b1") for _ in range(40)))
    finally:
        await asyncio.to_thread(server.stop)
    statuses = Counter(r.status_code for r in answers)
    assert statuses == Counter({401: limit, 429: 40 - limit}), statuses
