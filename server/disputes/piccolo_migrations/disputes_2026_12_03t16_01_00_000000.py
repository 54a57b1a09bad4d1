"""Fill `first_rated_at` of every existing dispute from its satisfaction facts (as
server/disputes/milestones.py computes it; copied, so later edits there do not change history),
and on PostgreSQL carry it in `disputes_created` too: the appeals figures read it, and the index
carries every column they read so a month among many can be an index-only scan."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-03T16:01:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "disputes: fill first_rated_at"

FILL = """
UPDATE disputes SET
  first_rated_at = (SELECT MIN(f.at) FROM lifecycle_facts f WHERE f.record_id = disputes.id
      AND f.field = 'satisfaction' AND f.collection = 'disputes')
WHERE rated_at IS NOT NULL
"""


#: `disputes_created` as the 15:01 migration made it, plus `first_rated_at` (PostgreSQL only;
#: SQLite's index has no INCLUDE and stays as it is)
CREATED_INDEX = (
    "CREATE INDEX disputes_created ON disputes (created_at) INCLUDE "
    "(community_id, deleted, service_type, channel, category, risk_level, id, resolved_at, "
    "first_action_at, rated_at, first_rated_at, last_rating)"
)


class RawTable(Table):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="disputes", description=DESCRIPTION)

    async def fill():
        await RawTable.raw(FILL)
        if RawTable._meta.db.engine_type == "postgres":
            await RawTable.raw("DROP INDEX IF EXISTS disputes_created")
            await RawTable.raw(CREATED_INDEX)

    manager.add_raw(fill)
    return manager
