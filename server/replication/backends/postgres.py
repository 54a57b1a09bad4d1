"""The PostgreSQL backend: raw asyncpg on the hot paths (docs/performance.md).

Inside a write transaction it borrows that transaction's asyncpg connection (`pgbulk`): the
preload locks what it reads (`FOR UPDATE`, in id order), the flush writes each table with one
`INSERT ... SELECT FROM unnest(...)`, the feed takes its numbers and writes its entries in one
statement.  A pull reads wire dicts straight from asyncpg on one pooled connection (`pullfast`).
Outside a transaction there is no connection to borrow, and the portable Piccolo queries of
`PiccoloBackend` run instead (with row locks).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from piccolo.engine.postgres import PostgresEngine
from piccolo.table import Table

from server.accounts.principal import Principal
from server.accounts.tables import Device
from server.db import engine
from server.org.tree import OrgTree
from server.replication import pgbulk, prefilter, pullfast
from server.replication.backends.base import (
    Entry,
    FeedItem,
    Page,
    latest_per_record,
    prefiltered_scan,
)
from server.replication.backends.sqlite import PiccoloBackend
from server.replication.feed import PUBLISH_SQL, current_number


class PostgresBackend(PiccoloBackend):
    """Overrides every method whose SQL differs; inherits the portable queries as fallback."""

    name = "postgres"
    lock_rows = True

    async def device_seq(self, device: UUID) -> int:
        rows = await Device.raw("SELECT last_seq FROM devices WHERE id = {} FOR UPDATE", device)
        return int(rows[0]["last_seq"]) if rows else 0

    async def answers(self, keys: list[str]) -> list[tuple[int, dict[str, Any]]]:
        conn = pgbulk.connection()
        if not keys or conn is None:
            return await super().answers(keys)
        rows = await conn.fetch(
            "SELECT seq, result FROM device_answers WHERE key = ANY($1::text[])", keys
        )
        return [(int(row["seq"]), json.loads(row["result"])) for row in rows]

    async def records(
        self, table: type[Table], ids: Sequence[UUID], *, lock: bool
    ) -> list[dict[str, Any]]:
        conn = pgbulk.connection()
        if conn is None:
            return await super().records(table, ids, lock=lock)
        return await pgbulk.fetch_by_ids(conn, table, ids, lock=lock)

    async def snapshots(self, keys: list[str]) -> list[tuple[str, str, int, dict[str, Any]]]:
        conn = pgbulk.connection()
        if not keys or conn is None:
            return await super().snapshots(keys)
        rows = await conn.fetch(
            "SELECT collection, record_id, version, fields FROM record_versions"
            " WHERE key = ANY($1::text[])",
            keys,
        )
        return [
            (
                row["collection"],
                str(row["record_id"]),
                int(row["version"]),
                json.loads(row["fields"]),
            )
            for row in rows
        ]

    async def set_deltas(self, keys: list[str]) -> list[tuple[str, list[Any]]]:
        conn = pgbulk.connection()
        if not keys or conn is None:
            return await super().set_deltas(keys)
        rows = await conn.fetch(
            "SELECT key, deltas FROM device_set_deltas WHERE key = ANY($1::text[])", keys
        )
        return [(row["key"], json.loads(row["deltas"])) for row in rows]

    async def insert(
        self,
        table: type[Table],
        rows: list[dict[str, Any]],
        *,
        conflict: str | None = None,
        update: Sequence[str] | None = None,
    ) -> None:
        conn = pgbulk.connection()
        if not rows or conn is None:
            await super().insert(table, rows, conflict=conflict, update=update)
            return
        names = list(rows[0])
        await pgbulk.insert_rows(
            conn,
            table,
            names,
            [tuple(row[n] for n in names) for row in rows],
            conflict=conflict,
            update=update,
        )

    async def save_device_seq(self, device: UUID, last_seq: int, now: datetime) -> None:
        conn = pgbulk.connection()
        if conn is None:
            await super().save_device_seq(device, last_seq, now)
            return
        await conn.execute(
            "UPDATE devices SET last_seq = $1, last_seen_at = $2 WHERE id = $3",
            last_seq,
            now,
            device,
        )

    async def publish(self, items: Sequence[FeedItem]) -> int:
        conn = pgbulk.connection()
        if conn is None:
            return await super().publish(items)
        latest = latest_per_record(items)
        if not latest:
            return await current_number()
        # one statement: take the numbers (locking the counter row until commit) and write the
        # entries numbered in order
        rows = await conn.fetch(
            PUBLISH_SQL,
            len(latest),
            [f"{i.collection}/{i.record_id}" for i in latest],
            [i.collection for i in latest],
            [i.record_id for i in latest],
            [i.version for i in latest],
            [i.deleted for i in latest],
            [i.scope_org_id for i in latest],
            [i.owner_id for i in latest],
            [i.alt_user_id for i in latest],
            [i.alt_org_id for i in latest],
        )
        return max(int(row["seq"]) for row in rows)

    async def scan(
        self, principal: Principal, tree: OrgTree, start: int, limit: int, head: int
    ) -> Page:
        """The same entries, pages and cursor as the portable scan, rows read by `pullfast`
        (wire dicts straight from asyncpg) on one pooled connection."""
        db = engine()
        if not isinstance(db, PostgresEngine) or db.pool is None:
            return await super().scan(principal, tree, start, limit, head)
        async with db.pool.acquire() as conn:
            return await _scan(conn, principal, tree, start, limit, head)

    async def rows_by_id(self, table: type[Table], ids: Sequence[UUID]) -> list[dict[str, Any]]:
        db = engine()
        if not isinstance(db, PostgresEngine) or db.pool is None:
            return await super().rows_by_id(table, ids)
        async with db.pool.acquire() as conn:
            return await pgbulk.fetch_by_ids(conn, table, ids)


async def _scan(
    conn: Any, principal: Principal, tree: OrgTree, start: int, limit: int, head: int
) -> Page:
    arms = prefilter.arms_for(principal, tree)

    async def fetch(after: int, batch: int) -> list[Entry]:
        sql, args = prefilter.visible_entries_sql(arms, after, head, batch, postgres=True)
        if not sql:
            return []
        return [(int(r[0]), r[1], r[2]) for r in await conn.fetch(sql, *args)]

    async def decide(entries: list[Entry]) -> list[tuple[str, str, Any]]:
        by_collection: dict[str, list[str]] = {}
        for _, collection, record_id in entries:
            by_collection.setdefault(collection, []).append(record_id)
        loaded = {c: await pullfast.fetch_wire(conn, c, ids) for c, ids in by_collection.items()}
        out = []
        for _, collection, record_id in entries:
            row = loaded[collection].get(record_id)
            held = pullfast.visible_change(principal, tree, collection, row) if row else None
            out.append((collection, record_id, held))
        return out

    return await prefiltered_scan(start, limit, head, fetch, decide)
