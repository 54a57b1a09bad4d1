"""Shared by the benchmarks: a throw-away PostgreSQL database and a `doorstep serve` subprocess.

Everything is loopback only and cleaned up on exit (the database is dropped, the server's process
group is killed), so each benchmark is one command from a fresh clone.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BIN = ROOT / ".venv" / "bin"

from tests.process_group import stop_group  # noqa: E402 - after the repo is on the path

PG_SERVER = os.environ.get("DOORSTEP_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432")
PASSWORD = "doorstep-demo"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return f"{os.cpu_count()} CPUs ({cpu}), Python {platform.python_version()}, {platform.system()}"


def doorstep_env(database_url: str, data_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("DOORSTEP_SECRET_KEY", "bench-secret-" + "k" * 40)
    env.setdefault("DOORSTEP_VAPID_SUBJECT", "mailto:bench@doorstep.invalid")
    if "DOORSTEP_VAPID_PRIVATE_KEY" not in env:
        sys.path.insert(0, str(ROOT))
        from server.cli import generate_vapid_keys

        env["DOORSTEP_VAPID_PRIVATE_KEY"] = generate_vapid_keys()[0]
    env["DOORSTEP_DATABASE_URL"] = database_url
    env["DOORSTEP_DATA_DIR"] = str(data_dir)
    env.pop("DOORSTEP_REDIS_URL", None)
    return env


@contextlib.asynccontextmanager
async def pg_database() -> AsyncIterator[str]:
    """A fresh database, dropped afterwards; yields its URL."""
    name = f"doorstep_bench_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(f"{PG_SERVER}/postgres")
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield f"{PG_SERVER}/{name}"
    finally:
        admin = await asyncpg.connect(f"{PG_SERVER}/postgres")
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


class Server:
    """`doorstep serve` in its own process group."""

    def __init__(self, env: dict[str, str], workers: int = 2) -> None:
        self.env = env
        self.workers = workers
        #: more `doorstep serve` options (bench/overload.py: --limit-concurrency, --backlog)
        self.extra_args: list[str] = []
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = Path(env["DOORSTEP_DATA_DIR"]) / "server.log"

    def run_cli(self, *args: str) -> None:
        subprocess.run(
            [str(BIN / "doorstep"), *args], env=self.env, check=True, stdout=subprocess.DEVNULL
        )

    def start(self, migrate: bool = True) -> None:
        args = [
            str(BIN / "doorstep"),
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--workers",
            str(self.workers),
        ]
        if migrate:
            args.append("--migrate")
        args += self.extra_args
        log = open(self.log_path, "ab")  # noqa: SIM115 - kept open by the child
        self.proc = subprocess.Popen(
            args, env=self.env, start_new_session=True, stdout=log, stderr=log
        )
        log.close()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"doorstep serve exited with {self.proc.returncode}:\n"
                    + self.log_path.read_text(errors="replace")[-3000:]
                )
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/health/live", timeout=1).status_code == 200:
                    return
            time.sleep(0.1)
        raise RuntimeError("doorstep serve did not start within 30 s")

    def stop(self) -> None:
        if self.proc is None:
            return
        stop_group(self.proc)
        self.proc = None


@contextlib.contextmanager
def data_dir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="doorstep-bench-") as d:
        yield Path(d)


async def login(client: httpx.AsyncClient, username: str) -> dict[str, Any]:
    response = await client.post(
        "/api/auth/login",
        json={"username": username, "password": PASSWORD, "device_name": f"bench {username}"},
    )
    response.raise_for_status()
    body: dict[str, Any] = response.json()
    return body


async def caught_up(client: httpx.AsyncClient, username: str) -> tuple[dict[str, str], str]:
    """A new device of `username`: its auth headers and the cursor its first sync ends at."""
    body = await login(client, username)
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    cursor = None
    while True:
        params = {"limit": 1000, **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/api/sync/pull", params=params, headers=headers)).json()
        cursor = page["cursor"]
        if not page["has_more"]:
            return headers, str(cursor)


def hlc(device_id: str, counter: int) -> str:
    return f"{int(time.time() * 1000):013d}-{counter % 0xFFFF:04x}-{device_id}"


def run(main: Any) -> None:
    asyncio.run(main())
