"""What a pull sends of a stored record: the record path (rows → engine records → wire dicts).

The portable scan (server/replication/backends/sqlite.py) and the evictions of a reset pull
read records this way; PostgreSQL's scan builds the same wire dicts straight from asyncpg
(server/replication/pullfast.py), and a test holds the two to the same bytes.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from server import permissions
from server.accounts.principal import Principal
from server.org.tree import OrgTree
from server.replication.backends.base import Backend
from server.replication.rows import derived_columns_of, row_to_record, table_of, wire_fields
from sync.model import Record

Loaded = tuple[Record, dict[str, Any]]


async def load_feed_records(
    backend: Backend, entries: list[dict[str, Any]]
) -> dict[tuple[str, str], Loaded]:
    """The records of these feed entries, each with its derived scope columns."""
    by_collection: dict[str, list[UUID]] = {}
    for entry in entries:
        by_collection.setdefault(entry["collection"], []).append(entry["record_id"])
    out: dict[tuple[str, str], Loaded] = {}
    for collection, ids in by_collection.items():
        table = table_of(collection)
        if table is None:
            continue
        rows = await backend.rows_by_id(table, ids)
        derived_names = derived_columns_of(collection)
        for row in rows:
            record = row_to_record(collection, row)
            derived: dict[str, Any] = {
                k: (str(row[k]) if row.get(k) else None) for k in derived_names if k in row
            }
            out[(collection, record.id)] = (record, derived)
    return out


def visible_change(principal: Principal, tree: OrgTree, loaded: Loaded) -> dict[str, Any] | None:
    """The change a pull sends for this record, or None when the reader may not see it."""
    record, derived = loaded
    as_dict = {**record.fields, "id": record.id, "created_by": record.created_by, **derived}
    if not permissions.can_read(principal, tree, record.collection, as_dict):
        return None
    fields = wire_fields(record)
    if record.deleted:
        fields = {k: fields[k] for k in ("id", "version", "created_at", "updated_at", "created_by")}
    return {
        "collection": record.collection,
        "record_id": record.id,
        "version": record.version,
        "deleted": record.deleted,
        "fields": dict(permissions.visible_fields(principal, record.collection, fields)),
    }
