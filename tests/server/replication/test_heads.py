"""Per-scope feed heads (server/replication/heads.py): an empty pull is answered without a
feed query when the reader's scopes have not moved, and a commit in its scope sends the next
pull to the database, which returns the change."""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from server.db import engine
from server.replication import heads
from tests.helpers import COMMUNITY_B, new_dispute
from tests.server.replication.support import as_user, assert_ok, caught_up, pull_new

pytestmark = pytest.mark.usefixtures("database")


_in_piccolo: contextvars.ContextVar[bool] = contextvars.ContextVar("in_piccolo", default=False)


def _in_poller() -> bool:
    task = asyncio.current_task()
    return task is not None and task.get_name().startswith("doorstep-feed-heads")


@contextmanager
def counted_queries() -> Iterator[list[str]]:
    """Every statement the app sends, through Piccolo or straight from the asyncpg pool."""
    db = engine()
    seen: list[str] = []
    cls = type(db)
    run = cls.run_querystring

    async def counting_run(self: Any, querystring: Any, *args: Any, **kw: Any) -> Any:
        if not _in_poller():  # the index's own poller runs beside the request, once per poll
            seen.append(str(querystring))
        token = _in_piccolo.set(True)
        try:
            return await run(self, querystring, *args, **kw)
        finally:
            _in_piccolo.reset(token)

    cls.run_querystring = counting_run  # type: ignore[method-assign]
    import asyncpg.pool

    acquire = asyncpg.pool.Pool.acquire

    def counting_acquire(self: Any, *args: Any, **kw: Any) -> Any:
        if not (_in_poller() or _in_piccolo.get()):
            seen.append("pool.acquire")  # the PostgreSQL pull reads rows straight from asyncpg
        return acquire(self, *args, **kw)

    asyncpg.pool.Pool.acquire = counting_acquire  # type: ignore[method-assign]
    try:
        yield seen
    finally:
        cls.run_querystring = run  # type: ignore[method-assign]
        asyncpg.pool.Pool.acquire = acquire  # type: ignore[method-assign]


async def _quiet_pull(session: Any) -> tuple[dict[str, Any], list[str]]:
    await heads.index().settle()
    with counted_queries() as seen:
        response = await session.get("/api/sync/pull", params={"cursor": session.cursor})
    assert response.status_code == 200, response.text
    return response.json(), seen


async def test_an_empty_pull_costs_no_feed_query_until_the_readers_scope_moves(
    client: Any,
) -> None:
    reader = await caught_up(await as_user(client, "gw.a2"))
    writer_a = await as_user(client, "gw.a1")
    writer_b = await as_user(client, "admin.b")
    await pull_new(reader)  # the cursor now stands at the feed head
    body, seen = await _quiet_pull(reader)
    assert body["changes"] == [] and body["evict"] == [] and not body["reset"]
    assert body["cursor"] == reader.cursor  # the device's own cursor back, never moved on
    # the one statement left is authentication's device lookup (revocation stays immediate)
    assert len(seen) == 1 and "devices" in seen[0], seen
    assert not any("sync_" in q for q in seen), seen

    # another community's change: this reader's scopes did not move, still no feed query
    assert_ok(await writer_b.push_one("disputes", None, new_dispute(community=COMMUNITY_B)))
    body, seen = await _quiet_pull(reader)
    assert body["changes"] == [] and len(seen) == 1, seen

    # a change in the reader's community: the very next pull (no settling) reads the feed
    done = await writer_a.push_one("disputes", None, new_dispute())
    assert_ok(done)
    with counted_queries() as seen:
        changes = await pull_new(reader)
    assert any(q for q in seen if "sync_" in q or q == "pool.acquire"), seen
    assert [key[0] for key in changes] == ["disputes"], changes
    # settled again: back to no feed query
    body, seen = await _quiet_pull(reader)
    assert body["changes"] == [] and len(seen) == 1, seen


async def test_the_index_answers_nothing_until_it_has_polled(client: Any) -> None:
    reader = await caught_up(await as_user(client, "gw.a2"))
    index = heads.index()
    await index.settle()
    index.snapshot = None  # as after a failed poll: unsure
    with counted_queries() as seen:
        await pull_new(reader)
    assert any("sync_" in q or q == "pool.acquire" for q in seen), seen


async def test_a_commit_after_the_poll_sends_pulls_to_the_database(client: Any) -> None:
    """A commit the poller has not read yet (here: the poller is kept from running) must not
    be hidden by the index: the commit counter moved, so the pull asks the database."""
    reader = await caught_up(await as_user(client, "gw.a2"))
    writer = await as_user(client, "gw.a1")
    index = heads.index()
    await index.settle()
    index.kick = lambda: None  # type: ignore[method-assign]
    try:
        assert_ok(await writer.push_one("disputes", None, new_dispute()))
        changes = await pull_new(reader)
        assert [key[0] for key in changes] == ["disputes"]
    finally:
        del index.kick


async def test_a_reader_keys_cover_every_entry_it_may_pull() -> None:
    """Keys are a superset: an entry the SQL pre-filter would return for a reader shares a key
    with that reader (checked on the demo tree for each role's usual records)."""
    import uuid

    from server.accounts.principal import Principal
    from server.org.tree import load_tree
    from tests.helpers import COMMUNITY_A, DISTRICT, STREET_A

    tree = await load_tree(force=True)
    units = list(tree.units)
    for role, unit in (
        ("grid_worker", COMMUNITY_A),
        ("street_admin", STREET_A),
        ("district_admin", DISTRICT),
    ):
        who = Principal(uuid.uuid4(), uuid.uuid4(), role, role, unit)
        keys = heads.keys_of(who, tree)
        for scope in units:
            entry = heads.entry_keys("disputes", scope, None, None, None)
            if tree.is_within(scope, unit):
                assert set(entry) & keys, (role, scope)
