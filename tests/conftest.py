"""Test configuration shared by the whole suite.

The database is chosen from the environment, so the same tests run on both engines:
  DOORSTEP_TEST_DB=sqlite    (default) a fresh SQLite file in a temporary directory
  DOORSTEP_TEST_DB=postgres  a fresh PostgreSQL database on 127.0.0.1:5432, dropped afterwards
                             (DOORSTEP_TEST_PG_URL overrides the server URL)
Redis is the real one on 127.0.0.1:6379 (DOORSTEP_TEST_REDIS_URL overrides).
Passwords are hashed with argon2's cheapest parameters (DOORSTEP_ARGON2_PROFILE=test): the suite
logs in hundreds of times and measures nothing about hashing; production keeps the strong default.
Tests that draw random numbers seed them from DOORSTEP_TEST_SEED (fixed by default, printed in the
report header), so a failure replays with the same seed.

Environment variables are set here, before anything imports `server`, because Piccolo binds
its engine when tables are first used.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

TEST_DB = os.environ.get("DOORSTEP_TEST_DB", "sqlite")
PG_SERVER_URL = os.environ.get("DOORSTEP_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432")
REDIS_URL = os.environ.get("DOORSTEP_TEST_REDIS_URL", "redis://127.0.0.1:6379")
TEST_SEED = int(os.environ.get("DOORSTEP_TEST_SEED", "20261203"))

# In memory when the machine has a tmpfs: a test database needs no fsync (a crash test kills
# processes, not the machine), and fsyncs queue behind every other disk writer on a shared box.
_TMP = os.environ.get("DOORSTEP_TEST_TMP") or (
    "/dev/shm" if os.access("/dev/shm", os.W_OK) else None
)
_DATA_DIR = Path(tempfile.mkdtemp(prefix="doorstep-test-", dir=_TMP))
_PG_DB_NAME = f"doorstep_test_{uuid.uuid4().hex[:10]}"


def _admin_pg(sql: str) -> None:
    import asyncpg

    async def run() -> None:
        conn = await asyncpg.connect(f"{PG_SERVER_URL}/postgres")
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(run())


def _configure_environment() -> None:
    os.environ["DOORSTEP_DATA_DIR"] = str(_DATA_DIR)
    os.environ["DOORSTEP_SECRET_KEY"] = "test-secret-key-" + "x" * 40
    os.environ.setdefault("DOORSTEP_ARGON2_PROFILE", "test")
    # Tests fire in-process bursts to test other limits (logins, pushes); the load shedder has
    # its own tests with a small bound (tests/server/http/test_overload.py).
    os.environ.setdefault("DOORSTEP_MAX_IN_FLIGHT", "1000")
    os.environ.setdefault("DOORSTEP_VAPID_SUBJECT", "mailto:tests@doorstep.invalid")
    if "DOORSTEP_VAPID_PRIVATE_KEY" not in os.environ:
        from server.cli import generate_vapid_keys

        os.environ["DOORSTEP_VAPID_PRIVATE_KEY"] = generate_vapid_keys()[0]
    os.environ.pop("DOORSTEP_REDIS_URL", None)
    if TEST_DB == "postgres":
        _admin_pg(f'CREATE DATABASE "{_PG_DB_NAME}"')
        os.environ["DOORSTEP_DATABASE_URL"] = f"{PG_SERVER_URL}/{_PG_DB_NAME}"
    elif TEST_DB == "sqlite":
        os.environ["DOORSTEP_DATABASE_URL"] = f"sqlite:///{_DATA_DIR / 'test.sqlite3'}"
    else:
        raise pytest.UsageError("DOORSTEP_TEST_DB must be sqlite or postgres")


_configure_environment()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    shutil.rmtree(_DATA_DIR, ignore_errors=True)
    if TEST_DB == "postgres":
        # cleanup must not mask the result
        with contextlib.suppress(Exception):
            _admin_pg(f'DROP DATABASE IF EXISTS "{_PG_DB_NAME}" WITH (FORCE)')


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the browser tests, and leave PostgreSQL-only tests out of the SQLite pass (they are
    deselected, not skipped: the PostgreSQL pass of tests/run.sh runs them)."""
    keep, drop = [], []
    for item in items:
        if "tests/pwa/" in item.nodeid.replace("\\", "/"):
            item.add_marker(pytest.mark.browser)
        if item.get_closest_marker("postgres_only") and TEST_DB != "postgres":
            drop.append(item)
        else:
            keep.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def pytest_report_header(config: pytest.Config) -> list[str]:
    return [
        f"doorstep database: {TEST_DB} ({os.environ['DOORSTEP_DATABASE_URL']})",
        f"doorstep random seed: {TEST_SEED} (DOORSTEP_TEST_SEED={TEST_SEED} replays it)",
        f"doorstep argon2 profile: {os.environ['DOORSTEP_ARGON2_PROFILE']}",
    ]


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return _DATA_DIR


@pytest.fixture(scope="session")
async def database() -> AsyncIterator[None]:
    """Migrated and seeded with the demo org tree and users, once per session."""
    from server.db import close_pool, migrate, start_pool
    from server.org.importer import DEMO_FILE, import_file

    await migrate()
    await start_pool()
    await import_file(DEMO_FILE)
    yield
    await close_pool()


@pytest.fixture(scope="session")
async def app(database: None) -> Any:
    from server.app import create_app

    return create_app()


@pytest.fixture(scope="session")
async def client(app: Any) -> AsyncIterator[Any]:
    """HTTP to the app in this event loop (the database pool belongs to this loop)."""
    import httpx

    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver.local") as c:
        yield c


@pytest.fixture(autouse=True)
async def _clear_login_throttle(request: pytest.FixtureRequest) -> AsyncIterator[None]:
    """Failed logins of one test must not lock the next test out."""
    yield
    if "database" in request.fixturenames:
        from server.accounts.tables import LoginThrottle

        await LoginThrottle.delete(force=True)


@pytest.fixture
def redis_url() -> str:
    return REDIS_URL


@pytest.fixture
def tmp_cwd(tmp_path: Path) -> Iterator[Path]:
    old = os.getcwd()
    os.chdir(tmp_path)
    try:
        yield tmp_path
    finally:
        os.chdir(old)
