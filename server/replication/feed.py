"""The change feed: one entry per record, renumbered on every change.

No gap (docs/sync.md): feed numbers are taken from the single `sync_counter` row at the END of a
write transaction, with `UPDATE ... RETURNING`.  That row stays locked until the transaction
commits, so a second writer waits there, and numbers become visible in the order they were
handed out.  A pull that has seen number N can therefore never later meet a smaller number
committing.  On SQLite the database-wide write lock gives the same order.

Publishing differs by engine: `backend().publish()` (server/replication/backends/).
"""

from __future__ import annotations

from server.replication.tables import FeedCounter

#: feed entries a pull scans at most before answering with has_more (rows it may not see
#: cost a little each; this bounds one request's work)
MAX_SCAN = 5000


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


#: PostgreSQL: take the numbers and write the entries in one statement
PUBLISH_SQL = """
WITH counter AS (
    UPDATE sync_counter SET value = value + $1 WHERE id = 1 RETURNING value
)
INSERT INTO sync_feed (key, seq, collection, record_id, version, deleted, scope_org_id, owner_id,
                       alt_user_id, alt_org_id, changed_at)
SELECT u.key, counter.value - $1 + u.ord, u.collection, u.record_id, u.version, u.deleted,
       u.scope_org_id, u.owner_id, u.alt_user_id, u.alt_org_id, now()
FROM counter,
     unnest($2::text[], $3::text[], $4::uuid[], $5::int4[], $6::bool[], $7::uuid[], $8::uuid[],
            $9::uuid[], $10::uuid[])
         WITH ORDINALITY AS u(key, collection, record_id, version, deleted, scope_org_id,
                              owner_id, alt_user_id, alt_org_id, ord)
ON CONFLICT (key) DO UPDATE SET seq = EXCLUDED.seq, version = EXCLUDED.version,
    deleted = EXCLUDED.deleted, scope_org_id = EXCLUDED.scope_org_id,
    owner_id = EXCLUDED.owner_id, alt_user_id = EXCLUDED.alt_user_id,
    alt_org_id = EXCLUDED.alt_org_id, changed_at = EXCLUDED.changed_at
RETURNING seq
"""


# Every process that can write the feed (app servers, the Celery worker's scheduled jobs, the
# CLI) counts its commits for the feed heads (server/replication/heads.py): with Redis, the
# other processes' indexes then know at once that they are unsure until their next poll.
from server.replication import heads as _heads  # noqa: E402,F401
