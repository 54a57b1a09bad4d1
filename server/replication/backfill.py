"""Filling in the feed's scope keys from the records (run by the migration that added the
second user and org unit to `sync_feed`)."""

from __future__ import annotations

from typing import Any

from server import permissions, specs
from server.replication.backends.current import backend
from server.replication.rows import row_to_record
from server.replication.tables import FeedEntry


async def backfill_feed_keys() -> None:
    """Recompute every feed entry's scope keys from its record (the migration that added the
    second user and org unit runs this; entries written before it lack them, and the pre-filter
    would miss a referral's author or an order's department)."""
    position = 0
    while True:
        entries = (
            await FeedEntry.select(FeedEntry.seq, FeedEntry.collection, FeedEntry.record_id)
            .where(FeedEntry.seq > position)
            .order_by(FeedEntry.seq)
            .limit(1000)
        )
        if not entries:
            return
        position = int(entries[-1]["seq"])
        by_collection: dict[str, list[Any]] = {}
        for entry in entries:
            by_collection.setdefault(entry["collection"], []).append(entry["record_id"])
        for collection, ids in by_collection.items():
            spec = specs.find(collection)
            if spec is None:
                continue
            for row in await backend().rows_by_id(spec.table, ids):
                record = row_to_record(collection, row)
                as_dict = {
                    **record.fields,
                    "id": record.id,
                    "created_by": record.created_by,
                    **{k: str(row[k]) if row.get(k) else None for k in spec.derived_columns},
                }
                scope, owner, alt_user, alt_org = permissions.feed_keys(collection, as_dict)
                await FeedEntry.update(
                    {
                        FeedEntry.scope_org_id: scope,
                        FeedEntry.owner_id: owner,
                        FeedEntry.alt_user_id: alt_user,
                        FeedEntry.alt_org_id: alt_org,
                    }
                ).where(FeedEntry.key == f"{collection}/{record.id}")
