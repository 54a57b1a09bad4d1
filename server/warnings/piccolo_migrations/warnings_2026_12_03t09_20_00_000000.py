"""A warning closes with its subject: `status` (open/closed) and `closed_at`, server-written.

Existing warnings keep NULL, which every reader takes as open."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Timestamptz, Varchar

ID = "2026-12-03T09:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "warnings: status and closed_at"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="warnings", description=DESCRIPTION)
    manager.add_column(
        table_class_name="GradedWarning",
        tablename="warnings",
        column_name="status",
        db_column_name="status",
        column_class_name="Varchar",
        column_class=Varchar,
        params={"length": 32, "default": None, "null": True},
    )
    manager.add_column(
        table_class_name="GradedWarning",
        tablename="warnings",
        column_name="closed_at",
        db_column_name="closed_at",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params={"default": None, "null": True},
    )
    return manager
