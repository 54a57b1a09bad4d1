"""A dispute's server-only milestones (server/disputes/milestones.py): `first_action_at`,
`resolved_at`, `rated_at`, `last_rating`.  Filled for existing disputes by the next migration."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Timestamptz, Varchar

ID = "2026-12-03T15:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "disputes: server-only milestones"

TIMES = ("first_action_at", "resolved_at", "rated_at")


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="disputes", description=DESCRIPTION)
    for name in TIMES:
        manager.add_column(
            table_class_name="Dispute",
            tablename="disputes",
            column_name=name,
            db_column_name=name,
            column_class_name="Timestamptz",
            column_class=Timestamptz,
            params={"default": None, "null": True},
        )
    manager.add_column(
        table_class_name="Dispute",
        tablename="disputes",
        column_name="last_rating",
        db_column_name="last_rating",
        column_class_name="Varchar",
        column_class=Varchar,
        params={"length": 32, "default": None, "null": True},
    )
    return manager
