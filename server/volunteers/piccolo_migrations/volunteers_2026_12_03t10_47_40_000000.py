"""The points ledger is append-only and awards once per (event, source); a community has one
rule per event."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from server.appendonly import protect, run_ddl

ID = "2026-12-03T10:47:40:000000"
VERSION = "1.38.0"
DESCRIPTION = "volunteers: unique points per source, append-only points ledger"


async def constraints() -> None:
    await run_ddl(
        "CREATE UNIQUE INDEX IF NOT EXISTS volunteer_points_once"
        " ON volunteer_points (event, source_collection, source_id)",
        "CREATE UNIQUE INDEX IF NOT EXISTS volunteer_points_rules_one"
        " ON volunteer_points_rules (community_id, event)",
    )
    await protect("volunteer_points")


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="volunteers", description=DESCRIPTION)
    manager.add_raw(constraints)
    return manager
