"""Pure ASGI middleware for every response: a request id, security headers and one structured
JSON log line per request.

It wraps the whole application (`create_app` puts it around Litestar's ASGI handler), outside
Litestar's exception handling: a 401 from the authentication middleware and a 404 for a route
that does not exist are answered there, so middleware registered with Litestar never sees them
(they had no headers and were logged with status 0)."""

from __future__ import annotations

import json
import logging
import sys
import time
import uuid
from typing import Any

from litestar.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("doorstep.http")

SECURITY_HEADERS: list[tuple[bytes, bytes]] = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (
        b"content-security-policy",
        b"default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "
        b"script-src 'self'; connect-src 'self'; worker-src 'self'; manifest-src 'self'; "
        b"frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
    ),
    (b"permissions-policy", b"geolocation=(self), camera=(self), microphone=()"),
]
#: sent when the server is reached over TLS (its public URL is https): browsers then refuse
#: plain http to it for a year
HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")
# The OpenAPI viewers load their scripts from a CDN and use inline code.
SCHEMA_CSP = b"default-src 'self' https: 'unsafe-inline' data:; frame-ancestors 'none'"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + "Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        extra = getattr(record, "fields", None)
        if isinstance(extra, dict):
            out.update(extra)
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False, default=str)


def configure_logging(level: int = logging.INFO) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger("doorstep")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False


def with_image_sources(
    headers: list[tuple[bytes, bytes]], sources: tuple[str, ...]
) -> list[tuple[bytes, bytes]]:
    """The headers with `sources` allowed in the CSP's img-src (the command map's tile server,
    DOORSTEP_MAP_TILE_URL)."""
    if not sources:
        return headers
    extra = " ".join(sources).encode()
    return [
        (name, value.replace(b"img-src 'self'", b"img-src 'self' " + extra))
        if name == b"content-security-policy"
        else (name, value)
        for name, value in headers
    ]


class RequestContextMiddleware:
    def __init__(
        self, app: ASGIApp, *, hsts: bool = False, image_sources: tuple[str, ...] = ()
    ) -> None:
        self.app = app
        headers = [*SECURITY_HEADERS, HSTS] if hsts else SECURITY_HEADERS
        self.security_headers = with_image_sources(headers, image_sources)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # type: ignore[comparison-overlap]
            await self.app(scope, receive, send)
            return
        request_id = _incoming_request_id(scope) or uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = 0
        path: str = scope.get("path", "")

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers.append((b"x-request-id", request_id.encode()))
                for name, value in self.security_headers:
                    if name not in present:
                        if name == b"content-security-policy" and path.startswith("/schema"):
                            value = SCHEMA_CSP
                        headers.append((name, value))
                message["headers"] = headers  # type: ignore[typeddict-unknown-key]
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            log.info(
                "request",
                extra={
                    "fields": {
                        "request_id": request_id,
                        "method": scope.get("method"),
                        "path": path,
                        "status": status,
                        "ms": round((time.perf_counter() - started) * 1000, 2),
                    }
                },
            )


def _incoming_request_id(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"x-request-id":
            text = value.decode("latin-1")
            if 0 < len(text) <= 64 and text.replace("-", "").isalnum():
                return text
    return None
