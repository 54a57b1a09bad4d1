"""The change feed's counter row, created by the migration rather than at each start.

`server/db.py` used to call `replication.feed.ensure_counter()` after migrating, which made the
database layer depend on the feed above it (an import cycle).  The row is data the feed needs
from the first write on, so the migration that follows the table's creation writes it; existing
databases already hold it (ON CONFLICT DO NOTHING keeps them as they are).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-03T08:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "the feed counter's single row"


class RawTable(Table):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="replication", description=DESCRIPTION)

    async def counter_row():
        await RawTable.raw(
            "INSERT INTO sync_counter (id, value) VALUES (1, 0) ON CONFLICT (id) DO NOTHING"
        )

    manager.add_raw(counter_row)
    return manager
