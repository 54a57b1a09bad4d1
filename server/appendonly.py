"""Append-only tables: the database itself refuses UPDATE and DELETE of their rows.

Money and points ledgers must never lose or change an entry, whatever code runs against them
(a bug, a hand-written SQL session).  A trigger on each engine raises on UPDATE and DELETE; a
correction is a new, reversing entry.  Migrations call `protect(table)`.
"""

from __future__ import annotations

from piccolo.engine import engine_finder

APPEND_ONLY_MESSAGE = "append-only table: entries are never updated or deleted"


def statements(table: str, engine_type: str) -> list[str]:
    """The DDL that makes `table` append-only on this engine ("postgres" or "sqlite")."""
    if engine_type == "sqlite":
        return [
            f"CREATE TRIGGER IF NOT EXISTS {table}_no_{verb.lower()} BEFORE {verb} ON {table}"
            f" BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END"
            for verb in ("UPDATE", "DELETE")
        ]
    return [
        "CREATE OR REPLACE FUNCTION doorstep_refuse_change() RETURNS trigger AS $$"
        f" BEGIN RAISE EXCEPTION '{APPEND_ONLY_MESSAGE} (%)', TG_TABLE_NAME"
        " USING ERRCODE = 'restrict_violation'; END $$ LANGUAGE plpgsql",
        f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}",
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}"
        " FOR EACH ROW EXECUTE FUNCTION doorstep_refuse_change()",
        # TRUNCATE bypasses row triggers; refuse it too
        f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}",
        f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}"
        " FOR EACH STATEMENT EXECUTE FUNCTION doorstep_refuse_change()",
    ]


async def run_ddl(*sql: str) -> None:
    """Run DDL statements on the migration's engine (inside its transaction)."""
    engine = engine_finder()
    assert engine is not None
    for statement in sql:
        await engine.run_ddl(statement)


async def protect(*tables: str) -> None:
    engine = engine_finder()
    assert engine is not None
    for table in tables:
        await run_ddl(*statements(table, engine.engine_type))
