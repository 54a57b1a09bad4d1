"""The PostgreSQL pull path (`PostgresBackend.scan`, rows read by
`server/replication/pullfast.py`) answers exactly what the portable record path
(`PiccoloBackend.scan`: `rows.row_to_record` + `visible.visible_change`) answers: same pages,
same cursor positions, the same bytes once encoded, for every demo user."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
import pytest

from server.accounts.principal import Principal
from server.accounts.tables import User
from server.db import engine
from server.org.tree import load_tree
from server.replication import prefilter
from server.replication.backends.base import Backend
from server.replication.backends.postgres import PostgresBackend
from server.replication.backends.sqlite import PiccoloBackend
from tests.helpers import DEMO_USERS
from tests.server.replication.support import as_user, assert_ok, create_dispute, new_session
from tests.server.test_permission_matrix import _make_records

pytestmark = pytest.mark.usefixtures("database")


async def _principal(username: str) -> Principal:
    row = (
        await User.select(User.id, User.role, User.org_unit_id, User.scope_epoch)
        .where(User.username == username)
        .first()
    )
    assert row is not None
    org = row["org_unit_id"]
    return Principal(
        user_id=uuid.UUID(str(row["id"])),
        device_id=uuid.uuid4(),
        username=username,
        role=row["role"],
        org_unit_id=uuid.UUID(str(org)) if org else None,
        scope_epoch=row["scope_epoch"],
    )


async def _pages(backend: Backend, principal: Principal, limit: int) -> list[Any]:
    head, signature = await prefilter.head_and_tree()
    tree = await prefilter.current_tree(await load_tree(), signature)
    pages, start = [], 0
    while True:
        page = await backend.scan(principal, tree, start, limit, head)
        start = page.last
        pages.append((page.changes, page.evict, page.last, page.has_more))
        if not page.has_more:
            return pages


@pytest.mark.postgres_only  # the fast path is PostgreSQL's; the SQLite pass deselects this
async def test_the_fast_path_answers_what_the_record_path_answers(client: Any) -> None:
    from piccolo.engine.postgres import PostgresEngine

    assert isinstance(engine(), PostgresEngine)
    await _make_records(client)
    gw, psy = await as_user(client, "gw.a1"), await as_user(client, "psy.a")
    # a field set to null (present as null: it is in field_meta), a tombstone, a psych session
    # with notes and a JSON list, so every branch of the row conversion runs
    cleared = await create_dispute(gw, tags=["noise"], resolution_summary="x")
    assert_ok(await gw.push_one("disputes", cleared, {"resolution_summary": None}, base_version=1))
    gone = await create_dispute(gw)
    admin = await as_user(client, "admin.a")  # grid workers withdraw; admins delete
    assert_ok(await admin.push_one("disputes", gone, {}, base_version=1, op="delete"))
    assert_ok(
        await psy.push_one("psych_sessions", None, new_session(psy.user_id, notes="保密记录"))
    )
    for username in DEMO_USERS:
        principal = await _principal(username)
        for limit in (1000, 7):
            fast = await _pages(PostgresBackend(), principal, limit)
            slow = await _pages(PiccoloBackend(), principal, limit)
            assert [p[1:] for p in fast] == [p[1:] for p in slow], username
            for (a, *_), (b, *_) in zip(fast, slow, strict=True):
                assert msgspec.json.encode(a) == msgspec.json.encode(b), username
            sent = [c for page in fast for c in page[0]]
            assert sent, username
