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
from server.replication.rows import derived_columns_of, iso, row_to_record, table_of
from server.replication.tables import AuditEntry


async def record_history(
    principal: Principal, collection: str, record_id: UUID, limit: int
) -> list[dict[str, Any]]:
    if principal.role not in permissions.ADMIN_ROLES:
        raise ApiError(403, "forbidden", "only admins read the audit trail")
    table = table_of(collection)
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
            **{k: str(rows[0][k]) for k in derived_columns_of(collection) if rows[0].get(k)},
        }
    if not rows or not permissions.can_read(principal, tree, collection, as_dict):
        # outside one's scope looks the same as absent
        raise ApiError(404, "not_found", "no such record")
    entries = (
        await AuditEntry.select()
        .where(AuditEntry.collection == collection, AuditEntry.record_id == record_id)
        .order_by(AuditEntry.version)
        .order_by(AuditEntry._meta.primary_key)
        .limit(limit)
        .output(load_json=True)
    )
    return [shown for e in entries if (shown := _visible_entry(principal, collection, as_dict, e))]


_ABSENT = object()


def _visible_value(
    principal: Principal, collection: str, record: dict[str, Any], name: str, value: Any
) -> Any:
    """`value` as the reader may see it in field `name` of this record (`_ABSENT`: not at all),
    decided by `permissions.visible_fields` like every other copy of a field."""
    shown = permissions.visible_fields(principal, collection, {**record, name: value})
    return shown.get(name, _ABSENT)


def _visible_entry(
    principal: Principal, collection: str, record: dict[str, Any], e: dict[str, Any]
) -> dict[str, Any] | None:
    name = e["field"].split("#", 1)[0]
    if name in permissions.private_fields(collection):
        return None  # not even "changed"
    old = _visible_value(principal, collection, record, name, e["old"])
    new = _visible_value(principal, collection, record, name, e["new"])
    if old is _ABSENT or new is _ABSENT:
        return None
    return {
        "at": iso(e["at"]),
        "version": e["version"],
        "field": e["field"],
        "old": old,
        "new": new,
        "user_id": str(e["user_id"]) if e["user_id"] else None,
        "device_id": str(e["device_id"]) if e["device_id"] else None,
        "mutation_id": str(e["mutation_id"]) if e["mutation_id"] else None,
    }
