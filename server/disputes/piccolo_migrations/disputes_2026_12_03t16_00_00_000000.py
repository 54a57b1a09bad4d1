"""A dispute's first rating time (`first_rated_at`, server/disputes/milestones.py), so the
figures know without a fact lookup that a dispute rated only after a window's end had no rating
before it.  Filled for existing disputes by the next migration."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Timestamptz

ID = "2026-12-03T16:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "disputes: server-only milestone first_rated_at"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="disputes", description=DESCRIPTION)
    manager.add_column(
        table_class_name="Dispute",
        tablename="disputes",
        column_name="first_rated_at",
        db_column_name="first_rated_at",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params={"default": None, "null": True},
    )
    return manager
