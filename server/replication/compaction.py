"""Compaction of the change feed, and what a cursor from before it gets (issue 13, catch-up
after a long offline).

The feed already keeps one entry per record, renumbered on every change, so a device back
after a week gets only the latest version of each record it may see, never the intermediate
ones (docs/sync.md).  What would grow without bound is tombstones: every deleted record keeps
its entry forever so that devices learn of the delete.  Tombstones older than the retention
(`DOORSTEP_FEED_TOMBSTONE_DAYS`, default 30) are removed here, and the highest feed number
removed is kept as the *horizon* (`sync_counter` row 3).  A pull from a cursor below the horizon
might have needed one of them, so it is answered `reset: true` from the beginning
(SYNC_PROTOCOL.md: "cursor too old"): the device replaces its store, so it cannot keep a record
whose delete it never heard of.  Live records' entries are never removed: compaction cannot lose
the latest version of any record (tests/server/replication/test_compaction.py).
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

from server.db import write_transaction
from server.replication.tables import FeedCounter, FeedEntry

#: the sync_counter row holding the highest feed number compaction removed
HORIZON_ROW = 3
DEFAULT_RETENTION = timedelta(days=30)


def retention() -> timedelta:
    raw = os.environ.get("DOORSTEP_FEED_TOMBSTONE_DAYS")
    try:
        return timedelta(days=float(raw)) if raw else DEFAULT_RETENTION
    except ValueError:
        return DEFAULT_RETENTION


async def compact_feed(now: datetime | None = None, keep: timedelta | None = None) -> int:
    """Remove tombstone entries older than `keep`; raise the horizon to the highest removed.
    Returns how many entries went.  Safe to run twice, and concurrently with pushes: an entry
    renumbered meanwhile (a record undeleted) has a newer `changed_at` and stays."""
    cutoff = (now or datetime.now(UTC)) - (retention() if keep is None else keep)
    old = FeedEntry.deleted.eq(True) & (
        (FeedEntry.changed_at < cutoff) | FeedEntry.changed_at.is_null()
    )
    async with write_transaction():
        rows = (
            await FeedEntry.select(FeedEntry.seq)
            .where(old)
            .order_by(FeedEntry.seq, ascending=False)
            .first()
        )
        if rows is None:
            return 0
        highest = int(rows["seq"])
        gone = await FeedEntry.count().where(old & (FeedEntry.seq <= highest))
        await FeedEntry.delete().where(old & (FeedEntry.seq <= highest))
        await FeedCounter.raw(
            "INSERT INTO sync_counter (id, value) VALUES ({}, {}) ON CONFLICT (id) DO UPDATE"
            " SET value = CASE WHEN sync_counter.value > excluded.value THEN sync_counter.value"
            " ELSE excluded.value END",
            HORIZON_ROW,
            highest,
        )
    return int(gone)
