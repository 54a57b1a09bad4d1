"""Graceful overload (issue 13): a bounded number of requests in progress per worker process;
beyond it an immediate `503 overloaded` with `Retry-After`, never a 30 s wait in a queue.

A request counts from when it arrives until its response starts (a streamed response, such as
Server-Sent Events, stops counting once its headers are out: it holds a connection, not a slot
of work).  Health checks are never shed, and report the load (`GET /health/live`).  The answer
is cheap: no authentication, no database, a fixed body; `Retry-After` is 1–3 s, spread so that
clients refused together do not all return together (the PWA adds its own jitter too).
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass

from litestar.types import ASGIApp, HTTPResponseStartEvent, Message, Receive, Scope, Send

from server.http.errors import envelope

#: requests in progress per worker when DOORSTEP_MAX_IN_FLIGHT is not set: a few times the
#: database pool (10 connections), so the pool stays busy while the queue stays short
DEFAULT_MAX_IN_FLIGHT = 32
EXEMPT_PREFIXES = ("/health/",)


@dataclass
class Load:
    """An app's load (one app per worker process), as `/health/live` shows it."""

    max_in_flight: int = DEFAULT_MAX_IN_FLIGHT
    in_flight: int = 0
    #: the most in progress at once since start
    peak: int = 0
    #: requests answered 503 since start
    shed: int = 0

    def as_dict(self) -> dict[str, int]:
        return {
            "in_flight": self.in_flight,
            "max_in_flight": self.max_in_flight,
            "peak": self.peak,
            "shed_total": self.shed,
        }


_BODY = json.dumps(
    envelope(
        "overloaded",
        "服务器繁忙，请稍后自动重试 (the server is busy; retrying shortly)",
        {"retry": True},
    ),
    ensure_ascii=False,
).encode()


class LoadShedder:
    """ASGI middleware: count requests in progress, refuse the ones over the bound."""

    def __init__(self, app: ASGIApp, load: Load) -> None:
        self.app = app
        self.load = load

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        exempt = scope["type"] != "http"  # type: ignore[comparison-overlap]
        if exempt or scope["path"].startswith(EXEMPT_PREFIXES):
            await self.app(scope, receive, send)
            return
        load = self.load
        if load.in_flight >= load.max_in_flight:
            load.shed += 1
            await _refuse(send)
            return
        load.in_flight += 1
        load.peak = max(load.peak, load.in_flight)
        counted = True

        def release() -> None:
            nonlocal counted
            if counted:
                counted = False
                load.in_flight -= 1

        async def send_and_release(message: Message) -> None:
            if message["type"] == "http.response.start":
                release()
            await send(message)

        try:
            await self.app(scope, receive, send_and_release)
        finally:
            release()


async def _refuse(send: Send) -> None:
    start: HTTPResponseStartEvent = {
        "type": "http.response.start",
        "status": 503,
        "headers": [
            (b"content-type", b"application/json; charset=utf-8"),
            (b"content-length", str(len(_BODY)).encode()),
            (b"retry-after", str(random.randint(1, 3)).encode()),
            (b"cache-control", b"no-store"),
        ],
    }
    await send(start)
    await send({"type": "http.response.body", "body": _BODY, "more_body": False})
