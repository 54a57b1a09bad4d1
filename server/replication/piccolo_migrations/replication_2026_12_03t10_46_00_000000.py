"""The indexes of `lifecycle_facts`: by collection, field and time (a window's facts of one
kind, e.g. every state change of a month) and by record (one record's facts: its first action
after registration, its time to resolve).  Composite indexes are plain SQL, the same on SQLite
and PostgreSQL."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-03T10:46:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "lifecycle facts: indexes"

INDEXES = (
    "CREATE INDEX IF NOT EXISTS lifecycle_facts_window ON lifecycle_facts (collection, field, at)",
    "CREATE INDEX IF NOT EXISTS lifecycle_facts_record ON lifecycle_facts (record_id, field, at)",
)


class RawTable(Table):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="replication", description=DESCRIPTION)

    async def indexes():
        for sql in INDEXES:
            await RawTable.raw(sql)

    manager.add_raw(indexes)
    return manager
