"""The backend of this process, chosen once from Piccolo's engine."""

from __future__ import annotations

from piccolo.engine.postgres import PostgresEngine

from server.db import engine
from server.replication.backends.base import Backend
from server.replication.backends.postgres import PostgresBackend
from server.replication.backends.sqlite import SqliteBackend

_chosen: Backend | None = None


def backend() -> Backend:
    """The PostgreSQL backend on PostgreSQL, the SQLite one otherwise (chosen at first use)."""
    global _chosen
    if _chosen is None:
        _chosen = PostgresBackend() if isinstance(engine(), PostgresEngine) else SqliteBackend()
    return _chosen
