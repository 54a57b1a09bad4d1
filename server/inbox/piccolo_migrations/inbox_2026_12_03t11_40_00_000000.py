"""Notices stored language-neutral: `template` and `params` (issue 11 "English mode")."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import JSON, Varchar

ID = "2026-12-03T11:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "notifications: template and params"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="inbox", description=DESCRIPTION)
    manager.add_column(
        table_class_name="Notification",
        tablename="notifications",
        column_name="template",
        db_column_name="template",
        column_class_name="Varchar",
        column_class=Varchar,
        params={"length": 64, "default": None, "null": True},
    )
    manager.add_column(
        table_class_name="Notification",
        tablename="notifications",
        column_name="params",
        db_column_name="params",
        column_class_name="JSON",
        column_class=JSON,
        params={"default": None, "null": True},
    )
    return manager
