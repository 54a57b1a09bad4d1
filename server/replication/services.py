"""Push and pull (SYNC_PROTOCOL.md): the server side of the sync engine.

A push is one database transaction: lock the device, preload what the batch touches (and what
each collection's spec asks for), run the pure engine, let the domains react (warnings,
notifications; `CollectionSpec.reactions`) on the same working set, flush everything, commit,
then run the after-commit work (waking the push deliverer).  A pull reads the change feed after the cursor
and sends each record the reader may see, without the fields they may not read.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from piccolo.engine.postgres import PostgresEngine

from server import permissions, specs
from server.accounts.principal import Principal
from server.db import engine, write_transaction
from server.http.errors import ApiError
from server.org.tree import OrgTree, load_tree
from server.replication import pgbulk, pullfast
from server.replication.feed import current_number
from server.replication.gate import ScopeGate
from server.replication.reactions import react
from server.replication.rows import derived_columns_of, iso, row_to_record, table_of, wire_fields
from server.replication.store import WorkingSet, mutation_keys
from server.replication.tables import FeedEntry
from sync.engine import PushOutcome, push
from sync.hlc import ServerClock
from sync.model import Actor, Mutation, Record

_clock = ServerClock()
#: feed entries a pull scans at most before answering with has_more (rows it may not see
#: cost a little each; this bounds one request's work)
MAX_SCAN = 5000


def server_time() -> str:
    return iso(datetime.now(UTC)) or ""


# ---------------------------------------------------------------------------------------------
# push


@dataclass
class PushResponse:
    server_time: str
    results: list[dict[str, Any]]
    after_commit: list[Any] = field(default_factory=list)


async def push_batch(principal: Principal, mutations: list[Mutation]) -> PushResponse:
    actor = Actor(user_id=str(principal.user_id), device_id=str(principal.device_id))
    tree = await load_tree()
    async with write_transaction():
        ws = WorkingSet(actor.device_id, actor.user_id)
        await _preload(ws, mutations)
        now_ms = int(time.time() * 1000)
        outcome: PushOutcome = push(
            ws,
            actor,
            mutations,
            now_ms=now_ms,
            gate=ScopeGate(principal, tree, ws),
            clock=_clock,
        )
        after_commit = await react(ws, outcome.applied, tree, now_ms=now_ms, clock=_clock)
        await ws.flush()
    for callback in after_commit:
        callback()
    return PushResponse(server_time(), [r.to_json() for r in outcome.results], after_commit)


async def _preload(ws: WorkingSet, mutations: list[Mutation]) -> None:
    await ws.load_device([m.seq for m in mutations])
    pending = [m for m in mutations if m.seq > ws.last_seq(ws.device_id)]
    keys = mutation_keys(pending)
    # records that decide a mutation's scope or outcome (a visit's dispute), then the records
    # the loaded ones need beside them (a conflict's target): each spec says which
    for m in pending:
        spec = specs.find(m.collection)
        if spec is not None:
            keys.update(spec.mutation_refs(m))
    loaded = await ws.load_records(_valid_keys(keys))
    extra: set[tuple[str, str]] = set()
    for record in loaded:
        extra.update(specs.get(record.collection).record_refs(record))
    loaded += await ws.load_records(_valid_keys(extra))
    await ws.load_snapshots(
        (m.collection, m.record_id, m.base_version) for m in pending if m.base_version > 0
    )
    await ws.load_set_deltas(keys)
    await ws.load_device_users(loaded)
    for spec in specs.all_specs():
        if spec.preload is not None:
            await spec.preload(ws, pending)


def _valid_ids(values: set[str]) -> set[str]:
    out = set()
    for value in values:
        try:
            UUID(value)
        except ValueError:
            continue
        out.add(value)
    return out


def _valid_keys(keys: set[tuple[str, str]]) -> set[tuple[str, str]]:
    return {(c, r) for c, r in keys if table_of(c) is not None and _valid_ids({r})}


# ---------------------------------------------------------------------------------------------
# pull


@dataclass(frozen=True)
class Cursor:
    seq: int
    epoch: int
    role: str
    org: str | None

    def encode(self) -> str:
        raw = json.dumps([self.seq, self.epoch, self.role, self.org], separators=(",", ":"))
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str) -> Cursor:
        try:
            padded = text + "=" * (-len(text) % 4)
            seq, epoch, role, org = json.loads(base64.urlsafe_b64decode(padded.encode()))
            if not isinstance(seq, int) or not isinstance(epoch, int) or seq < 0:
                raise ValueError("cursor fields")
            return cls(seq, epoch, str(role), org if org is None else str(org))
        except (ValueError, TypeError, binascii.Error, UnicodeDecodeError) as exc:
            raise ApiError(
                400,
                "invalid_request",
                "the cursor is not one this server issued",
                {"field": "cursor"},
            ) from exc


async def pull_page(principal: Principal, cursor_text: str | None, limit: int) -> dict[str, Any]:
    tree = await load_tree()
    epoch = principal.scope_epoch  # read with the caller's device and user, one round trip
    org = str(principal.org_unit_id) if principal.org_unit_id else None
    reset = False
    evict: list[dict[str, str]] = []
    start = 0
    if cursor_text:
        cursor = Cursor.decode(cursor_text)
        if cursor.seq > await current_number():
            reset = True  # a cursor from another database, or one restored from a backup
        elif (cursor.epoch, cursor.role, cursor.org) != (epoch, principal.role, org):
            # The user's role or org unit changed: rebuild the device's store, and name what it
            # must drop (records it could see before and cannot now).
            reset = True
            evict = await _evictions(principal, tree, cursor)
        else:
            start = cursor.seq
    changes, last_scanned, has_more = await _scan(principal, tree, start, limit)
    return {
        "server_time": server_time(),
        "cursor": Cursor(last_scanned, epoch, principal.role, org).encode(),
        "has_more": has_more,
        "reset": reset,
        "changes": changes,
        "evict": evict,
    }


async def _scan(
    principal: Principal, tree: OrgTree, start: int, limit: int
) -> tuple[list[dict[str, Any]], int, bool]:
    db = engine()
    if isinstance(db, PostgresEngine) and db.pool is not None:
        async with db.pool.acquire() as conn:
            return await _scan_pg(conn, principal, tree, start, limit)
    changes: list[dict[str, Any]] = []
    position = start
    scanned = 0
    while len(changes) < limit and scanned < MAX_SCAN:
        # a batch the page can use whole when the reader sees most records; more batches
        # when it sees few (bounded by MAX_SCAN)
        batch = min(max(limit - len(changes), 100), MAX_SCAN - scanned)
        entries = (
            await FeedEntry.select(FeedEntry.seq, FeedEntry.collection, FeedEntry.record_id)
            .where(FeedEntry.seq > position)
            .order_by(FeedEntry.seq)
            .limit(batch)
        )
        if not entries:
            return changes, position, False
        records = await _load(entries)
        for entry in entries:
            scanned += 1
            position = int(entry["seq"])
            record = records.get((entry["collection"], str(entry["record_id"])))
            if record is not None:
                change = _visible_change(principal, tree, record)
                if change is not None:
                    changes.append(change)
            if len(changes) >= limit:
                break
        if len(entries) < batch and position == int(entries[-1]["seq"]) and len(changes) < limit:
            return changes, position, False
    more = await FeedEntry.exists().where(FeedEntry.seq > position)
    return changes, position, bool(more)


_FEED_SQL = (
    f'SELECT "seq", "collection", "record_id"::text FROM "{FeedEntry._meta.tablename}" '
    'WHERE "seq" > $1 ORDER BY "seq" LIMIT $2'
)
_MORE_SQL = f'SELECT EXISTS (SELECT 1 FROM "{FeedEntry._meta.tablename}" WHERE "seq" > $1)'


async def _scan_pg(
    conn: Any, principal: Principal, tree: OrgTree, start: int, limit: int
) -> tuple[list[dict[str, Any]], int, bool]:
    """`_scan` on PostgreSQL: the same entries, pages and cursor, rows read by `pullfast` (wire
    dicts straight from asyncpg) on one pooled connection."""
    changes: list[dict[str, Any]] = []
    position = start
    scanned = 0
    while len(changes) < limit and scanned < MAX_SCAN:
        batch = min(max(limit - len(changes), 100), MAX_SCAN - scanned)
        entries = await conn.fetch(_FEED_SQL, position, batch)
        if not entries:
            return changes, position, False
        by_collection: dict[str, list[str]] = {}
        for entry in entries:
            by_collection.setdefault(entry[1], []).append(entry[2])
        loaded = {c: await pullfast.fetch_wire(conn, c, ids) for c, ids in by_collection.items()}
        for seq, collection, record_id in entries:
            scanned += 1
            position = int(seq)
            row = loaded[collection].get(record_id)
            if row is not None:
                change = pullfast.visible_change(principal, tree, collection, row)
                if change is not None:
                    changes.append(change)
            if len(changes) >= limit:
                break
        if len(entries) < batch and position == int(entries[-1][0]) and len(changes) < limit:
            return changes, position, False
    more = await conn.fetchval(_MORE_SQL, position)
    return changes, position, bool(more)


async def _load(
    entries: list[dict[str, Any]],
) -> dict[tuple[str, str], tuple[Record, dict[str, Any]]]:
    by_collection: dict[str, list[UUID]] = {}
    for entry in entries:
        by_collection.setdefault(entry["collection"], []).append(entry["record_id"])
    out: dict[tuple[str, str], tuple[Record, dict[str, Any]]] = {}
    for collection, ids in by_collection.items():
        table = table_of(collection)
        if table is None:
            continue
        rows = await _fetch_rows(table, ids)
        derived_names = derived_columns_of(collection)
        for row in rows:
            record = row_to_record(collection, row)
            derived: dict[str, Any] = {
                k: (str(row[k]) if row.get(k) else None) for k in derived_names if k in row
            }
            out[(collection, record.id)] = (record, derived)
    return out


async def _fetch_rows(table: Any, ids: list[UUID]) -> list[dict[str, Any]]:
    db = engine()
    if isinstance(db, PostgresEngine) and db.pool is not None:
        async with db.pool.acquire() as conn:
            return await pgbulk.fetch_by_ids(conn, table, ids)
    rows: list[dict[str, Any]] = (
        await table.select().where(table._meta.primary_key.is_in(ids)).output(load_json=True)
    )
    return rows


def _visible_change(
    principal: Principal, tree: OrgTree, loaded: tuple[Record, dict[str, Any]]
) -> dict[str, Any] | None:
    record, derived = loaded
    as_dict = {**record.fields, "id": record.id, "created_by": record.created_by, **derived}
    if not permissions.can_read(principal, tree, record.collection, as_dict):
        return None
    fields = wire_fields(record)
    if record.deleted:
        fields = {k: fields[k] for k in ("id", "version", "created_at", "updated_at", "created_by")}
    return {
        "collection": record.collection,
        "record_id": record.id,
        "version": record.version,
        "deleted": record.deleted,
        "fields": dict(permissions.visible_fields(principal, record.collection, fields)),
    }


async def _evictions(principal: Principal, tree: OrgTree, cursor: Cursor) -> list[dict[str, str]]:
    """Records visible to the user's old role and org unit but not to the new ones."""
    before = Principal(
        user_id=principal.user_id,
        device_id=principal.device_id,
        username=principal.username,
        role=cursor.role,
        org_unit_id=UUID(cursor.org) if cursor.org else None,
    )
    evict: list[dict[str, str]] = []
    position = 0
    while position < cursor.seq:
        entries = (
            await FeedEntry.select(FeedEntry.seq, FeedEntry.collection, FeedEntry.record_id)
            .where(FeedEntry.seq > position, FeedEntry.seq <= cursor.seq)
            .order_by(FeedEntry.seq)
            .limit(2000)
        )
        if not entries:
            break
        records = await _load(entries)
        for entry in entries:
            position = int(entry["seq"])
            loaded = records.get((entry["collection"], str(entry["record_id"])))
            if loaded is None:
                continue
            if _visible_change(before, tree, loaded) and not _visible_change(
                principal, tree, loaded
            ):
                evict.append({"collection": loaded[0].collection, "record_id": loaded[0].id})
    return evict


__all__ = ["Cursor", "PushResponse", "pull_page", "push_batch"]
