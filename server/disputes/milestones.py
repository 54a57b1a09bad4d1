"""A dispute's milestones, kept on its row at write time for the command figures.

`GET /api/command/stats` counts a district month of 200,000 disputes; joining each one to
aggregates of the lifecycle facts, visits and orders on every request cost ~20 times the scan
of the disputes themselves (docs/performance.md, "The command view").  So the per-dispute work
happens when the facts are written: five server-only columns of `disputes`
(server/disputes/tables.py), never schema fields, so no device pulls them and no push can
write them:

- `first_action_at`: the earliest status fact leaving `registered`, visit or dispatch order
  citing the dispute (visits and orders not deleted): "first action" of COMMAND_API.md;
- `resolved_at`: the first status fact reaching `resolved` or `closed`;
- `rated_at`, `last_rating`: the last satisfaction fact (`at`, then fact id) and its value;
- `first_rated_at`: the first satisfaction fact's time (a dispute first rated after a window's
  end had no rating before it: no fact lookup for it; added by the next session's migration).

They are *recomputed* from those rows, not nudged: the flush (server/replication/store.py)
hands every batch's writes and facts to `refresh_after_flush` once they are written, in the
same transaction, and the disputes a write can move are refreshed with `REFRESH_SQL` (a few
index lookups each).  A batch that creates a dispute and its visit together is therefore
right, and so is a deleted visit (the next one becomes the first action).  A new dispute moves
nothing (its only status fact comes from null), so an appeal pays nothing.  The migration
that added the columns filled them with the same statement for every dispute.

The figures read them with the definitions unchanged (server/command/appeals.py): resolved
"before `to`" is `resolved_at < to`; a rating "as last recorded before `to`" is `last_rating`
when `rated_at < to`, none when `first_rated_at >= to`, else (rated before `to` and again
since; rare) the fact lookup of before.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any
from uuid import UUID

from piccolo.querystring import QueryString

from server.db import engine
from sync.model import Applied, Record

#: a dispute counts as resolved once it reaches one of these (COMMAND_API.md)
RESOLVED_STATES = ("resolved", "closed")
#: the state a dispute is registered in: the first status change leaves it
REGISTERED = "registered"
#: the collections whose records are a dispute's actions (they cite it by `dispute_id`)
ACTION_COLLECTIONS = ("visits", "dispatch_orders")

#: every milestone of the disputes named by the `WHERE` that follows, from the source rows
#: (portable SQL: correlated subqueries on the indexes `lifecycle_facts_record`,
#: `visits.dispute_id` and `dispatch_orders_dispute`)
REFRESH_SQL = """
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
  first_rated_at = (SELECT MIN(f.at) FROM lifecycle_facts f WHERE f.record_id = disputes.id
      AND f.field = 'satisfaction' AND f.collection = 'disputes'),
  last_rating = (SELECT f.to_value FROM lifecycle_facts f WHERE f.record_id = disputes.id
      AND f.field = 'satisfaction' AND f.collection = 'disputes'
      ORDER BY f.at DESC, f.id DESC LIMIT 1)
"""


def refresh_sql(postgres: bool) -> str:
    """`REFRESH_SQL` with the engine's boolean literal (SQLite keeps booleans as 0/1)."""
    return REFRESH_SQL.replace("{false}", "false" if postgres else "0")


def moved_by(writes: Iterable[tuple[Record, Applied]], facts: Sequence[dict[str, Any]]) -> set[str]:
    """The ids of the disputes whose milestones these writes and facts can move."""
    ids: set[str] = set()
    for fact in facts:
        if fact["collection"] != "disputes":
            continue
        field = fact["field"]
        if field == "satisfaction" or (
            field == "status"
            and (fact["from_value"] == REGISTERED or fact["to_value"] in RESOLVED_STATES)
        ):
            ids.add(str(fact["record_id"]))
    for record, applied in writes:
        if record.collection not in ACTION_COLLECTIONS:
            continue
        dispute_id = record.fields.get("dispute_id")  # immutable in both collections
        if dispute_id and (applied.created or "_deleted" in applied.changes):
            ids.add(str(dispute_id))
    return ids


async def refresh(ids: Iterable[str | UUID]) -> None:
    """Recompute the milestones of these disputes (in the caller's transaction, if any)."""
    wanted = sorted({str(i) for i in ids})
    if not wanted:
        return
    db = engine()
    postgres = db.engine_type == "postgres"
    if postgres:
        await db.run_querystring(
            QueryString(refresh_sql(True) + " WHERE id = ANY({}::uuid[])", wanted)
        )
        return
    for start in range(0, len(wanted), 500):  # SQLite's bound-parameter limit
        chunk = wanted[start : start + 500]
        marks = ", ".join("{}" for _ in chunk)
        await db.run_querystring(
            QueryString(refresh_sql(False) + f" WHERE id IN ({marks})", *chunk)
        )


async def refresh_after_flush(
    writes: Sequence[tuple[Record, Applied]], facts: Sequence[dict[str, Any]]
) -> None:
    """The flush hook (server/replication/facts.py `after_facts`): refresh what moved."""
    await refresh(moved_by(writes, facts))
