"""Fill the milestones of every existing dispute from its facts, visits and orders (the
statement the flush runs for the disputes a write moves, as server/disputes/milestones.py had
it when this migration was written: copied, so later edits there do not change history), and
the indexes the command figures and that statement read: disputes by creation time (a month's
disputes), orders by the dispute they cite.  Plain SQL, the same on SQLite and PostgreSQL."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-03T15:01:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "disputes: fill the milestones; indexes by creation time and cited dispute"

INDEXES = (
    "CREATE INDEX IF NOT EXISTS dispatch_orders_dispute ON dispatch_orders (dispute_id)",
)
#: a month's disputes by creation time.  On PostgreSQL the index also carries every column the
#: appeals figures read, so a month among many can be read by an index-only scan of narrow
#: entries instead of the wide rows (titles, descriptions, parties); SQLite has no INCLUDE
CREATED_INDEX = {
    "postgres": "CREATE INDEX IF NOT EXISTS disputes_created ON disputes (created_at) INCLUDE "
    "(community_id, deleted, service_type, channel, category, risk_level, id, resolved_at, "
    "first_action_at, rated_at, last_rating)",
    "sqlite": "CREATE INDEX IF NOT EXISTS disputes_created ON disputes (created_at)",
}


#: every dispute's milestones from the source rows ({false}: the engine's boolean literal)
FILL = """
UPDATE disputes SET
  first_action_at = (SELECT MIN(x.at) FROM (
      SELECT f.at AS at FROM lifecycle_facts f WHERE f.record_id = disputes.id
        AND f.field = 'status' AND f.collection = 'disputes' AND f.from_value = 'registered'
      UNION ALL SELECT v.created_at FROM visits v
        WHERE v.dispute_id = disputes.id AND v.deleted = {false}
      UNION ALL SELECT o.created_at FROM dispatch_orders o
        WHERE o.dispute_id = disputes.id AND o.deleted = {false}) AS x),
  resolved_at = (SELECT MIN(f.at) FROM lifecycle_facts f WHERE f.record_id = disputes.id
      AND f.field = 'status' AND f.collection = 'disputes'
      AND f.to_value IN ('resolved', 'closed')),
  rated_at = (SELECT MAX(f.at) FROM lifecycle_facts f WHERE f.record_id = disputes.id
      AND f.field = 'satisfaction' AND f.collection = 'disputes'),
  last_rating = (SELECT f.to_value FROM lifecycle_facts f WHERE f.record_id = disputes.id
      AND f.field = 'satisfaction' AND f.collection = 'disputes'
      ORDER BY f.at DESC, f.id DESC LIMIT 1)
"""


class RawTable(Table):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="disputes", description=DESCRIPTION)

    async def fill():
        postgres = RawTable._meta.db.engine_type == "postgres"
        for sql in (*INDEXES, CREATED_INDEX["postgres" if postgres else "sqlite"]):
            await RawTable.raw(sql)
        await RawTable.raw(FILL.replace("{false}", "false" if postgres else "0"))

    manager.add_raw(fill)
    return manager
