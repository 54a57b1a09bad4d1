"""Catch-up after a long offline (issue 13): compaction removes old tombstones from the feed,
never the latest version of a live record, and a cursor that needed a removed tombstone is
answered `reset: true` (SYNC_PROTOCOL.md "cursor too old").

Seeded scenarios of creates, edits and deletes, compactions and pulls by devices that each
keep a store the way the PWA does (reset replaces it, evict and tombstones remove); at the end
every device holds exactly the live records, each at its latest version.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

from server.replication.compaction import compact_feed
from tests.helpers import login, new_dispute
from tests.server.replication.support import assert_ok

pytestmark = pytest.mark.usefixtures("database")

STEP = st.one_of(
    st.just(("create", 0)),
    st.tuples(st.just("edit"), st.integers(0, 30)),
    st.tuples(st.just("delete"), st.integers(0, 30)),
    st.just(("compact", 0)),
    st.tuples(st.just("pull"), st.integers(0, 2)),
)
EXAMPLES = 12
SEED = 20261203


def draw(count: int) -> list[list[tuple[str, int]]]:
    drawn: list[list[tuple[str, int]]] = []

    @settings(
        max_examples=count,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @seed(SEED)
    @given(st.lists(STEP, min_size=8, max_size=30))
    def collect(steps: list[tuple[str, int]]) -> None:
        drawn.append(steps)

    collect()
    return drawn[:count]


class Device:
    """A device's store, kept as SYNC_PROTOCOL.md says a client keeps it."""

    def __init__(self, session: Any) -> None:
        self.session = session
        self.cursor: str | None = None
        self.store: dict[str, int] = {}  # dispute id -> version held
        self.resets = 0

    async def pull(self) -> None:
        while True:
            params: dict[str, Any] = {"limit": 7}  # small pages: cursors land mid-feed
            if self.cursor:
                params["cursor"] = self.cursor
            response = await self.session.get("/api/sync/pull", params=params)
            assert response.status_code == 200, response.text
            body = response.json()
            if body["reset"]:
                self.store.clear()
                self.resets += 1
            for change in body["changes"]:
                if change["collection"] != "disputes":
                    continue
                if change["deleted"]:
                    self.store.pop(change["record_id"], None)
                else:
                    self.store[change["record_id"]] = change["version"]
            for gone in body["evict"]:
                self.store.pop(gone["record_id"], None)
            self.cursor = body["cursor"]
            if not body["has_more"]:
                return


async def test_compaction_never_loses_the_latest_version_of_a_visible_record(client: Any) -> None:
    writer = await login(client, "gw.a1")
    admin = await login(client, "admin.a")  # grid workers withdraw; admins delete
    devices = [Device(await login(client, name)) for name in ("gw.a2", "admin.a", "gw.a1")]
    resets = compactions = 0
    for steps in draw(EXAMPLES):
        live: dict[str, int] = {}  # what this scenario created and did not delete: id -> version
        created: list[str] = []
        for action, n in steps:
            if action == "create":
                record_id = str(uuid.uuid4())
                result = await writer.push_one("disputes", record_id, new_dispute())
                live[record_id] = assert_ok(result)
                created.append(record_id)
            elif action == "edit" and live:
                record_id = sorted(live)[n % len(live)]
                result = await writer.push_one(
                    "disputes", record_id, {"title": f"第{n}次修改"}, base_version=live[record_id]
                )
                live[record_id] = assert_ok(result)
            elif action == "delete" and live:
                record_id = sorted(live)[n % len(live)]
                result = await admin.push_one(
                    "disputes", record_id, {}, base_version=live.pop(record_id), op="delete"
                )
                assert_ok(result)
            elif action == "compact":
                compactions += await compact_feed(keep=timedelta(0)) > 0
            elif action == "pull":
                await devices[n].pull()
        for device in devices:
            await device.pull()
            mine = {k: v for k, v in device.store.items() if k in set(created)}
            assert mine == live, (device.session.username, steps)
    resets = sum(d.resets for d in devices)
    assert compactions > 0 and resets > 0  # the scenarios did reach both paths
