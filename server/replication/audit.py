"""Reading the audit trail: who changed which field of a record, when, from which device.

Admins read the history of records they may read.  Private fields (a psychologist's session
notes) never leave the server this way, not even as "changed": the trail keeps them for the
record, but no admin may read them (DESIGN.md "Security model").
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from server import permissions
from server.accounts.principal import Principal
from server.http.errors import ApiError
from server.org.tree import load_tree
from server.replication.rows import TABLES, iso, row_to_record
from server.replication.tables import AuditEntry


async def record_history(
    principal: Principal, collection: str, record_id: UUID, limit: int
) -> list[dict[str, Any]]:
    if principal.role not in permissions.ADMIN_ROLES:
        raise ApiError(403, "forbidden", "only admins read the audit trail")
    table = TABLES.get(collection)
    if table is None:
        raise ApiError(400, "invalid_request", f"unknown collection {collection!r}")
    rows = await table.select().where(table._meta.primary_key == record_id).output(load_json=True)
    tree = await load_tree()
    if rows:
        record = row_to_record(collection, rows[0])
        as_dict = {
            **record.fields,
            "id": record.id,
            "created_by": record.created_by,
            **{k: str(rows[0][k]) for k in ("community_id", "scope_org_id") if rows[0].get(k)},
        }
    if not rows or not permissions.can_read(principal, tree, collection, as_dict):
        # outside one's scope looks the same as absent
        raise ApiError(404, "not_found", "no such record")
    private = permissions.PRIVATE_FIELDS.get(collection, frozenset())
    entries = (
        await AuditEntry.select()
        .where(AuditEntry.collection == collection, AuditEntry.record_id == record_id)
        .order_by(AuditEntry.version)
        .order_by(AuditEntry._meta.primary_key)
        .limit(limit)
        .output(load_json=True)
    )
    return [
        {
            "at": iso(e["at"]),
            "version": e["version"],
            "field": e["field"],
            "old": e["old"],
            "new": e["new"],
            "user_id": str(e["user_id"]) if e["user_id"] else None,
            "device_id": str(e["device_id"]) if e["device_id"] else None,
            "mutation_id": str(e["mutation_id"]) if e["mutation_id"] else None,
        }
        for e in entries
        if e["field"].split("#", 1)[0] not in private
    ]
