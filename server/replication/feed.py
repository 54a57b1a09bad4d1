"""The change feed: one entry per record, renumbered on every change.

No gap (docs/sync.md): feed numbers are taken from the single `sync_counter` row at the END of a
write transaction, with `UPDATE ... RETURNING`.  That row stays locked until the transaction
commits, so a second writer waits there, and numbers become visible in the order they were
handed out.  A pull that has seen number N can therefore never later meet a smaller number
committing.  On SQLite the database-wide write lock gives the same order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

from piccolo.query.methods.insert import Insert

from server.replication import pgbulk
from server.replication.tables import FeedCounter, FeedEntry


@dataclass(frozen=True, slots=True)
class FeedItem:
    collection: str
    record_id: UUID
    version: int
    deleted: bool
    scope_org_id: UUID | None
    owner_id: UUID | None


async def take_numbers(count: int) -> int:
    """Reserve `count` feed numbers; returns the last one.  Call inside the write transaction,
    as late as possible: the counter row stays locked until commit."""
    rows = await FeedCounter.raw(
        "UPDATE sync_counter SET value = value + {} WHERE id = 1 RETURNING value", count
    )
    return int(rows[0]["value"])


async def current_number() -> int:
    rows = await FeedCounter.select(FeedCounter.value).where(FeedCounter.id == 1)
    return int(rows[0]["value"]) if rows else 0


_PUBLISH_SQL = """
WITH counter AS (
    UPDATE sync_counter SET value = value + $1 WHERE id = 1 RETURNING value
)
INSERT INTO sync_feed (key, seq, collection, record_id, version, deleted, scope_org_id, owner_id)
SELECT u.key, counter.value - $1 + u.ord, u.collection, u.record_id, u.version, u.deleted,
       u.scope_org_id, u.owner_id
FROM counter,
     unnest($2::text[], $3::text[], $4::uuid[], $5::int4[], $6::bool[], $7::uuid[], $8::uuid[])
         WITH ORDINALITY AS u(key, collection, record_id, version, deleted, scope_org_id,
                              owner_id, ord)
ON CONFLICT (key) DO UPDATE SET seq = EXCLUDED.seq, version = EXCLUDED.version,
    deleted = EXCLUDED.deleted, scope_org_id = EXCLUDED.scope_org_id,
    owner_id = EXCLUDED.owner_id
RETURNING seq
"""


async def publish(items: Sequence[FeedItem]) -> int:
    """Give each changed record its next feed number (one per record, latest version wins)."""
    latest: dict[tuple[str, UUID], FeedItem] = {}
    for item in items:
        latest[(item.collection, item.record_id)] = item
    if not latest:
        return await current_number()
    conn = pgbulk.connection()
    if conn is not None:
        # one statement: take the numbers (locking the counter row until commit) and write
        # the entries numbered in order
        items = list(latest.values())
        rows = await conn.fetch(
            _PUBLISH_SQL,
            len(items),
            [f"{i.collection}/{i.record_id}" for i in items],
            [i.collection for i in items],
            [i.record_id for i in items],
            [i.version for i in items],
            [i.deleted for i in items],
            [i.scope_org_id for i in items],
            [i.owner_id for i in items],
        )
        return max(int(row["seq"]) for row in rows)
    last = await take_numbers(len(latest))
    first = last - len(latest) + 1
    rows = [
        FeedEntry(
            key=f"{item.collection}/{item.record_id}",
            seq=first + offset,
            collection=item.collection,
            record_id=item.record_id,
            version=item.version,
            deleted=item.deleted,
            scope_org_id=item.scope_org_id,
            owner_id=item.owner_id,
        )
        for offset, item in enumerate(latest.values())
    ]
    query: Insert[FeedEntry] = FeedEntry.insert(*rows).on_conflict(
        target=FeedEntry.key,
        action="DO UPDATE",
        values=[
            FeedEntry.seq,
            FeedEntry.version,
            FeedEntry.deleted,
            FeedEntry.scope_org_id,
            FeedEntry.owner_id,
        ],
    )
    await query
    return last
