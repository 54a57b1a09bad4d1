"""Piccolo's configuration: SQLite by default, PostgreSQL when DOORSTEP_DATABASE_URL says so.

Piccolo finds this module through PICCOLO_CONF (set in `server/__init__.py`), so the `piccolo`
command line and the application always agree on the engine.
"""

from __future__ import annotations

from piccolo.conf.apps import AppRegistry
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine

from server.settings import get_settings


def make_engine() -> Engine:  # type: ignore[type-arg]
    settings = get_settings()
    if settings.is_sqlite:
        settings.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
        # A generous busy timeout: the embedded server, its worker and its deadline checker
        # share one file, and SQLite serialises their writes.
        return SQLiteEngine(path=str(settings.sqlite_path), timeout=30)
    dsn = settings.database_url.replace("postgresql+asyncpg://", "postgresql://")
    return PostgresEngine(config={"dsn": dsn}, log_queries=False)


DB = make_engine()

APP_REGISTRY = AppRegistry(
    apps=[
        "server.org.piccolo_app",
        "server.accounts.piccolo_app",
        "server.records.piccolo_app",
        "server.replication.piccolo_app",
        "server.notify.piccolo_app",
        "server.warnings.piccolo_app",
        "server.dispatch.piccolo_app",
        "server.disputes.piccolo_app",
    ]
)
