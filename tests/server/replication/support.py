"""Helpers shared by the sync, permission and bad-input tests: error checks, record factories,
incremental pulls and database fingerprints.

Tests share one database, so every helper creates fresh records (new uuids) and looks records
up by id; nothing assumes an empty table.
"""

from __future__ import annotations

import hashlib
import os
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.helpers import COMMUNITY_A, HOUSING, ROOM_A, Session, login, new_dispute

RESULT_KEYS = {"id", "seq", "status", "record_version", "conflict_ids", "clock_adjusted", "error"}


def assert_error(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    """The protocol's error envelope, with this status (and code)."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert set(error) == {"code", "message", "details"}, error
    if code is not None:
        assert error["code"] == code, error
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["details"], dict)
    return dict(error)


def assert_rejected(result: dict[str, Any], code: str) -> dict[str, Any]:
    assert result["status"] == "rejected", result
    assert result["error"]["code"] == code, result
    assert result["record_version"] is None
    assert isinstance(result["error"]["message"], str) and result["error"]["message"]
    details: dict[str, Any] = result["error"]["details"]
    return details


def assert_ok(result: dict[str, Any], status: str = "applied") -> int:
    assert result["status"] == status, result
    assert result["error"] is None
    version: int = result["record_version"]
    return version


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def hours_from_now(hours: float) -> str:
    return iso(datetime.now(UTC) + timedelta(hours=hours))


_slot_counter = [0]


def free_window(hours: float = 1.0) -> tuple[str, str]:
    """A time window in the future that no other test of this run uses (psych bookings);
    each window is followed by free time, so "suggested slots" tests have room."""
    _slot_counter[0] += 1
    start = datetime(2031, 1, 1, 9, tzinfo=UTC) + timedelta(days=_slot_counter[0])
    return iso(start), iso(start + timedelta(hours=hours))


_sessions: dict[str, tuple[float, Session]] = {}
#: a shared login is renewed well before its access token expires (900 s): a whole run on a
#: busy machine takes longer than that
_RELOGIN_AFTER_SECONDS = 600.0


async def as_user(client: Any, username: str) -> Session:
    """This user's shared test device (one login per user per run: logins are slow).  Tests
    that depend on seq numbers or device state log in afresh with `login`."""
    cached = _sessions.get(username)
    now = time.monotonic()
    if cached is None or cached[1].client is not client or now - cached[0] > _RELOGIN_AFTER_SECONDS:
        cached = _sessions[username] = (now, await login(client, username))
    return cached[1]


def new_session(psychologist_id: str, room: uuid.UUID = ROOM_A, **fields: Any) -> dict[str, Any]:
    starts, ends = free_window()
    return {
        "psychologist_id": psychologist_id,
        "room_id": str(room),
        "starts_at": starts,
        "ends_at": ends,
        "status": "scheduled",
        "client_ref": "来访者-07",
        **fields,
    }


def new_order(
    community: uuid.UUID = COMMUNITY_A, department: uuid.UUID = HOUSING
) -> dict[str, Any]:
    return {
        "community_id": str(community),
        "department_id": str(department),
        "summary": "楼道漏水，请住建局到场",
        "required_leader_level": "section",
        "arrive_by": hours_from_now(24),
        "resolve_by": hours_from_now(72),
        "status": "issued",
    }


def new_consultation(community: uuid.UUID = COMMUNITY_A) -> dict[str, Any]:
    return {
        "community_id": str(community),
        "consulted_at": hours_from_now(-1),
        "client_name": "李某",
        "topic": "labour",
        "question": "拖欠工资怎么办？",
        "duration_minutes": 20,
    }


def new_warning(org_unit: uuid.UUID = COMMUNITY_A) -> dict[str, Any]:
    return {"level": "yellow", "source": "manual", "org_unit_id": str(org_unit), "message": "注意"}


def image(kind: str = "png", size: int = 256) -> tuple[str, bytes]:
    """Fresh image bytes (a valid magic number, random rest) and their sha256."""
    heads = {
        "png": b"\x89PNG\r\n\x1a\n",
        "jpeg": b"\xff\xd8\xff\xe0",
        "webp": b"RIFF\x00\x00\x00\x00WEBP",
    }
    data = heads[kind] + os.urandom(max(size - len(heads[kind]), 1))
    return hashlib.sha256(data).hexdigest(), data


async def create(session: Session, collection: str, fields: dict[str, Any]) -> str:
    """Create a record as this user; returns its id (asserts it was applied)."""
    record_id = str(uuid.uuid4())
    result = await session.push_one(collection, record_id, fields)
    assert_ok(result)
    assert result["record_version"] == 1
    return record_id


async def create_dispute(session: Session, **fields: Any) -> str:
    return await create(session, "disputes", new_dispute(**fields))


async def caught_up(session: Session) -> Session:
    """Pull until the session's cursor is at the head of the feed."""
    await session.pull_all(limit=1000)
    return session


async def pull_new(session: Session, limit: int = 1000) -> dict[tuple[str, str], dict[str, Any]]:
    """Changes since the session's cursor, by (collection, record id); asserts no duplicates
    within one page (SYNC_PROTOCOL.md "Pull")."""
    out: dict[tuple[str, str], dict[str, Any]] = {}
    while True:
        params: dict[str, Any] = {"limit": limit}
        if session.cursor:
            params["cursor"] = session.cursor
        response = await session.get("/api/sync/pull", params=params)
        assert response.status_code == 200, response.text
        body = response.json()
        if body["reset"]:
            session.seen.clear()  # the pages that follow replace the store
        for gone in body["evict"]:
            session.seen.pop((gone["collection"], gone["record_id"]), None)
        page_keys = [(c["collection"], c["record_id"]) for c in body["changes"]]
        assert len(page_keys) == len(set(page_keys)), "a page holds each record at most once"
        for change in body["changes"]:
            key = (change["collection"], change["record_id"])
            out[key] = change
            session.seen[key] = change
        session.cursor = body["cursor"]
        if not body["has_more"]:
            return out


async def record_of(session: Session, collection: str, record_id: str) -> dict[str, Any] | None:
    """The record as this user sees it after an incremental pull (None: never sent to them)."""
    await pull_new(session)
    return session.seen.get((collection, record_id))


async def fresh(client: Any, username: str) -> Session:
    """A new device of this user, caught up with the feed."""
    return await caught_up(await login(client, username))


async def server_create(collection: str, fields: dict[str, Any]) -> str:
    """A record written by the server itself (no device), e.g. a notification."""
    from server.db import write_transaction
    from server.replication.store import WorkingSet
    from sync.engine import server_write
    from sync.hlc import ServerClock

    record_id = str(uuid.uuid4())
    now_ms = int(time.time() * 1000)
    async with write_transaction():
        ws = WorkingSet(str(uuid.uuid4()), str(uuid.uuid4()))
        await ws.load_records({(collection, record_id)})
        server_write(ws, collection, record_id, fields, now_ms=now_ms, clock=ServerClock())
        await ws.flush()
    return record_id


async def table_counts() -> dict[str, int]:
    """Row counts of every table in the database (a fingerprint for 'nothing was written')."""
    from server.db import engine
    from server.replication.tables import FeedEntry

    db = engine()
    if db.engine_type == "sqlite":
        rows = await FeedEntry.raw("SELECT name FROM sqlite_master WHERE type = 'table'")
        names = [r["name"] for r in rows]
    else:
        rows = await FeedEntry.raw(
            "SELECT table_name AS name FROM information_schema.tables "
            "WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
        )
        names = [r["name"] for r in rows]
    counts: dict[str, int] = {}
    for name in sorted(names):
        # rate-limit counters are not data: counting a bad request is what they are for
        if name in ("login_throttle", "public_throttle") or name.startswith("sqlite_"):
            continue
        result = await FeedEntry.raw(f'SELECT COUNT(*) AS n FROM "{name}"')
        counts[name] = int(result[0]["n"])
    return counts


async def feed_head() -> int:
    from server.replication.feed import current_number

    return await current_number()


def random_uuid() -> str:
    return str(uuid.uuid4())


__all__ = [
    "COMMUNITY_A",
    "HOUSING",
    "ROOM_A",
    "as_user",
    "assert_error",
    "assert_ok",
    "assert_rejected",
    "caught_up",
    "create",
    "create_dispute",
    "feed_head",
    "fresh",
    "image",
    "new_consultation",
    "new_order",
    "new_session",
    "new_warning",
    "pull_new",
    "record_of",
    "server_create",
    "table_counts",
]
