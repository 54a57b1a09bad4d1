"""`last_chased_at` on dispatch orders: when a supervisor last chased the department (督办催办,
server/command/supervise.py).  Existing orders keep NULL: never chased by hand."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Timestamptz

ID = "2026-12-03T11:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "dispatch orders: last_chased_at"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="dispatch", description=DESCRIPTION)
    manager.add_column(
        table_class_name="DispatchOrder",
        tablename="dispatch_orders",
        column_name="last_chased_at",
        db_column_name="last_chased_at",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params={"default": None, "null": True},
    )
    return manager
