"""The pull's row path on PostgreSQL (docs/performance.md): wire dicts straight from asyncpg.

`services._scan` on SQLite turns each row into an engine `Record` (`rows.row_to_record`), then a
permission dict, then `wire_fields`.  Here one query per collection and feed batch selects the
schema's fields already in their wire form (ids as text, timestamps formatted by PostgreSQL
exactly like `rows.iso()`: `YYYY-MM-DDTHH:MM:SS.sssZ`, milliseconds truncated), and each row
becomes its wire dict in one pass: the same keys in the same order, a field present when its
value is non-null or it appears in `field_meta`, as `row_to_record` + `wire_fields` build it.
`permissions.can_read` and `visible_fields` still decide every record.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec
from piccolo.columns import JSON, UUID, Column, Timestamptz
from piccolo.table import Table

from server import specs
from server.accounts.principal import Principal
from server.org.tree import OrgTree
from server.replication.rows import JSON_TYPES, data_fields
from server.replication.visible import Held, device_change

#: PostgreSQL's rendering of `rows.iso()` (to_char's MS truncates, like `microsecond // 1000`)
_ISO = """'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'"""
_COMMON = ("id", "version", "created_at", "updated_at", "created_by")
_decode = msgspec.json.decode
_decode_meta = msgspec.json.Decoder(dict[str, msgspec.Raw] | None).decode
_NO_META: dict[str, Any] = {}


@dataclass(frozen=True)
class Plan:
    """How one collection's rows are read: the SQL and, per selected field, whether it is a
    JSON text to decode."""

    sql: str
    names: tuple[str, ...]
    json: tuple[bool, ...]
    derived: tuple[str, ...]


_PLANS: dict[str, Plan | None] = {}


def _expr(column: Column | None) -> str:
    if column is None:
        return "NULL"
    quoted = f'"{column._meta.db_column_name}"'
    if isinstance(column, Timestamptz):
        return f"to_char({quoted} AT TIME ZONE 'UTC', {_ISO})"
    if isinstance(column, UUID | JSON):
        return f"{quoted}::text"
    return quoted


def plan(collection: str) -> Plan | None:
    if collection in _PLANS:
        return _PLANS[collection]
    spec = specs.find(collection)
    result: Plan | None = None
    if spec is not None:
        table, coll = spec.table, spec.schema
        names = tuple(data_fields(coll))
        common = [_expr(_column(table, n)) for n in _COMMON]
        select = [*common, '"deleted"', '"field_meta"::text']
        json_flags = []
        for name in names:
            column = _column(table, name)
            select.append(_expr(column))
            json_flags.append(column is not None and coll.fields[name].type in JSON_TYPES)
        derived = tuple(name for name in spec.derived_columns if _column(table, name))
        select += [f'"{name}"::text' for name in derived]
        sql = (
            f'SELECT {", ".join(select)} FROM "{table._meta.tablename}" '
            'WHERE "id" = ANY($1::uuid[])'
        )
        result = Plan(sql, names, tuple(json_flags), derived)
    _PLANS[collection] = result
    return result


def _column(table: type[Table], name: str) -> Column | None:
    for column in table._meta.columns:
        if column._meta.name == name:
            return column
    return None


async def fetch_wire(conn: Any, collection: str, ids: list[str]) -> dict[str, Any]:
    """Rows by id, as `{id: (wire fields, deleted, derived)}`."""
    p = plan(collection)
    if p is None or not ids:
        return {}
    fields_of = tuple(zip(p.names, p.json, strict=True))
    derived = p.derived
    first_derived = 7 + len(fields_of)
    out: dict[str, Any] = {}
    for row in await conn.fetch(p.sql, ids):
        fields = {
            "id": row[0],
            "version": row[1],
            "created_at": row[2],
            "updated_at": row[3],
            "created_by": row[4],
        }
        meta_text = row[6]
        # only the keys matter here: the values stay unparsed
        meta = (_decode_meta(meta_text) if meta_text else None) or _NO_META
        for (name, is_json), value in zip(fields_of, row[7:first_derived], strict=True):
            if value is not None:
                if is_json:
                    value = _decode(value)
                    if value is None and name not in meta:
                        continue
                fields[name] = value
            elif name in meta:
                fields[name] = None
        scope = {name: row[first_derived + j] for j, name in enumerate(derived)}
        out[row[0]] = (fields, bool(row[5]), scope)
    return out


def visible_change(
    principal: Principal, tree: OrgTree, collection: str, loaded: tuple[Any, bool, Any]
) -> Held:
    """What a pull sends for this row: the same decision and shape as the portable path
    (`visible.device_change`)."""
    fields, deleted, derived = loaded
    as_dict = {**fields, **derived} if derived else fields
    return device_change(principal, tree, collection, fields, deleted, as_dict)
