"""An index of `lifecycle_facts` by value: the records that reached a value in a window (every
dispute resolved in a month) are an index range, not a scan of the window's facts of that
field (docs/performance.md, the command view's plans)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-03T10:47:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "lifecycle facts: index by value"


class RawTable(Table):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="replication", description=DESCRIPTION)

    async def index():
        await RawTable.raw(
            "CREATE INDEX IF NOT EXISTS lifecycle_facts_value"
            " ON lifecycle_facts (collection, field, to_value, at)"
        )

    manager.add_raw(index)
    return manager
