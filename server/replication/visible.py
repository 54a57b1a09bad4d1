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


#: the wire fields a tombstone keeps
COMMON_FIELDS = ("id", "version", "created_at", "updated_at", "created_by")


class Evict:
    """`device_change`'s answer for a record the reader may read but their device may not
    hold (COMMAND_API.md "Supervisors' devices hold less"): an incremental pull lists it in
    `evict`, since the device may hold an earlier copy (a dispute since lowered to blue)."""


EVICT = Evict()
Held = dict[str, Any] | Evict | None


def device_change(
    principal: Principal,
    tree: OrgTree,
    collection: str,
    fields: dict[str, Any],
    deleted: bool,
    as_dict: Any,
) -> Held:
    """What a pull sends for one stored record: its change, `EVICT`, or None when the reader
    may not read it at all.  Both scans ask this (`pullfast` with its own wire dicts), and the
    evictions of a reset pull too: one decision for every copy a device receives."""
    if not permissions.can_read(principal, tree, collection, as_dict):
        return None
    visible = permissions.visible_fields(principal, collection, fields)
    held = permissions.device_copy(principal, collection, visible)
    if held is None:
        return EVICT
    if deleted:
        held = {k: held[k] for k in COMMON_FIELDS if k in held}
    return {
        "collection": collection,
        "record_id": fields["id"],
        "version": fields["version"],
        "deleted": deleted,
        "fields": held if isinstance(held, dict) else dict(held),
    }


def visible_change(principal: Principal, tree: OrgTree, loaded: Loaded) -> Held:
    """What a pull sends for this engine record (see `device_change`)."""
    record, derived = loaded
    as_dict = {**record.fields, "id": record.id, "created_by": record.created_by, **derived}
    return device_change(
        principal, tree, record.collection, wire_fields(record), record.deleted, as_dict
    )
