"""Reading a whole record online, and who read personal data (COMMAND_API.md "Supervisors'
devices hold less").

Supervisors' devices hold a minimised copy of their subtree; the whole record is read here,
online, with the same checks as a pull (`permissions.can_read`, private fields absent) and
without the device reduction.  Every answer that holds personal data (a schema field marked
`personal` with a value: a dispute's parties, a consultation's client) is written to the access
log in the same transaction before the record leaves the server: no log, no answer.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from server import permissions, specs
from server.access.tables import AccessLogEntry
from server.accounts.principal import Principal
from server.db import write_transaction
from server.http.errors import ApiError
from server.org.tree import OrgTree, load_tree
from server.replication.backends.current import backend
from server.replication.rows import iso, wire_fields
from server.replication.visible import COMMON_FIELDS, load_feed_records

#: most entries one access-log answer lists
MAX_ENTRIES = 1000


def personal_fields(collection: str) -> frozenset[str]:
    spec = specs.find(collection)
    if spec is None:
        return frozenset()
    return frozenset(name for name, f in spec.schema.fields.items() if f.personal)


def _known(collection: str) -> specs.CollectionSpec:
    spec = specs.find(collection)
    if spec is None:
        raise ApiError(
            404,
            "not_found",
            f"没有这类记录 (no collection named {collection!r})",
            {"field": "collection"},
        )
    return spec


async def _load(
    principal: Principal, tree: OrgTree, collection: str, record_id: UUID
) -> tuple[Any, dict[str, Any]]:
    """The stored record and its permission dict; 404 when absent, 403 outside scope."""
    loaded = (
        await load_feed_records(backend(), [{"collection": collection, "record_id": record_id}])
    ).get((collection, str(record_id)))
    if loaded is None:
        raise ApiError(404, "not_found", "记录不存在 (no such record)")
    record, derived = loaded
    as_dict = {**record.fields, "id": record.id, "created_by": record.created_by, **derived}
    if not permissions.can_read(principal, tree, collection, as_dict):
        raise ApiError(403, "forbidden", "该记录不在您的范围内 (this record is outside your scope)")
    return record, as_dict


async def read_record(principal: Principal, collection: str, record_id: UUID) -> dict[str, Any]:
    """The whole record as this user may read it, shaped like a pull's change."""
    _known(collection)
    tree = await load_tree()
    record, as_dict = await _load(principal, tree, collection, record_id)
    fields = dict(permissions.visible_fields(principal, collection, wire_fields(record)))
    if record.deleted:
        fields = {k: fields[k] for k in COMMON_FIELDS if k in fields}
    disclosed = sorted(
        name for name in personal_fields(collection) if fields.get(name) not in (None, "", [])
    )
    if disclosed:
        scope, _owner = permissions.record_scope(collection, as_dict)
        async with write_transaction():
            await AccessLogEntry.insert(
                AccessLogEntry(
                    at=datetime.now(UTC),
                    user_id=principal.user_id,
                    device_id=principal.device_id,
                    role=principal.role,
                    collection=collection,
                    record_id=record_id,
                    fields=json.dumps(disclosed),
                    scope_org_id=permissions.as_uuid(scope),
                )
            )
    return {
        "collection": collection,
        "record_id": record.id,
        "version": record.version,
        "deleted": record.deleted,
        "fields": fields,
    }


async def access_log(
    principal: Principal, record_id: UUID | None, limit: int
) -> list[dict[str, Any]]:
    """Who read personal data, newest first: of one record the admin may read, or of every
    record scoped inside the admin's subtree."""
    if principal.role not in permissions.ADMIN_ROLES:
        raise ApiError(
            403, "forbidden", "只有管理员可以查看访问记录 (only admins read the access log)"
        )
    tree = await load_tree()
    query = AccessLogEntry.select().order_by(AccessLogEntry.at, ascending=False).limit(limit)
    if record_id is not None:
        rows = await AccessLogEntry.select(AccessLogEntry.collection).where(
            AccessLogEntry.record_id == record_id
        )
        for collection in {r["collection"] for r in rows}:
            await _load(principal, tree, collection, record_id)  # 403 outside scope
        query = query.where(AccessLogEntry.record_id == record_id)
    else:
        root = permissions.scope_root(principal, tree)
        units = [u for u in tree.units if tree.is_within(u, root)]
        query = query.where(AccessLogEntry.scope_org_id.is_in(units or [root or record_id]))
    entries = await query.output(load_json=True)
    return [
        {
            "at": iso(e["at"]),
            "user_id": str(e["user_id"]),
            "device_id": str(e["device_id"]) if e["device_id"] else None,
            "role": e["role"],
            "collection": e["collection"],
            "record_id": str(e["record_id"]),
            "fields": e["fields"],
        }
        for e in entries
    ]
