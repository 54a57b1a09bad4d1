"""One fund per org unit and year; one award per (approver, idempotency key); the ledger and the
audit trail of the fund are append-only."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from server.appendonly import protect, run_ddl

ID = "2026-12-03T10:47:40:000000"
VERSION = "1.38.0"
DESCRIPTION = "incentives: unique funds and keys, append-only ledger and events"


async def constraints() -> None:
    await run_ddl(
        "CREATE UNIQUE INDEX IF NOT EXISTS incentive_funds_unit_year"
        " ON incentive_funds (org_unit_id, year)",
        "CREATE UNIQUE INDEX IF NOT EXISTS incentive_awards_key"
        " ON incentive_awards (approved_by, idempotency_key)",
    )
    await protect("incentive_ledger", "incentive_events")


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="incentives", description=DESCRIPTION)
    manager.add_raw(constraints)
    return manager
