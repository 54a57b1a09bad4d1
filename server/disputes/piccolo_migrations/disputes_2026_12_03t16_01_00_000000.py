"""Fill `first_rated_at` of every existing dispute from its satisfaction facts (as
server/disputes/milestones.py computes it; copied, so later edits there do not change history).
Plain SQL, the same on SQLite and PostgreSQL."""

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


class RawTable(Table):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="disputes", description=DESCRIPTION)

    async def fill():
        await RawTable.raw(FILL)

    manager.add_raw(fill)
    return manager
