"""Writes to the read-only directory (org units, users) made by the server itself: admin
endpoints and `import-org`.  They bump the record's version, feed it to devices and audit it."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from piccolo.table import Table

from server.permissions import feed_keys
from server.replication.backends.base import FeedItem
from server.replication.backends.current import backend
from server.replication.tables import AuditEntry

SERVER_HLC_DEVICE = "server"


def server_hlc(now: datetime) -> str:
    return f"{int(now.timestamp() * 1000):013d}-0000-{SERVER_HLC_DEVICE}"


async def write_directory(
    table: type[Table],
    collection: str,
    record_id: UUID,
    changes: dict[str, Any],
    *,
    actor_id: UUID | None = None,
    device_id: UUID | None = None,
    create: bool = False,
) -> int:
    """Insert or update one directory row with `changes`; returns its new version.
    Call inside a write transaction."""
    now = datetime.now(UTC)
    hlc = server_hlc(now)
    if create:
        version = 1
        old: dict[str, Any] = {}
        meta: dict[str, Any] = {}
    else:
        rows = (
            await table.select().where(table._meta.primary_key == record_id).output(load_json=True)
        )
        if not rows:
            raise LookupError(f"{collection} {record_id} not found")
        old = rows[0]
        version = int(old["version"]) + 1
        meta = dict(old.get("field_meta") or {})
    for name in changes:
        meta[name] = [version, hlc]
    values: dict[str, Any] = {
        **changes,
        "version": version,
        "updated_at": now,
        "field_meta": json.dumps(meta),
    }
    if create:
        await table.insert(
            table(id=record_id, created_at=now, created_by=actor_id, **values)  # type: ignore[call-arg]
        )
    else:
        await table.update(dict(values)).where(  # type: ignore[arg-type]
            table._meta.primary_key == record_id
        )
    await AuditEntry.insert(
        *[
            AuditEntry(
                at=now,
                user_id=actor_id,
                device_id=device_id,
                collection=collection,
                record_id=record_id,
                version=version,
                field=name,
                old=json.dumps(_jsonable(old.get(name))),
                new=json.dumps(_jsonable(value)),
            )
            for name, value in changes.items()
            if name not in ("password_hash",)
        ]
    )
    keys = feed_keys(collection, {**old, **changes, "id": str(record_id)})
    item = FeedItem(collection, record_id, version, False, *keys)
    await backend().publish([item])
    return version


def _jsonable(value: Any) -> Any:
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return value
