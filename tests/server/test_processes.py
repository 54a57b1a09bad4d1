"""The commands people and docker-compose run, as real processes.

- The README's quick-start run command (`doorstep run`) in an empty directory: it migrates,
  loads the demo data, answers /health/ready, and gw.a1 can log in.
- Every `doorstep` command in docker-compose.yml (server, worker, beat) runs as a plain process
  against the local PostgreSQL and Redis, so the compose file cannot silently rot.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.conftest import PG_SERVER_URL, REDIS_URL, _admin_pg

ROOT = Path(__file__).resolve().parents[2]
DOORSTEP = str(Path(sys.executable).with_name("doorstep"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_ready(url: str, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"process exited with {proc.returncode}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"{url} not ready after {timeout}s")


def stop(proc: subprocess.Popen[bytes]) -> str:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    out = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
    return out


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOORSTEP_")}
    env.update(extra)
    return env


def process_env(
    database: str, redis_db: int | str, data_dir: Path, label: str, **extra: str
) -> dict[str, str]:
    """The environment of a real process in production mode (PostgreSQL `database`, Redis db
    `redis_db`), as the compose file gives it, for tests that start `doorstep` commands."""
    from server.cli import generate_vapid_keys

    return clean_env(
        DOORSTEP_DATABASE_URL=f"{PG_SERVER_URL}/{database}",
        DOORSTEP_REDIS_URL=REDIS_URL.rstrip("/") + f"/{redis_db}",
        DOORSTEP_DATA_DIR=str(data_dir),
        DOORSTEP_SECRET_KEY=f"{label}-test-secret-" + "x" * 30,
        DOORSTEP_VAPID_PRIVATE_KEY=generate_vapid_keys()[0],
        DOORSTEP_VAPID_SUBJECT="mailto:ci@doorstep.invalid",
        DOORSTEP_PUBLIC_URL="http://127.0.0.1",
        **extra,
    )


@pytest.mark.slow  # a real `doorstep run` process
def test_quick_start_run_command_serves_the_demo(tmp_path: Path) -> None:
    port = free_port()
    proc = subprocess.Popen(
        [DOORSTEP, "run", "--port", str(port)],
        cwd=tmp_path,
        env=clean_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_ready(f"http://127.0.0.1:{port}/health/ready", proc, timeout=90)
        login = httpx.post(
            f"http://127.0.0.1:{port}/api/auth/login",
            json={"username": "gw.a1", "password": "doorstep-demo", "device_name": "quick start"},
            timeout=10,
        )
        assert login.status_code == 200, login.text
        assert login.json()["user"]["role"] == "grid_worker"
        # without --records the database holds the directory only
        pulled = httpx.get(
            f"http://127.0.0.1:{port}/api/sync/pull",
            params={"limit": 1000},
            headers={"Authorization": f"Bearer {login.json()['access_token']}"},
            timeout=10,
        ).json()
        assert {c["collection"] for c in pulled["changes"]} == {"org_units", "users"}
        seeded = subprocess.run(
            [DOORSTEP, "seed", "--demo", "--records"],
            cwd=tmp_path,
            env=clean_env(),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert seeded.returncode == 0, seeded.stderr
        pulled = httpx.get(
            f"http://127.0.0.1:{port}/api/sync/pull",
            params={"limit": 1000, "cursor": pulled["cursor"]},
            headers={"Authorization": f"Bearer {login.json()['access_token']}"},
            timeout=10,
        ).json()
        titles = [c["fields"]["title"] for c in pulled["changes"] if c["collection"] == "disputes"]
        assert len(titles) == 3 and all("演示" in t for t in titles)  # community A's only
        assert any(c["collection"] == "warnings" for c in pulled["changes"])
    finally:
        output = stop(proc)
    assert f"http://127.0.0.1:{port}/" in output
    assert "gw.a1" in output and "doorstep-demo" in output
    assert (tmp_path / "var" / "doorstep.sqlite3").exists()  # the default data directory


def compose_commands() -> dict[str, list[str]]:
    spec = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return {
        name: list(service["command"])
        for name, service in spec["services"].items()
        if isinstance(service.get("command"), list) and service["command"][0] == "doorstep"
    }


def test_compose_runs_doorstep_commands_for_every_app_service() -> None:
    assert set(compose_commands()) == {"server", "worker", "beat"}


@pytest.fixture
def production_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    name = f"doorstep_compose_{uuid.uuid4().hex[:8]}"
    _admin_pg(f'CREATE DATABASE "{name}"')
    env = process_env(name, 7, tmp_path, "compose")
    yield env
    _admin_pg(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _with_port(command: list[str], port: int) -> list[str]:
    args = [DOORSTEP, *command[1:]]
    if "--port" in args:
        args[args.index("--port") + 1] = str(port)
    if "--host" in args:
        args[args.index("--host") + 1] = "127.0.0.1"
    return args


@pytest.mark.slow  # server, worker and beat processes
def test_compose_commands_run_against_local_postgres_and_redis(
    production_env: dict[str, str], tmp_path: Path
) -> None:
    commands = compose_commands()
    port = free_port()
    procs: dict[str, subprocess.Popen[bytes]] = {}
    try:
        procs["server"] = subprocess.Popen(
            _with_port(commands["server"], port),
            cwd=tmp_path,
            env=production_env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        wait_ready(f"http://127.0.0.1:{port}/health/ready", procs["server"], timeout=90)
        ready = httpx.get(f"http://127.0.0.1:{port}/health/ready", timeout=5).json()
        assert ready["checks"] == {"database": "ok", "queue": "ok"}
        subprocess.run(
            [DOORSTEP, "seed", "--demo"], env=production_env, check=True, capture_output=True
        )
        login = httpx.post(
            f"http://127.0.0.1:{port}/api/auth/login",
            json={"username": "admin.a", "password": "doorstep-demo"},
            timeout=10,
        )
        assert login.status_code == 200, login.text
        _issue_late_order(f"http://127.0.0.1:{port}", login.json())

        for name in ("worker", "beat"):
            procs[name] = subprocess.Popen(
                _with_port(commands[name], port),
                cwd=tmp_path,
                env=production_env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
            )
        assert _worker_answers_ping(production_env), "the worker never answered a ping"
        # beat -> Redis -> worker -> the deadline job: an order past its arrival time
        # becomes overdue without anyone touching it.
        assert _order_turns_overdue(f"http://127.0.0.1:{port}", login.json()["access_token"])
        assert procs["beat"].poll() is None, "beat exited"
    finally:
        outputs = {name: stop(proc) for name, proc in procs.items()}
    assert "Traceback" not in outputs.get("beat", ""), outputs.get("beat")


def test_production_processes_refuse_to_start_without_secrets(tmp_path: Path) -> None:
    env = clean_env(DOORSTEP_DATA_DIR=str(tmp_path))
    for command in (["serve"], ["worker"], ["beat"]):
        result = subprocess.run(
            [DOORSTEP, *command], env=env, capture_output=True, timeout=60, cwd=tmp_path
        )
        assert result.returncode != 0
        assert b"DOORSTEP_SECRET_KEY" in result.stderr


def _worker_answers_ping(env: dict[str, str], timeout: float = 60) -> bool:
    code = (
        "from server.worker import app\n"
        "import sys\n"
        "replies = app.control.ping(timeout=2)\n"
        "sys.exit(0 if replies else 1)\n"
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True)
        if result.returncode == 0:
            return True
        time.sleep(1)
    return False


def _issue_late_order(base: str, session: dict[str, Any]) -> None:
    from datetime import UTC, datetime, timedelta

    from tests.helpers import COMMUNITY_A, HOUSING

    now = datetime.now(UTC)
    stamp = "%Y-%m-%dT%H:%M:%S.000Z"
    body = {
        "schema_version": 1,
        "mutations": [
            {
                "id": str(uuid.uuid4()),
                "seq": 1,
                "collection": "dispatch_orders",
                "record_id": LATE_ORDER,
                "op": "upsert",
                "base_version": 0,
                "hlc": f"{int(now.timestamp() * 1000):013d}-0000-{session['device_id']}",
                "fields": {
                    "community_id": str(COMMUNITY_A),
                    "department_id": str(HOUSING),
                    "summary": "compose test",
                    # a deadline already past is refused when issued (lifecycle rules), so the
                    # order is due in a few seconds and turns overdue while the test waits
                    "arrive_by": (now + timedelta(seconds=5)).strftime(stamp),
                    "resolve_by": (now + timedelta(days=1)).strftime(stamp),
                    "status": "issued",
                },
            }
        ],
    }
    headers = {"Authorization": f"Bearer {session['access_token']}"}
    answer = httpx.post(f"{base}/api/sync/push", json=body, headers=headers, timeout=10)
    assert answer.json()["results"][0]["status"] == "applied", answer.text


LATE_ORDER = str(uuid.uuid4())


def _order_turns_overdue(base: str, token: str, timeout: float = 90) -> bool:
    headers = {"Authorization": f"Bearer {token}"}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        cursor = None
        while True:
            params = {"limit": 1000, **({"cursor": cursor} if cursor else {})}
            page = httpx.get(f"{base}/api/sync/pull", params=params, headers=headers, timeout=10)
            body = page.json()
            for change in body["changes"]:
                if change["record_id"] == LATE_ORDER and change["fields"].get("overdue"):
                    return True
            cursor = body["cursor"]
            if not body["has_more"]:
                break
        time.sleep(2)
    return False


# -- the command view's stored monthly workbook, built by a real worker ------------------------
@pytest.fixture
def workbook_env(production_env: dict[str, str]) -> dict[str, str]:
    """The compose environment, with every scope's workbook built by the worker (a scope of
    more than one record is "district-sized") and, if DOORSTEP_TEST_WORKER_REDIS_DB names one,
    its own Redis database, so a parallel run's worker cannot take this run's jobs."""
    redis_db = os.environ.get("DOORSTEP_TEST_WORKER_REDIS_DB")
    return {
        **production_env,
        "DOORSTEP_REPORT_ON_REQUEST_ROWS": "1",
        **({"DOORSTEP_REDIS_URL": f"{REDIS_URL.rstrip('/')}/{redis_db}"} if redis_db else {}),
    }


def _monthly(base: str, headers: dict[str, str], params: dict[str, str]) -> httpx.Response:
    return httpx.get(
        f"{base}/api/command/reports/monthly.xlsx", params=params, headers=headers, timeout=30
    )


@pytest.mark.slow  # server and worker processes
def test_a_real_worker_builds_the_stored_monthly_workbook(
    workbook_env: dict[str, str], tmp_path: Path
) -> None:
    """The first request queues the build (202 with its progress) through Redis; the server
    does not build it itself; `doorstep worker` as docker-compose runs it builds it into the
    shared data directory; the endpoint then serves the stored file, whose 汇总 figures are
    `/api/command/stats` of the same unit and month.  The beat job of the 1st (last month's
    workbooks of the district and its streets) runs on the same worker."""
    import io
    from datetime import UTC, datetime, timedelta

    import openpyxl

    from server.command.archive import last_month
    from server.command.report import SUMMARY, figure
    from server.command.window import parse_month

    commands = compose_commands()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    procs: dict[str, subprocess.Popen[bytes]] = {}
    try:
        procs["server"] = subprocess.Popen(
            _with_port(commands["server"], port),
            cwd=tmp_path,
            env=workbook_env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        wait_ready(f"{base}/health/ready", procs["server"], timeout=90)
        subprocess.run(
            [DOORSTEP, "seed", "--demo", "--records"],
            env=workbook_env,
            check=True,
            capture_output=True,
        )
        login = httpx.post(
            f"{base}/api/auth/login",
            json={"username": "district", "password": "doorstep-demo"},
            timeout=10,
        ).json()
        headers = {"Authorization": f"Bearer {login['access_token']}"}
        district = login["user"]["org_unit_id"]
        # the demo records are of today: the month under way, in Beijing time
        today = datetime.now(UTC) + timedelta(hours=8)
        month = f"{today.year:04d}-{today.month:02d}"
        params = {"org_unit_id": district, "month": month}

        first = _monthly(base, headers, params)
        assert first.status_code == 202, first.text
        assert first.headers["retry-after"] == "5"
        assert first.json()["status"] == "building"
        assert first.json()["rows_total"] >= 3  # the demo's disputes, orders and warnings
        # no worker yet: the job waits in Redis, the server does not build it, and asking
        # again neither builds nor queues it a second time
        time.sleep(2)
        again = _monthly(base, headers, params)
        assert again.status_code == 202, again.text
        stored = tmp_path / "reports" / "monthly" / district / f"{month}.xlsx"
        assert not stored.exists()

        procs["worker"] = subprocess.Popen(
            _with_port(commands["worker"], port),
            cwd=tmp_path,
            env=workbook_env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 120
        served = again
        while served.status_code == 202 and time.monotonic() < deadline:
            time.sleep(1)
            served = _monthly(base, headers, params)
        assert served.status_code == 200, served.text
        assert served.headers["x-report-current"] == "true"
        assert stored.exists() and served.content == stored.read_bytes()

        start, end = parse_month(month)
        stamp = "%Y-%m-%dT%H:%M:%S.000Z"
        stats = httpx.get(
            f"{base}/api/command/stats",
            params={
                "org_unit_id": district,
                "from": start.strftime(stamp),
                "to": end.strftime(stamp),
            },
            headers=headers,
            timeout=30,
        ).json()
        book = openpyxl.load_workbook(io.BytesIO(served.content))
        summary = {row[3]: row[1] for row in book["汇总"].iter_rows(min_row=2, values_only=True)}
        assert summary["month"] == month
        assert summary["appeals.received"] == stats["appeals"]["received"] >= 1
        for path, *_ in SUMMARY:
            expected = figure(stats, path)
            wanted = pytest.approx(expected) if expected is not None else None
            assert summary[path] == wanted, path

        # the beat job of the 1st, on the same worker: last month's workbooks of the
        # district and its streets
        queued = subprocess.run(
            [
                sys.executable,
                "-c",
                "from server.worker import app; app.send_task('command.build_last_month_reports')",
            ],
            env=workbook_env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert queued.returncode == 0, queued.stderr
        closed = tmp_path / "reports" / "monthly" / district / f"{last_month()}.xlsx"
        deadline = time.monotonic() + 120
        while not closed.exists() and time.monotonic() < deadline:
            time.sleep(1)
        assert closed.exists(), "the worker never built last month's workbook"
        assert procs["worker"].poll() is None, "the worker exited"
    finally:
        outputs = {name: stop(proc) for name, proc in procs.items()}
    assert "Traceback" not in outputs.get("worker", ""), outputs.get("worker")
