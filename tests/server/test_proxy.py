"""Behind the compose proxy (issue 9, item 4): `doorstep serve` believes X-Forwarded-For only
from the proxies docker-compose.yml names, and the login limiter counts per client address
and per account.  The server runs with the compose file's own settings.

The test's requests come from 127.0.0.1, outside the compose network: to the server started
with the compose settings they are an untrusted client forging the header.  A second server
trusts 127.0.0.1, standing in for the nginx container."""

from __future__ import annotations

import ipaddress
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.server.replication.live_server import LiveServer

pytestmark = [pytest.mark.usefixtures("database"), pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
PER_ADDRESS = 3


def compose() -> dict[str, Any]:
    spec: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return spec


def compose_trusted_proxies() -> str:
    value: str = compose()["x-doorstep-env"]["DOORSTEP_TRUSTED_PROXIES"]
    return value


def test_compose_trusts_exactly_its_own_network() -> None:
    spec = compose()
    subnets = [c["subnet"] for c in spec["networks"]["default"]["ipam"]["config"]]
    trusted = [ipaddress.ip_network(item) for item in compose_trusted_proxies().split(",")]
    assert trusted == [ipaddress.ip_network(s) for s in subnets]
    assert not any(net.num_addresses > 2**16 for net in trusted)  # no 0.0.0.0/0, no '*'
    for service in ("server", "worker", "beat"):
        env = spec["services"][service]["environment"]
        assert env["DOORSTEP_TRUSTED_PROXIES"] == compose_trusted_proxies()
    nginx = (ROOT / "server/deploy/nginx.conf").read_text()
    assert "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;" in nginx
    assert "proxy_set_header X-Real-IP $remote_addr;" in nginx


def _server(monkeypatch: pytest.MonkeyPatch, trusted: str) -> Iterator[LiveServer]:
    monkeypatch.setenv("DOORSTEP_TRUSTED_PROXIES", trusted)
    monkeypatch.setenv("DOORSTEP_LOGIN_MAX_FAILURES_PER_ADDRESS", str(PER_ADDRESS))
    server = LiveServer(workers=1)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def compose_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[LiveServer]:
    yield from _server(monkeypatch, compose_trusted_proxies())


@pytest.fixture
def behind_trusted_proxy(monkeypatch: pytest.MonkeyPatch) -> Iterator[LiveServer]:
    yield from _server(monkeypatch, "127.0.0.1")


def wrong_logins(server: LiveServer, forwarded_for: list[str]) -> list[int]:
    """One wrong password per header value, each for a different (unknown) account."""
    statuses = []
    with httpx.Client(base_url=server.url, timeout=30) as client:
        for value in forwarded_for:
            response = client.post(
                "/api/auth/login",
                json={"username": f"nobody-{uuid.uuid4().hex[:8]}", "password": "wrong"},
                headers={"X-Forwarded-For": value},
            )
            statuses.append(response.status_code)
    return statuses


def test_forged_forwarded_for_from_outside_is_ignored(compose_server: LiveServer) -> None:
    forged = [f"203.0.113.{n}" for n in range(1, PER_ADDRESS + 3)]
    statuses = wrong_logins(compose_server, forged)
    # every attempt counted against 127.0.0.1, whatever the header claimed
    assert statuses == [401] * PER_ADDRESS + [429, 429]


def test_the_trusted_proxy_names_each_client(behind_trusted_proxy: LiveServer) -> None:
    # different clients behind the proxy: one address's failures do not lock out the rest
    many = [f"198.51.100.{n}" for n in range(1, PER_ADDRESS + 3)]
    assert wrong_logins(behind_trusted_proxy, many) == [401] * len(many)
    # one client is limited by its own address, even if it prepends a forged hop: nginx
    # appends the real address and the server takes the right-most untrusted one
    one = [f"10.9.9.{n}, 192.0.2.77" for n in range(PER_ADDRESS + 2)]
    assert wrong_logins(behind_trusted_proxy, one) == [401] * PER_ADDRESS + [429, 429]


def test_a_wildcard_is_refused(tmp_path: Path) -> None:
    from server.settings import ConfigError, load_settings

    mp = pytest.MonkeyPatch()
    try:
        mp.setenv("DOORSTEP_TRUSTED_PROXIES", "*")
        with pytest.raises(ConfigError):
            load_settings()
        mp.setenv("DOORSTEP_TRUSTED_PROXIES", "not-an-address")
        with pytest.raises(ConfigError):
            load_settings()
    finally:
        mp.undo()
