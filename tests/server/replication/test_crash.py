"""Exactly once across crashes (SYNC_PROTOCOL.md principle 1).

A `doorstep serve` process is killed with SIGKILL at random moments while devices push.  The
devices behave like the real client: each keeps an outbox, sends from its oldest unanswered seq,
drops a mutation only when the server has answered it, and resends after any network error,
5xx or 429.  After the last restart every mutation must be applied exactly once: one answer
stored per seq, one audit row per changed field per mutation id, one version per mutation, and
every record holding its last edit.  Runs on the engine of the run (SQLite file or PostgreSQL).
The kill moments come from DOORSTEP_TEST_SEED (tests/conftest.py); a hang is caught by a generous
timeout, never by a speed assertion (a busy machine is slow, not wrong).
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections import Counter
from typing import Any

import httpx
import pytest

from tests.conftest import TEST_SEED
from tests.helpers import DEMO_PASSWORD, new_dispute
from tests.server.replication.live_server import LiveServer

pytestmark = pytest.mark.slow

DEVICES = ["gw.a1", "gw.a1", "gw.a2"]
RECORDS_PER_DEVICE = 8
EDITS_PER_RECORD = 8
MIN_KILLS = 3
MAX_KILLS = 7  # then the devices drain their outboxes (about a minute on an idle machine)
SEED = TEST_SEED
HANG_TIMEOUT = 600  # seconds: far beyond a busy machine's run, only a hang gets there


class Device:
    """An outbox and the client's retry rule."""

    def __init__(self, body: dict[str, Any], rng: random.Random) -> None:
        self.device_id = body["device_id"]
        self.headers = {"Authorization": f"Bearer {body['access_token']}"}
        self.rng = rng
        self.outbox: list[dict[str, Any]] = []
        self.sent: list[dict[str, Any]] = []  # every mutation, in seq order
        self.answers: dict[int, dict[str, Any]] = {}
        self.retries = 0

    def enqueue(self, record_id: str, fields: dict[str, Any], base: int) -> None:
        seq = len(self.sent) + 1
        m = {
            "id": str(uuid.uuid4()),
            "seq": seq,
            "collection": "disputes",
            "record_id": record_id,
            "op": "upsert",
            "base_version": base,
            "hlc": f"{int(time.time() * 1000):013d}-{seq:04x}-{self.device_id}",
            "fields": fields,
        }
        self.outbox.append(m)
        self.sent.append(m)

    async def drain(self, client: httpx.AsyncClient) -> None:
        while self.outbox:
            batch = self.outbox[: self.rng.randint(1, 6)]  # from the oldest unanswered seq
            try:
                response = await client.post(
                    "/api/sync/push",
                    json={"schema_version": 1, "mutations": batch},
                    headers=self.headers,
                )
            except httpx.HTTPError:
                response = None
            if response is None or response.status_code >= 500 or response.status_code == 429:
                self.retries += 1
                await asyncio.sleep(0.02 + self.rng.random() * 0.1)
                continue
            assert response.status_code == 200, response.text
            results = response.json()["results"]
            assert results, "an answered push answers at least its first mutation"
            for result in results:
                head = self.outbox[0]
                assert result["seq"] == head["seq"] and result["id"] == head["id"], result
                assert result["status"] == "applied", result
                self.answers[result["seq"]] = result
                self.outbox.pop(0)
            await asyncio.sleep(0.05 + self.rng.random() * 0.1)  # a phone pushes in bursts


async def _login(username: str, url: str) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        response = await client.post(
            "/api/auth/login",
            json={"username": username, "password": DEMO_PASSWORD, "device_name": "crash test"},
        )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_sigkill_at_random_moments_applies_every_mutation_exactly_once(
    database: None,
) -> None:
    print(f"seed {SEED} (DOORSTEP_TEST_SEED={SEED} replays it)")
    async with asyncio.timeout(HANG_TIMEOUT):
        devices = await _crash_while_pushing(random.Random(SEED))
    await _check_exactly_once(devices, SEED)


async def _crash_while_pushing(rng: random.Random) -> list[Device]:
    # one uvicorn worker restarts fastest; SIGKILL goes to the whole process group anyway
    server = LiveServer(workers=1)
    server.start()
    kills = 0
    try:
        devices = [Device(await _login(name, server.url), rng) for name in DEVICES]
        # Each device creates its records and then edits them; every edit writes a new value,
        # so each mutation must add exactly one version and one audit row per field.
        for index, device in enumerate(devices):
            for r in range(RECORDS_PER_DEVICE):
                record_id = str(uuid.uuid4())
                device.enqueue(record_id, new_dispute(title=f"d{index} r{r} v1"), 0)
                for e in range(EDITS_PER_RECORD):
                    fields = {"description": f"d{index} r{r} e{e}"}
                    if e % 2:
                        fields["title"] = f"d{index} r{r} v{e + 2}"
                    device.enqueue(record_id, fields, 1 + e)
        # interleave the records' edits so a batch spans several records
        for device in devices:
            creates = [m for m in device.sent if m["base_version"] == 0]
            edits = sorted(
                (m for m in device.sent if m["base_version"] > 0),
                key=lambda m: (m["base_version"], m["record_id"]),
            )
            device.sent = creates + edits
            for seq, m in enumerate(device.sent, start=1):
                m["seq"] = seq
            device.outbox = list(device.sent)

        async with httpx.AsyncClient(base_url=server.url, timeout=5) as client:
            draining = asyncio.gather(*(d.drain(client) for d in devices))
            while True:
                await asyncio.wait([draining], timeout=0.1 + rng.random() * 0.5)
                if draining.done():
                    break
                if kills >= MAX_KILLS:
                    await draining
                    break
                server.kill()  # mid-request, mid-transaction or between requests
                kills += 1
                await asyncio.sleep(rng.random() * 0.2)
                await asyncio.to_thread(server.start)
            await draining
    finally:
        server.stop()
    assert kills >= MIN_KILLS, f"seed {SEED}: only {kills} kills"
    assert sum(d.retries for d in devices) > 0, f"seed {SEED}: no push was interrupted"
    return devices


async def _check_exactly_once(devices: list[Device], seed: int) -> None:
    from server.accounts.tables import Device as DeviceRow
    from server.disputes.tables import Dispute
    from server.replication.tables import AuditEntry, DeviceAnswer, RecordVersion

    note = f"(seed {seed}: DOORSTEP_TEST_SEED={seed} replays it)"
    for device in devices:
        n = len(device.sent)
        assert sorted(device.answers) == list(range(1, n + 1)), note
        device_uuid = uuid.UUID(device.device_id)
        stored = await DeviceAnswer.select(DeviceAnswer.seq, DeviceAnswer.mutation_id).where(
            DeviceAnswer.device_id == device_uuid
        )
        assert sorted(int(r["seq"]) for r in stored) == list(range(1, n + 1)), note
        by_seq = {int(r["seq"]): str(r["mutation_id"]) for r in stored}
        assert all(by_seq[m["seq"]] == m["id"] for m in device.sent), note
        [device_row] = await DeviceRow.select(DeviceRow.last_seq).where(DeviceRow.id == device_uuid)
        assert device_row["last_seq"] == n, note

        ids = [uuid.UUID(m["id"]) for m in device.sent]
        audit = await AuditEntry.select(AuditEntry.mutation_id).where(
            AuditEntry.mutation_id.is_in(ids)
        )
        per_mutation = Counter(str(r["mutation_id"]) for r in audit)
        for m in device.sent:
            expected = len(m["fields"])
            assert per_mutation[m["id"]] == expected, (m, per_mutation[m["id"]], note)

        versions = await RecordVersion.select(
            RecordVersion.record_id, RecordVersion.version, RecordVersion.mutation_id
        ).where(RecordVersion.mutation_id.is_in(ids))
        assert Counter(str(v["mutation_id"]) for v in versions) == Counter(
            m["id"] for m in device.sent
        ), note

        last: dict[str, dict[str, Any]] = {}
        count: Counter[str] = Counter()
        for m in device.sent:
            last.setdefault(m["record_id"], {}).update(m["fields"])
            count[m["record_id"]] += 1
        rows = await Dispute.select(
            Dispute.id, Dispute.version, Dispute.title, Dispute.description
        ).where(Dispute.id.is_in([uuid.UUID(r) for r in last]))
        assert len(rows) == len(last), note
        for row in rows:
            record_id = str(row["id"])
            assert row["version"] == count[record_id] == 1 + EDITS_PER_RECORD, (row, note)
            assert row["title"] == last[record_id]["title"], note
            assert row["description"] == last[record_id]["description"], note
