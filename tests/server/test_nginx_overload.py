"""Graceful overload at the proxy (issue 13): the deployed server/deploy/nginx.conf refuses the
requests beyond its bound in flight at once, with the app's own 503 body and Retry-After, while
the admitted ones are still running; event streams and health checks are never refused, and the
app's own 503s pass through as they are.

nginx runs the deployed file (tests/nginx.py swaps in a loopback upstream and listen address),
in front of an upstream that holds each API request until the test lets it go, so "while the
admitted ones are still running" is a fact, not a timing.  The bound is swapped for 2 so that
two held requests fill it.  CI installs nginx (.ci/run); without it these tests fail."""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from server.http.overload import _BODY as APP_BODY
from tests.nginx import CONF, NGINX, Nginx, deployed_bound

WAIT = 30  # seconds: a generous bound on waiting for an event, never a measured time


class Upstream:
    """Holds `/api/...` requests until `release` is set; answers streams and health at once,
    and `/api/app-busy` with the app's own 503."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.arrived = 0
        self.lock = threading.Lock()
        self.two_arrived = threading.Event()
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                path = self.path.split("?")[0]
                if path == "/api/app-busy":
                    body = json.dumps({"error": {"code": "app_busy", "message": "m"}}).encode()
                    return self.answer(503, body, {"Retry-After": "7"})
                if path.startswith("/api/") and not path.endswith("/events"):
                    with upstream.lock:
                        upstream.arrived += 1
                        if upstream.arrived == 2:
                            upstream.two_arrived.set()
                    upstream.release.wait(WAIT)
                self.answer(200, json.dumps({"path": path}).encode(), {})

            def answer(self, status: int, body: bytes, headers: dict[str, str]) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Upstream:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


def require_nginx() -> None:
    if not os.access(NGINX, os.X_OK):
        pytest.fail(f"no nginx at {NGINX} (apt-get install -y nginx; .ci/run installs it)")


@pytest.fixture
def proxy() -> Iterator[tuple[Nginx, Upstream]]:
    require_nginx()
    with Upstream() as upstream:
        nginx = Nginx([upstream.port], in_flight=2)
        try:
            nginx.start()
            yield nginx, upstream
        finally:
            nginx.stop()


@pytest.mark.slow
def test_the_proxy_refuses_the_excess_with_the_apps_503_while_the_admitted_ones_run(
    proxy: tuple[Nginx, Upstream],
) -> None:
    nginx, upstream = proxy
    with ThreadPoolExecutor(2) as pool, httpx.Client(base_url=nginx.url, timeout=WAIT) as client:
        held = [
            pool.submit(httpx.get, f"{nginx.url}/api/sync/pull?cursor={i}", timeout=WAIT)
            for i in range(2)
        ]
        assert upstream.two_arrived.wait(WAIT), nginx.tail()

        refused = client.get("/api/sync/pull")
        assert not upstream.release.is_set() and not any(f.done() for f in held)
        assert refused.status_code == 503
        assert refused.headers["retry-after"] in {"1", "2", "3"}
        assert refused.headers["content-type"] == "application/json; charset=utf-8"
        assert refused.headers["cache-control"] == "no-store"
        assert refused.json() == json.loads(APP_BODY)  # the PWA handles both the same way
        # every kind of request is counted, not only pulls (the app serves the PWA's files too)
        assert client.post("/api/sync/push", json={}).status_code == 503
        assert client.get("/assets/app.js").status_code == 503

        # never refused: the event streams (they hold a connection, not work) and health
        assert client.get("/api/sync/events").status_code == 200
        assert client.get("/api/command/events", params={"ticket": "t"}).status_code == 200
        assert client.get("/health/live").status_code == 200

        upstream.release.set()
        assert [f.result().status_code for f in held] == [200, 200]
        # the slots are free again
        assert client.get("/api/sync/pull").status_code == 200
    assert upstream.arrived == 3


@pytest.mark.slow
def test_the_apps_own_503_passes_through_and_does_not_take_a_replica_out() -> None:
    """Two replicas, both refusing once with the app's own 503: each refusal reaches the client
    as it is, and both replicas stay in rotation (a 503 counted as a failure would leave none,
    and every request would get 502 until nginx tried them again)."""
    require_nginx()
    with Upstream() as a, Upstream() as b:
        nginx = Nginx([a.port, b.port], in_flight=2)
        try:
            nginx.start()
            with httpx.Client(base_url=nginx.url, timeout=WAIT) as client:
                for _ in range(2):  # round robin: one each
                    answer = client.get("/api/app-busy")
                    assert answer.status_code == 503
                    assert answer.json()["error"]["code"] == "app_busy"
                    assert answer.headers["retry-after"] == "7"
                assert [client.get("/health/live").status_code for _ in range(4)] == [200] * 4
        finally:
            nginx.stop()


def test_the_deployed_refusal_is_the_apps_body_and_the_bound_is_one_number() -> None:
    """No nginx needed: the file's 503 body is the app's, byte for byte in meaning."""
    text = CONF.read_text()
    bodies = re.findall(r"return 503 '(.*)';", text)
    assert len(bodies) == 1
    assert json.loads(bodies[0]) == json.loads(APP_BODY)
    assert deployed_bound() > 0
