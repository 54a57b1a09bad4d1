"""Org units gain `hours` (opening hours of rooms people visit, e.g. the judicial
confirmation rooms of issue 15).  Existing units keep NULL."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar

ID = "2026-12-03T11:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "org units: opening hours"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="org", description=DESCRIPTION)
    manager.add_column(
        table_class_name="OrgUnit",
        tablename="org_units",
        column_name="hours",
        db_column_name="hours",
        column_class_name="Varchar",
        column_class=Varchar,
        params={"length": 200, "default": None, "null": True},
    )
    return manager
