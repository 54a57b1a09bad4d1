"""Two `doorstep serve` processes sharing Redis: a warning committed through one reaches a
command stream held open on the other (COMMAND_API.md: "on every app server").

The contract's 2 s is the bound each delivery is read within, counted from the push's answer.
The same servers also carry what a process without the app publishes (a Celery worker's
scheduled jobs go straight to Redis)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest

from server.live import bus
from server.live.events import ChangeEvent, encode
from tests.conftest import REDIS_URL
from tests.helpers import COMMUNITY_A, COMMUNITY_B, STREET_A, login, new_dispute
from tests.server.live.sse import open_stream
from tests.server.replication.live_server import LiveServer

#: a database number of our own: channel names carry it (pub/sub ignores database numbers)
LIVE_REDIS_URL = REDIS_URL.rstrip("/") + "/9"


@pytest.fixture
def two_servers(database: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[LiveServer]]:
    monkeypatch.setenv("DOORSTEP_REDIS_URL", LIVE_REDIS_URL)
    servers = [LiveServer(workers=1), LiveServer(workers=1)]
    try:
        for server in servers:
            server.start(timeout=60)
        yield servers
    finally:
        for server in servers:
            server.stop()


async def red_dispute(base_url: str, username: str, community: uuid.UUID) -> str:
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        session = await login(client, username)
        dispute_id = str(uuid.uuid4())
        result = await session.push_one(
            "disputes", dispute_id, new_dispute(community, risk_level="red")
        )
        assert result["status"] == "applied", result
        return dispute_id


@pytest.mark.slow  # two server processes
async def test_a_warning_committed_on_one_server_streams_from_the_other(
    two_servers: list[LiveServer],
) -> None:
    one, other = two_servers
    async with httpx.AsyncClient(base_url=other.url, timeout=30) as client:
        street = await login(client, "street.a")
    headers = {"Authorization": f"Bearer {street.access_token}"}
    async with open_stream(other.url, {"org_unit_id": str(STREET_A)}, headers) as stream:
        outside = await red_dispute(one.url, "gw.b1", COMMUNITY_B)
        inside = await red_dispute(one.url, "gw.a1", COMMUNITY_A)
        # within 2 s of the push's answer: the dispute (risk red), then its warning
        got = await stream.until(lambda m: m.json["collection"] == "warnings", 2)
        body = got.json
        assert body["level"] == "red" and body["op"] == "created"
        assert body["community_id"] == str(COMMUNITY_A)
        seen = [m.json for m in stream.seen if m.data]
        assert {"collection": "disputes", "id": inside} in [
            {"collection": e["collection"], "id": e["id"]} for e in seen
        ]
        # community B's dispute and warning were published first, on the same connection:
        # had they been delivered to street A they would be here
        assert all(e["community_id"] == str(COMMUNITY_A) for e in seen)
        assert outside not in {e["id"] for e in seen}

        # a process without the app (a Celery worker's job) publishes straight to Redis
        event = ChangeEvent(
            collection="warnings",
            id=str(uuid.uuid4()),
            version=1,
            op="created",
            fields=("level",),
            scope_org_id=str(COMMUNITY_A),
            community_id=str(COMMUNITY_A),
            level="orange",
            at="2026-12-03T00:00:00.000Z",
        )
        channels = [bus.all_channel(LIVE_REDIS_URL), bus.org_channel(STREET_A, LIVE_REDIS_URL)]
        await bus._publish_direct(LIVE_REDIS_URL, [(encode(event), channels)])
        got = await stream.until(lambda m: m.json["id"] == event.id, 2)
        assert got.json["level"] == "orange"
