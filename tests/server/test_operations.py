"""Operations (issue 9, item 9): every response carries the security headers and a request id
and is logged with its real status, including 401s from the auth layer and 404s for unknown
routes; HSTS when served over TLS; `doorstep run` keeps its data directory private and refuses
to share it with a second `doorstep run`."""

from __future__ import annotations

import dataclasses
import logging
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from server.http.middleware import SECURITY_HEADERS
from server.settings import get_settings
from tests.server.test_processes import DOORSTEP, clean_env, free_port, stop, wait_ready

pytestmark = pytest.mark.usefixtures("database")


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.fields: list[dict[str, Any]] = []

    def emit(self, record: logging.LogRecord) -> None:
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            self.fields.append(fields)


@pytest.fixture
def access_log() -> Iterator[Lines]:
    handler = Lines()
    logger = logging.getLogger("doorstep.http")
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)


def assert_headers(response: httpx.Response) -> None:
    for name, value in SECURITY_HEADERS:
        assert response.headers.get(name.decode()) == value.decode(), name
    assert response.headers.get("x-request-id")


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/api/auth/me", 401),  # the authentication middleware
        ("GET", "/api/no/such/route", 404),  # the router
        ("DELETE", "/health/live", 405),
        ("GET", "/health/live", 200),
    ],
)
async def test_every_response_has_headers_and_a_logged_status(
    client: Any, access_log: Lines, method: str, path: str, status: int
) -> None:
    response = await client.request(method, path, headers={"x-request-id": "probe-123"})
    assert response.status_code == status
    assert_headers(response)
    assert response.headers["x-request-id"] == "probe-123"
    if status >= 400:
        assert set(response.json()) == {"error"}
    logged = [f for f in access_log.fields if f.get("request_id") == "probe-123"]
    assert [(f["path"], f["status"]) for f in logged] == [(path, status)]


async def test_hsts_only_when_served_over_tls() -> None:
    from server.app import create_app

    for public_url, expected in (("https://doorstep.example.org", True), (None, False)):
        settings = dataclasses.replace(get_settings(), public_url=public_url)
        transport = httpx.ASGITransport(app=create_app(settings))  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            for path in ("/health/live", "/api/auth/me"):
                response = await client.get(path)
                hsts = response.headers.get("strict-transport-security")
                assert (hsts is not None) is expected, (public_url, path)
                if expected:
                    assert hsts is not None and "max-age=31536000" in hsts


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.slow
def test_run_keeps_its_data_private_and_to_itself(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first_port, second_port = free_port(), free_port()
    first = subprocess.Popen(
        [DOORSTEP, "run", "--port", str(first_port), "--data-dir", str(data)],
        env=clean_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_ready(f"http://127.0.0.1:{first_port}/health/ready", first, timeout=90)
        assert mode(data) == 0o700
        database = data / "doorstep.sqlite3"
        assert mode(database) == 0o600
        for extra in (Path(f"{database}-wal"), Path(f"{database}-shm")):
            if extra.exists():
                assert mode(extra) == 0o600, extra
        second = subprocess.run(
            [DOORSTEP, "run", "--port", str(second_port), "--data-dir", str(data)],
            env=clean_env(),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert second.returncode != 0
        assert "已被另一个 doorstep run 使用" in second.stderr
        assert "in use by another `doorstep run`" in second.stderr
        assert str(first.pid) in second.stderr
        assert httpx.get(f"http://127.0.0.1:{first_port}/health/live").status_code == 200
    finally:
        stop(first)
    # the lock went with the process: the directory can be used again
    again = subprocess.Popen(
        [DOORSTEP, "run", "--port", str(second_port), "--data-dir", str(data)],
        env=clean_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_ready(f"http://127.0.0.1:{second_port}/health/live", again, timeout=90)
    finally:
        stop(again)
