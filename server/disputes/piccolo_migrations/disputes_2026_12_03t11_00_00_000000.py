"""A dispute's `satisfaction` (回访 result: satisfied / basically_satisfied / unsatisfied).
Existing disputes keep NULL: not yet rated."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar

ID = "2026-12-03T11:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "disputes: satisfaction"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="disputes", description=DESCRIPTION)
    manager.add_column(
        table_class_name="Dispute",
        tablename="disputes",
        column_name="satisfaction",
        db_column_name="satisfaction",
        column_class_name="Varchar",
        column_class=Varchar,
        params={"length": 32, "default": None, "null": True},
    )
    return manager
