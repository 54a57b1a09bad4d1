"""Database lifecycle: migrations, connection pools, transactions that serialise writers."""

from __future__ import annotations

import contextlib
import io
from collections.abc import AsyncIterator, Awaitable, Callable

from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType

from server.settings import get_settings


def engine() -> Engine:  # type: ignore[type-arg]
    from server.piccolo_conf import DB

    return DB


async def migrate(quiet: bool = True) -> None:
    """Apply every app's pending migrations (the same files serve SQLite and PostgreSQL)."""
    from piccolo.apps.migrations.commands.forwards import run_forwards

    db = engine()
    if isinstance(db, SQLiteEngine):
        # WAL lets readers (pulls) proceed while a push writes.
        await db._run_in_new_connection("PRAGMA journal_mode=WAL")
    out = io.StringIO()
    async with _migration_lock():
        with contextlib.redirect_stdout(out) if quiet else contextlib.nullcontext():
            result = await run_forwards("all")
    if not result.success:
        raise RuntimeError(f"migrations failed: {result.message}\n{out.getvalue()}")
    # The feed counter's row is written by a replication migration (not here: the database
    # layer must not depend on the feed built on it).


@contextlib.asynccontextmanager
async def _migration_lock() -> AsyncIterator[None]:
    """Several app servers start at once in production: one migrates, the others wait."""
    settings = get_settings()
    if settings.is_sqlite:
        yield
        return
    import asyncpg

    conn = await asyncpg.connect(settings.database_url.replace("postgresql+asyncpg", "postgresql"))
    try:
        await conn.execute("SELECT pg_advisory_lock(724001)")
        yield
    finally:
        await conn.close()  # ends the session, which releases the lock


def _pooled_connection_class() -> type:
    import asyncpg

    class PooledConnection(asyncpg.Connection):  # type: ignore[misc]
        """A pool connection released without asyncpg's reset query (`RESET ALL; UNLISTEN *;
        CLOSE ALL; pg_advisory_unlock_all()`): one more round trip per query, 8 % of a busy
        server's time in a profile, for session state this app never leaves behind (settings
        are `SET LOCAL`, cursors end with their transaction, nothing LISTENs, and the
        migration lock has its own connection).  Open transactions are still rolled back."""

        def get_reset_query(self) -> str:
            return ""

    return PooledConnection


async def start_pool() -> None:
    db = engine()
    if isinstance(db, PostgresEngine):
        await db.start_connection_pool(
            min_size=2, max_size=10, connection_class=_pooled_connection_class()
        )


async def close_pool() -> None:
    db = engine()
    if isinstance(db, PostgresEngine):
        await db.close_connection_pool()


#: coroutines run after a write transaction commits (the outermost one; not after a rollback):
#: the sync feed heads learn that the feed may have moved (server/replication/heads.py)
after_commit: list[Callable[[], Awaitable[None]]] = []


@contextlib.asynccontextmanager
async def write_transaction() -> AsyncIterator[None]:
    """A transaction for writes.  On SQLite it takes the write lock up front (IMMEDIATE) so two
    writers never deadlock upgrading read locks; PostgreSQL needs nothing special."""
    db = engine()
    outermost = db.current_transaction.get() is None
    if isinstance(db, SQLiteEngine):
        transaction = db.transaction(transaction_type=TransactionType.immediate)
    else:
        transaction = db.transaction()
    async with transaction:
        yield
    if outermost:
        for hook in after_commit:
            await hook()


@contextlib.asynccontextmanager
async def in_transaction() -> AsyncIterator[None]:
    async with write_transaction():
        yield
