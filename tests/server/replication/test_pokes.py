"""Device pokes (issue 13): `GET /api/sync/events` pokes a device when a commit touches a scope
it reads, and only then."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest

from tests.helpers import COMMUNITY_B, login, new_dispute
from tests.server.live.conftest import InProcessServer, live_app  # noqa: F401 - fixture
from tests.server.live.sse import SseReader

pytestmark = pytest.mark.usefixtures("database")


@asynccontextmanager
async def poke_stream(base_url: str, token: str) -> AsyncIterator[SseReader]:
    async with (
        httpx.AsyncClient(base_url=base_url, timeout=httpx.Timeout(30, read=None)) as client,
        client.stream(
            "GET", "/api/sync/events", headers={"Authorization": f"Bearer {token}"}
        ) as response,
    ):
        assert response.status_code == 200, (await response.aread()).decode()
        assert response.headers["content-type"].startswith("text/event-stream")
        reader = SseReader(response)
        reader.seen = []
        first = await reader.next(10)
        assert "ready" in first.comments, first
        yield reader


async def _next_poke(reader: SseReader) -> None:
    message = await reader.until(lambda m: m.event == "poke", within=10)
    assert message.json == {}  # a poke carries no data


async def test_a_poke_reaches_only_devices_whose_scope_changed(
    live_app: InProcessServer,  # noqa: F811
) -> None:
    async with httpx.AsyncClient(base_url=live_app.url, timeout=30) as client:
        writer_a, writer_b = await login(client, "gw.a1"), await login(client, "gw.b1")
        reader_a, reader_b = await login(client, "gw.a2"), await login(client, "admin.b")
        async with (
            poke_stream(live_app.url, reader_a.access_token) as in_a,
            poke_stream(live_app.url, reader_b.access_token) as in_b,
        ):
            # changes alternate between communities A and B; each waits for its own poke, so
            # a poke one device got for the other community's change would be an extra one
            for _round in range(2):
                done = await writer_a.push_one("disputes", None, new_dispute())
                assert done["status"] == "applied"
                await _next_poke(in_a)
                done = await writer_b.push_one("disputes", None, new_dispute(community=COMMUNITY_B))
                assert done["status"] == "applied"
                await _next_poke(in_b)
            for stream in (in_a, in_b):
                assert [m.event for m in stream.seen if m.data is not None] == ["poke", "poke"]


async def test_the_stream_needs_a_token(live_app: InProcessServer) -> None:  # noqa: F811
    async with httpx.AsyncClient(base_url=live_app.url, timeout=10) as client:
        response = await client.get("/api/sync/events")
        assert response.status_code == 401
        assert response.json()["error"]["code"]


async def test_which_changes_poke_which_readers() -> None:
    """The decision behind every poke, on the demo tree: a change pokes the readers whose feed
    scopes it touches (the same scopes the pull's SQL pre-filter uses), not others."""
    import uuid

    from server.accounts.principal import Principal
    from server.org.tree import load_tree
    from server.replication.pokes import concerns
    from tests.helpers import COMMUNITY_A, DISTRICT, HOUSING, STREET_A

    tree = await load_tree(force=True)

    def reader(role: str, unit: uuid.UUID) -> Principal:
        return Principal(uuid.uuid4(), uuid.uuid4(), role, role, unit)

    def event(
        collection: str,
        scope: uuid.UUID | None,
        owner: str | None = None,
        alt_org: uuid.UUID | None = None,
    ) -> tuple[str, uuid.UUID | None, str | None, uuid.UUID | None]:
        return collection, scope, owner, alt_org

    gw_a = reader("grid_worker", COMMUNITY_A)
    admin_b = reader("community_admin", COMMUNITY_B)
    street_a = reader("street_admin", STREET_A)
    district = reader("district_admin", DISTRICT)
    officer = reader("department_officer", HOUSING)
    cases = [
        (event("disputes", COMMUNITY_A), {gw_a, street_a, district}),
        (event("disputes", COMMUNITY_B), {admin_b, district}),
        (event("warnings", COMMUNITY_B), {admin_b, district}),
        # an order pokes the department it is addressed to (the feed entry's second unit)
        (event("dispatch_orders", COMMUNITY_B, None, HOUSING), {admin_b, district, officer}),
        (event("dispatch_orders", COMMUNITY_B, None, uuid.uuid4()), {admin_b, district}),
        (event("notifications", None, str(gw_a.user_id)), {gw_a}),
        (event("org_units", None), {gw_a, admin_b, street_a, district, officer}),
    ]
    for change, poked in cases:
        for who in (gw_a, admin_b, street_a, district, officer):
            expected = who in poked
            collection, scope, owner, alt_org = change
            got = concerns(who, tree, collection, scope, owner, alt_org=alt_org)
            assert got is expected, (collection, scope, who.role)


async def test_the_stream_ends_after_its_lifetime_and_says_reconnect(
    live_app: InProcessServer,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A stream ends after DOORSTEP_EVENT_STREAM_SECONDS with `event: end`, so the app
    reconnects with its scope read afresh (and a proxy's timeout never cuts it silently)."""
    from server.settings import get_settings

    monkeypatch.setenv("DOORSTEP_EVENT_STREAM_SECONDS", "1")
    get_settings.cache_clear()
    try:
        async with httpx.AsyncClient(base_url=live_app.url, timeout=30) as client:
            reader = await login(client, "gw.a2")
        async with poke_stream(live_app.url, reader.access_token) as stream:
            end = await stream.until(lambda m: m.event == "end", within=10)
            assert end.json == {"reason": "reconnect"}
            assert [m.event for m in stream.seen if m.data is not None] == ["end"]
    finally:
        monkeypatch.delenv("DOORSTEP_EVENT_STREAM_SECONDS")
        get_settings.cache_clear()


def test_the_pacer_gives_each_poke_its_own_slot() -> None:
    """Pokes are paced per process: a burst takes consecutive slots `1 / rate` apart, and a
    poke after a quiet spell goes out at once (the clock is the test's, not the wall's)."""
    from server.replication.pokes import PokePacer

    now = [100.0]
    pacer = PokePacer(clock=lambda: now[0])
    assert [pacer.reserve(4) for _ in range(4)] == [0.0, 0.25, 0.5, 0.75]
    now[0] += 0.5  # half a second later the queue is two slots shorter
    assert pacer.reserve(4) == 0.5
    now[0] += 10  # quiet: the next poke takes a free slot
    assert pacer.reserve(4) == 0.0


async def test_paced_pokes_still_reach_every_device(
    live_app: InProcessServer,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """At one poke a second for the whole process, a change that concerns three devices still
    pokes each of them: they wait their turn, none is dropped."""
    from server.settings import get_settings

    monkeypatch.setenv("DOORSTEP_POKES_PER_SECOND", "1")
    get_settings.cache_clear()
    try:
        async with httpx.AsyncClient(base_url=live_app.url, timeout=30) as client:
            writer = await login(client, "gw.a1")
            readers = [await login(client, name) for name in ("gw.a2", "admin.a", "street.a")]
            async with (
                poke_stream(live_app.url, readers[0].access_token) as one,
                poke_stream(live_app.url, readers[1].access_token) as two,
                poke_stream(live_app.url, readers[2].access_token) as three,
            ):
                done = await writer.push_one("disputes", None, new_dispute())
                assert done["status"] == "applied"
                for stream in (one, two, three):
                    await _next_poke(stream)
    finally:
        monkeypatch.delenv("DOORSTEP_POKES_PER_SECOND")
        get_settings.cache_clear()


async def test_a_busy_server_defers_pokes_until_it_has_capacity() -> None:
    """While the process is busy, a poke goes back to the queue (takes a later slot) instead of
    adding a pull to the requests already waiting; it goes out once the load drops."""
    from server.http.overload import Load
    from server.replication.pokes import PokePacer, busy_when

    load = Load(max_in_flight=32)
    busy = busy_when(load)
    load.in_flight = 7
    assert not busy()
    load.in_flight = 8  # a quarter of the bound: requests are queueing
    assert busy()

    answers = iter([True, True, False])
    asked = 0

    def busy_twice() -> bool:
        nonlocal asked
        asked += 1
        return next(answers)

    pacer = PokePacer()
    await pacer.turn(1000, busy_twice)
    assert asked == 3  # two slots given back while busy, the third used
    assert not busy_when(None)()  # no load known (a test app without the shedder): never busy
