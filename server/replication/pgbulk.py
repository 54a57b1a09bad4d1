"""Raw asyncpg for the sync hot paths on PostgreSQL (docs/performance.md).

Building one Piccolo object per row and compiling its query string cost more than the database
work for a batch of 100 mutations, so the push flush and the preload go straight to the
connection of the current Piccolo transaction: one `INSERT ... SELECT FROM unnest(...)` per table
(one round trip, whatever the row count) and `= ANY($1)` lookups.  SQLite keeps the Piccolo
queries; both paths write the same rows.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from piccolo.columns import JSON, UUID, BigInt, Boolean, Column, Integer, Timestamptz
from piccolo.engine.postgres import PostgresEngine
from piccolo.table import Table

from server.db import engine

_SQL_CACHE: dict[tuple[Any, ...], str] = {}
_JSON_COLUMNS: dict[type[Table], tuple[str, ...]] = {}


def connection() -> Any | None:
    """The asyncpg connection of the current PostgreSQL transaction, or None (SQLite, or no
    transaction)."""
    db = engine()
    if not isinstance(db, PostgresEngine):
        return None
    transaction = db.current_transaction.get()
    return transaction.connection if transaction is not None else None


def pg_type(column: Column) -> str:
    if isinstance(column, UUID):
        return "uuid"
    if isinstance(column, BigInt):
        return "int8"
    if isinstance(column, Boolean):
        return "bool"
    if isinstance(column, Integer):
        return "int4"
    if isinstance(column, Timestamptz):
        return "timestamptz"
    return "text"  # Varchar, Text and JSON (JSON is sent as text and cast)


def _column(table: type[Table], name: str) -> Column:
    return table._meta.get_column_by_name(name)


def insert_sql(
    table: type[Table],
    columns: Sequence[str],
    conflict: str | None = None,
    update: Sequence[str] | None = None,
) -> str:
    """`INSERT INTO t (cols) SELECT ... FROM unnest($1::type[], ...)` with an optional
    `ON CONFLICT (conflict) DO UPDATE SET update...` (or DO NOTHING when update is empty)."""
    cache_key = (table, tuple(columns), conflict, tuple(update) if update is not None else None)
    sql = _SQL_CACHE.get(cache_key)
    if sql is not None:
        return sql
    cols = [_column(table, name) for name in columns]
    quoted = ", ".join(f'"{name}"' for name in columns)
    selects = ", ".join(
        f'"{c._meta.db_column_name}"::json'
        if isinstance(c, JSON)
        else f'"{c._meta.db_column_name}"'
        for c in cols
    )
    arrays = ", ".join(f"${i}::{pg_type(c)}[]" for i, c in enumerate(cols, start=1))
    sql = (
        f'INSERT INTO "{table._meta.tablename}" ({quoted}) SELECT {selects} '
        f"FROM unnest({arrays}) AS u({quoted})"
    )
    if conflict is not None:
        if update:
            sets = ", ".join(f'"{name}" = EXCLUDED."{name}"' for name in update)
            sql += f' ON CONFLICT ("{conflict}") DO UPDATE SET {sets}'
        else:
            sql += f' ON CONFLICT ("{conflict}") DO NOTHING'
    _SQL_CACHE[cache_key] = sql
    return sql


async def insert_rows(
    conn: Any,
    table: type[Table],
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    conflict: str | None = None,
    update: Sequence[str] | None = None,
    returning: str = "",
) -> list[Any]:
    """Insert `rows` (tuples in `columns` order) in one statement."""
    if not rows:
        return []
    sql = insert_sql(table, columns, conflict, update) + returning
    arrays = [list(col) for col in zip(*rows, strict=True)]
    if returning:
        return list(await conn.fetch(sql, *arrays))
    await conn.execute(sql, *arrays)
    return []


async def fetch_by_ids(
    conn: Any, table: type[Table], ids: Sequence[Any], *, lock: bool = False
) -> list[dict[str, Any]]:
    """Whole rows by primary key as dicts, JSON columns parsed (like Piccolo's
    `.output(load_json=True)`); `lock` takes the rows FOR UPDATE in id order."""
    if not ids:
        return []
    sql = f'SELECT * FROM "{table._meta.tablename}" WHERE "id" = ANY($1::uuid[])'
    if lock:
        sql += ' ORDER BY "id" FOR UPDATE'
    json_columns = _json_columns(table)
    out = []
    for record in await conn.fetch(sql, list(ids)):
        row = dict(record)
        for name in json_columns:
            value = row.get(name)
            if isinstance(value, str):
                row[name] = json.loads(value)
        out.append(row)
    return out


def _json_columns(table: type[Table]) -> tuple[str, ...]:
    cached = _JSON_COLUMNS.get(table)
    if cached is None:
        cached = tuple(c._meta.db_column_name for c in table._meta.columns if isinstance(c, JSON))
        _JSON_COLUMNS[table] = cached
    return cached
