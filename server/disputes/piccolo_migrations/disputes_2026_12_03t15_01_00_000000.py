"""Fill the milestones of every existing dispute from its facts, visits and orders (the same
statement the flush runs for the disputes a write moves: server/disputes/milestones.py), and
the indexes the command figures and that statement read: disputes by creation time (a month's
disputes), orders by the dispute they cite.  Plain SQL, the same on SQLite and PostgreSQL."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

from server.disputes.milestones import refresh_sql

ID = "2026-12-03T15:01:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "disputes: fill the milestones; indexes by creation time and cited dispute"

INDEXES = (
    "CREATE INDEX IF NOT EXISTS dispatch_orders_dispute ON dispatch_orders (dispute_id)",
)
#: a month's disputes by creation time.  On PostgreSQL the index also carries every column the
#: appeals figures read, so a district month is an index-only scan of narrow entries instead of
#: a scan of the wide rows (titles, descriptions, parties); SQLite has no INCLUDE
CREATED_INDEX = {
    "postgres": "CREATE INDEX IF NOT EXISTS disputes_created ON disputes (created_at) INCLUDE "
    "(community_id, deleted, service_type, channel, category, risk_level, id, resolved_at, "
    "first_action_at, rated_at, last_rating)",
    "sqlite": "CREATE INDEX IF NOT EXISTS disputes_created ON disputes (created_at)",
}


class RawTable(Table):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="disputes", description=DESCRIPTION)

    async def fill():
        postgres = RawTable._meta.db.engine_type == "postgres"
        for sql in (*INDEXES, CREATED_INDEX["postgres" if postgres else "sqlite"]):
            await RawTable.raw(sql)
        await RawTable.raw(refresh_sql(postgres))

    manager.add_raw(fill)
    return manager
