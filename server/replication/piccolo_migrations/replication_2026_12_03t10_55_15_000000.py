"""The pull pre-filter's (key, seq) indexes, and the new feed columns filled in for entries
written before them (a separate migration: Piccolo runs a migration's raw steps before its
column additions)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-03T10:55:15:000000"
VERSION = "1.38.0"
DESCRIPTION = "pull pre-filter: (key, seq) indexes, backfilled feed keys"


class RawTable(Table):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="replication", description=DESCRIPTION)

    async def indexes_and_backfill():
        # (key column, seq): each arm of the pull's pre-filter reads one index range, already
        # bounded by the cursor (server/replication/prefilter.py)
        for name, column in (
            ("sync_feed_collection_seq", "collection"),
            ("sync_feed_scope_seq", "scope_org_id"),
            ("sync_feed_owner_seq", "owner_id"),
            ("sync_feed_alt_user_seq", "alt_user_id"),
            ("sync_feed_alt_org_seq", "alt_org_id"),
        ):
            await RawTable.raw(f"CREATE INDEX IF NOT EXISTS {name} ON sync_feed ({column}, seq)")
        from server.replication.backfill import backfill_feed_keys

        await backfill_feed_keys()
        # entries from before `changed_at` count from now: compaction waits a full retention
        # before removing their tombstones (no device resets the day of the upgrade)
        await RawTable.raw("UPDATE sync_feed SET changed_at = CURRENT_TIMESTAMP WHERE changed_at IS NULL")

    manager.add_raw(indexes_and_backfill)
    return manager
