"""Between database rows and the engine's records: one place that knows both shapes.

Rows have typed columns (timestamps, UUIDs, JSON); the engine sees JSON values (RFC 3339 UTC
strings with milliseconds, ids as strings).  `field_meta` holds each field's [version, hlc].
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from piccolo.table import Table

from server import specs
from sync.model import Record
from sync.schema import COMMON_FIELD_NAMES, Collection
from sync.times import parse_rfc3339


def table_of(collection: str) -> type[Table] | None:
    """The table of a registered collection (None for an unknown name)."""
    spec = specs.find(collection)
    return spec.table if spec is not None else None


def derived_columns_of(collection: str) -> tuple[str, ...]:
    """The server-derived scope columns of a collection: stored, never sent to devices."""
    spec = specs.find(collection)
    return spec.derived_columns if spec is not None else ()


JSON_TYPES = frozenset({"list", "geo", "object", "any"})


def iso(value: datetime | None) -> str | None:
    """A timestamp as the wire has it: `YYYY-MM-DDTHH:MM:SS.sssZ`."""
    if value is None:
        return None
    moment = value if value.tzinfo else value.replace(tzinfo=UTC)
    m = moment.astimezone(UTC)
    # f-string, not strftime: this runs for every timestamp of every pulled record
    return (
        f"{m.year:04d}-{m.month:02d}-{m.day:02d}T{m.hour:02d}:{m.minute:02d}:{m.second:02d}."
        f"{m.microsecond // 1000:03d}Z"
    )


def server_time() -> str:
    """The `server_time` of a push or pull answer: now, as the wire spells times."""
    return iso(datetime.now(UTC)) or ""


def _from_db(kind: str, value: Any) -> Any:
    if value is None:
        return None
    if kind == "datetime":
        return iso(value) if isinstance(value, datetime) else value
    if kind == "ref":
        return str(value)
    # JSON columns arrive parsed: every query here reads with `.output(load_json=True)`.
    return value


def _to_db(kind: str, value: Any) -> Any:
    if value is None:
        return None
    if kind == "datetime":
        return parse_rfc3339(value) if isinstance(value, str) else value
    if kind == "ref":
        return UUID(str(value)) if not isinstance(value, UUID) else value
    if kind in JSON_TYPES:
        return json.dumps(value, ensure_ascii=False)
    return value


def data_fields(coll: Collection) -> list[str]:
    cached = _DATA_FIELDS.get(coll.name)
    if cached is None:
        cached = [name for name in coll.fields if name not in COMMON_FIELD_NAMES]
        _DATA_FIELDS[coll.name] = cached
    return cached


_DATA_FIELDS: dict[str, list[str]] = {}


def row_to_record(collection: str, row: dict[str, Any]) -> Record:
    coll = specs.get(collection).schema
    meta = row.get("field_meta") or {}
    if isinstance(meta, str):
        meta = json.loads(meta)
    fields: dict[str, Any] = {}
    for name in data_fields(coll):
        value = _from_db(coll.fields[name].type, row.get(name))
        if value is not None or name in meta:
            fields[name] = value
    return Record(
        collection=collection,
        id=str(row["id"]),
        version=int(row["version"]),
        deleted=bool(row["deleted"]),
        fields=fields,
        field_versions={k: int(v[0]) for k, v in meta.items()},
        field_clocks={k: str(v[1]) for k, v in meta.items()},
        created_at=iso(row.get("created_at")),
        updated_at=iso(row.get("updated_at")),
        created_by=str(row["created_by"]) if row.get("created_by") else None,
    )


def record_to_row(record: Record, derived: dict[str, Any] | None = None) -> dict[str, Any]:
    """Column values for an insert or update of this record."""
    coll = specs.get(record.collection).schema
    meta = {
        name: [version, record.field_clocks.get(name, "")]
        for name, version in record.field_versions.items()
    }
    row: dict[str, Any] = {
        "id": UUID(record.id),
        "version": record.version,
        "deleted": record.deleted,
        "created_at": parse_rfc3339(record.created_at) if record.created_at else None,
        "updated_at": parse_rfc3339(record.updated_at) if record.updated_at else None,
        "created_by": UUID(record.created_by) if record.created_by else None,
        "field_meta": json.dumps(meta),
    }
    for name in data_fields(coll):
        row[name] = _to_db(coll.fields[name].type, record.fields.get(name))
    for name, value in (derived or {}).items():
        row[name] = UUID(str(value)) if value is not None else None
    return row


def wire_fields(record: Record) -> dict[str, Any]:
    """The whole record as a pull sends it (before the reader's field filter)."""
    out: dict[str, Any] = {
        "id": record.id,
        "version": record.version,
        "created_at": record.created_at,
        "updated_at": record.updated_at,
        "created_by": record.created_by,
    }
    out.update(record.fields)
    return out
