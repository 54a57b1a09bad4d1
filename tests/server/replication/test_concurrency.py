"""No gap in the change feed under real concurrency (SYNC_PROTOCOL.md "Pull", docs/sync.md).

Several devices push at once over HTTP to a `doorstep serve` with two uvicorn workers, so their
transactions overlap in PostgreSQL, while a reader pulls with small pages the whole time.  At
the end the reader must hold every record the writers touched, each at its latest version: a
feed number handed out before a pull and committed after it must not be skipped.

PostgreSQL only: SQLite has one writer at a time, so it cannot commit feed numbers out of order,
and this test would prove nothing there.  It runs in the `DOORSTEP_TEST_DB=postgres` pass.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from typing import Any

import httpx
import pytest

from tests.conftest import TEST_SEED
from tests.helpers import DEMO_PASSWORD, new_dispute
from tests.server.replication.live_server import LiveServer

# Concurrent writers need PostgreSQL (SQLite serialises every writer): tests/conftest.py
# deselects this module in the SQLite pass; tests/run.sh always runs the PostgreSQL pass.
pytestmark = [pytest.mark.postgres_only, pytest.mark.slow]

WRITERS = [("gw.a1", 0), ("gw.a1", 1), ("gw.a2", 0), ("gw.a2", 1), ("admin.a", 0)]
ROUNDS = 25
#: small pages, and pages big enough to keep a reader at the head of the feed, where a
#: number committed out of order would be skipped
PAGES = (5, 7, 25, 100)
HANG_TIMEOUT = 600  # seconds: far beyond a busy machine's run, only a hang gets there


class Device:
    def __init__(self, client: httpx.AsyncClient, body: dict[str, Any]) -> None:
        self.client = client
        self.device_id = body["device_id"]
        self.headers = {"Authorization": f"Bearer {body['access_token']}"}
        self.seq = 0

    def mutation(self, record_id: str, fields: dict[str, Any], base: int) -> dict[str, Any]:
        self.seq += 1
        return {
            "id": str(uuid.uuid4()),
            "seq": self.seq,
            "collection": "disputes",
            "record_id": record_id,
            "op": "upsert",
            "base_version": base,
            "hlc": f"{int(time.time() * 1000):013d}-{self.seq % 0xFFFF:04x}-{self.device_id}",
            "fields": fields,
        }


class Reader:
    """A device that pulls and keeps what it saw: record id -> version."""

    def __init__(self, client: httpx.AsyncClient, device: Device, page: int) -> None:
        self.client = client
        self.device = device
        self.page = page
        self.cursor: str | None = None
        self.seen: dict[str, int] = {}
        self.pulls = 0

    async def pull_page(self) -> bool:
        params: dict[str, Any] = {"limit": self.page}
        if self.cursor:
            params["cursor"] = self.cursor
        response = await self.client.get(
            "/api/sync/pull", params=params, headers=self.device.headers
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert not body["reset"], "the reader's scope did not change"
        assert len(body["changes"]) <= self.page
        ids = [(c["collection"], c["record_id"]) for c in body["changes"]]
        assert len(ids) == len(set(ids)), "a page holds each record at most once"
        for change in body["changes"]:
            if change["collection"] == "disputes":
                previous = self.seen.get(change["record_id"], 0)
                assert change["version"] >= previous, "versions never go backwards"
                self.seen[change["record_id"]] = change["version"]
        self.cursor = body["cursor"]
        self.pulls += 1
        return bool(body["has_more"])


async def _login(client: httpx.AsyncClient, username: str) -> Device:
    response = await client.post(
        "/api/auth/login",
        json={"username": username, "password": DEMO_PASSWORD, "device_name": "concurrency"},
    )
    assert response.status_code == 200, response.text
    return Device(client, response.json())


async def test_reader_pulling_small_pages_during_concurrent_pushes_misses_nothing(
    database: None,
) -> None:
    server = LiveServer(workers=2)
    server.start()
    try:
        async with asyncio.timeout(HANG_TIMEOUT):
            await _run(server)
    finally:
        server.stop()


async def _run(server: LiveServer) -> None:
    print(f"seed {TEST_SEED} (DOORSTEP_TEST_SEED={TEST_SEED} replays it)")
    rng = random.Random(TEST_SEED)
    limits = httpx.Limits(max_connections=20)
    async with httpx.AsyncClient(base_url=server.url, timeout=60, limits=limits) as client:
        writers = [await _login(client, name) for name, _ in WRITERS]
        touched: set[str] = set()
        shared: list[tuple[str, int]] = []  # records anyone may edit, with a (stale) base
        pushed = 0

        async def write(device: Device) -> None:
            nonlocal pushed
            own: dict[str, int] = {}
            for round_ in range(ROUNDS):
                batch = []
                for _ in range(rng.randint(1, 4)):
                    rid = str(uuid.uuid4())
                    batch.append(device.mutation(rid, new_dispute(title=f"r{round_}"), 0))
                for rid in rng.sample(sorted(own), min(len(own), 3)):
                    batch.append(device.mutation(rid, {"description": f"r{round_}"}, own[rid]))
                for rid, base in rng.sample(shared, min(len(shared), 2)):
                    batch.append(
                        device.mutation(rid, {"address": f"{device.device_id} {round_}"}, base)
                    )
                response = await client.post(
                    "/api/sync/push",
                    json={"schema_version": 1, "mutations": batch},
                    headers=device.headers,
                )
                assert response.status_code == 200, response.text
                for m, result in zip(batch, response.json()["results"], strict=True):
                    assert result["status"] in ("applied", "merged"), result
                    touched.add(m["record_id"])
                    if m["base_version"] == 0:
                        own[m["record_id"]] = result["record_version"]
                        shared.append((m["record_id"], result["record_version"]))
                    elif m["record_id"] in own:
                        own[m["record_id"]] = result["record_version"]
                pushed += len(batch)
                await asyncio.sleep(0.01 + rng.random() * 0.03)

        readers = [Reader(client, await _login(client, "admin.a"), page) for page in PAGES]
        done = asyncio.Event()

        async def read(reader: Reader) -> None:
            while not done.is_set():
                await reader.pull_page()

        reading = [asyncio.create_task(read(r)) for r in readers]
        await asyncio.gather(*(write(w) for w in writers))
        done.set()
        await asyncio.gather(*reading)
        for reader in readers:
            while await reader.pull_page():
                pass
            await reader.pull_page()  # once more from the final cursor: nothing was missing

    from server.disputes.tables import Dispute

    rows = await Dispute.select(Dispute.id, Dispute.version).where(
        Dispute.id.is_in([uuid.UUID(r) for r in touched])
    )
    latest = {str(row["id"]): int(row["version"]) for row in rows}
    assert len(latest) == len(touched)
    assert pushed > 400, pushed
    for reader in readers:
        assert reader.pulls > 20, reader.pulls
        missing = sorted(r for r in latest if r not in reader.seen)
        stale = sorted(r for r in latest if r in reader.seen and reader.seen[r] != latest[r])
        where = f"reader with pages of {reader.page}"
        assert not missing, f"{where}: {len(missing)} committed records never pulled: {missing[:5]}"
        assert not stale, f"{where}: {len(stale)} records left at an old version: {stale[:5]}"
