"""SQL the figures share, written once for both engines.

The figures are plain SQL through Piccolo's engine (`{}` placeholders; Piccolo numbers them
for asyncpg or turns them into `?` for SQLite).  Where the engines differ this module says it
once: a list of ids (`= ANY(array)` on PostgreSQL, an expanded `IN (...)` on SQLite), a
duration in hours (`EXTRACT(EPOCH ...)` vs `julianday`), and a median (`percentile_cont` on
PostgreSQL; on SQLite the middle row(s) by `ROW_NUMBER()`, SQLite has no percentile).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from piccolo.engine.postgres import PostgresEngine
from piccolo.querystring import QueryString

from server.db import engine


def is_postgres() -> bool:
    return isinstance(engine(), PostgresEngine)


def side_by_side() -> bool:
    """May independent figure queries run concurrently, each on its own pooled connection?
    On PostgreSQL outside a transaction (inside one they would share its connection); not on
    SQLite (one file)."""
    db = engine()
    return isinstance(db, PostgresEngine) and db.current_transaction.get() is None


async def fetch(sql: str, *args: Any) -> list[dict[str, Any]]:
    """Rows of one query as dicts (`{}` placeholders)."""
    rows: list[dict[str, Any]] = await engine().run_querystring(QueryString(sql, *args))
    return rows or []


#: memory a big figure query may use for its hashes and sorts before spilling to disk (the
#: default 4 MB spills a district month's per-dispute aggregates; docs/performance.md)
BIG_QUERY_WORK_MEM = "64MB"


async def fetch_big(sql: str, *args: Any) -> list[dict[str, Any]]:
    """`fetch` for a query over a whole district month: on PostgreSQL in a read-only
    transaction with a larger `work_mem`, set for that transaction only."""
    db = engine()
    if not isinstance(db, PostgresEngine):
        return await fetch(sql, *args)
    async with db.transaction():
        await db.run_querystring(QueryString(f"SET LOCAL work_mem = '{BIG_QUERY_WORK_MEM}'"))
        rows = await fetch(sql, *args)
    return rows


def among(column: str, ids: Sequence[UUID]) -> tuple[str, list[Any]]:
    """`column` is one of `ids`: the SQL and its arguments."""
    if not ids:
        return "1 = 0", []
    if is_postgres():
        return f"{column} = ANY({{}}::uuid[])", [list(ids)]
    return f"{column} IN ({', '.join('{}' for _ in ids)})", [str(i) for i in ids]


def hours(later: str, earlier: str) -> str:
    """The hours from timestamp `earlier` to `later` (SQL expressions), as a real number."""
    if is_postgres():
        return f"(EXTRACT(EPOCH FROM ({later}) - ({earlier}))::float8 / 3600.0)"
    return f"((julianday({later}) - julianday({earlier})) * 24.0)"


def timestamp(text: str) -> str:
    """An RFC 3339 text (a JSON member) as a timestamp comparable with a column."""
    if is_postgres():
        return f"({text})::timestamptz"
    return f"julianday({text})"


def comparable(column: str) -> str:
    """A timestamp column as `timestamp()` compares (SQLite keeps them as text)."""
    return column if is_postgres() else f"julianday({column})"


def json_text(column: str, member: str) -> str:
    """The text of a top-level member of a JSON column."""
    if is_postgres():
        return f"({column}::json ->> '{member}')"
    return f"json_extract({column}, '$.{member}')"


def median_sql(values_sql: str, group: str | None = None) -> str:
    """`SELECT [group,] median FROM (values_sql)`: the median of column `v` of a subquery,
    per `group` column when given (NULLs of `v` are left out; no rows: no median)."""
    keys = f"{group}, " if group else ""
    by = f"GROUP BY {group}" if group else ""
    if is_postgres():
        return (
            f"SELECT {keys}percentile_cont(0.5) WITHIN GROUP (ORDER BY v) AS median "
            f"FROM ({values_sql}) AS vals WHERE v IS NOT NULL {by}"
        )
    part = f"PARTITION BY {group} " if group else ""
    return (
        f"SELECT {keys}AVG(v) AS median FROM ("
        f"SELECT {keys}v, ROW_NUMBER() OVER ({part}ORDER BY v) AS rn, "
        f"COUNT(*) OVER ({part.strip()}) AS n "
        f"FROM ({values_sql}) AS vals WHERE v IS NOT NULL) AS ranked "
        f"WHERE rn IN ((n + 1) / 2, (n + 2) / 2) {by}"
    )


def rate(part: int, whole: int) -> float | None:
    """`part / whole` in [0, 1], or None when there is nothing to divide by."""
    return part / whole if whole else None
