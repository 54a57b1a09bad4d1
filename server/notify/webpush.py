"""One Web Push request (RFC 8030/8291/8292) and what its answer means for the delivery.

pywebpush encrypts (aes128gcm) and posts through its async path (`WebPusher.send_async` with a
shared `aiohttp.ClientSession`); we add the VAPID header per audience, `Urgency` and `Topic`, a
connect/read timeout on every request, and keep-alive connections: one `Sender` (one session, a
bounded connection pool) per event loop, so a fan-out to one push service reuses its
connections. Async rather than a thread pool over `requests`: the requests are small and many,
and threads fighting for the GIL delivered a third of the rate on the same machine.
"""

from __future__ import annotations

import enum
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver
from pywebpush import WebPusher, WebPushException

import server.notify.vapid as vapid
from server.notify.endpoints import (
    AddressRefused,
    EndpointRefused,
    VettedResolver,
    check_literal_host,
)
from server.notify.policy import policy
from server.settings import get_settings


@dataclass(frozen=True, slots=True)
class PushMessage:
    endpoint: str
    p256dh: str
    auth: str
    data: bytes
    ttl: int
    urgency: str
    topic: str | None


@dataclass(frozen=True, slots=True)
class SendResult:
    status_code: int | None
    #: why the request did not complete or was refused, e.g. "network: ServerDisconnectedError"
    error: str | None
    duration_ms: int
    retry_after: float | None = None


class Outcome(enum.Enum):
    SENT = "sent"
    GONE = "gone"
    FAILED = "failed"
    RETRY = "retry"


def audience(endpoint: str) -> str:
    parts = urlsplit(endpoint)
    return f"{parts.scheme}://{parts.netloc}"


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a `Retry-After` header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _private_endpoints_allowed() -> bool:
    return get_settings().push_allow_private_endpoints


class _NoRedirects:
    """The session as pywebpush sees it: every POST with redirects off.  A push service has no
    reason to redirect, and following one would carry our POST to wherever the `Location`
    points, past every check made on the endpoint (a 307 to an internal host)."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self._session = session

    def post(self, url: str, **kwargs: Any) -> Any:
        return self._session.post(url, allow_redirects=False, **kwargs)


class Sender:
    """Sends push messages from one event loop over one keep-alive session.

    The session resolves names through `VettedResolver`: each new connection goes to an address
    checked at that moment (unless private endpoints are allowed: tests, development).
    `resolver` replaces the system's DNS under that check (tests)."""

    def __init__(self, resolver: AbstractResolver | None = None) -> None:
        knobs = policy()
        self.timeout = aiohttp.ClientTimeout(
            total=knobs.connect_timeout + knobs.read_timeout,
            sock_connect=knobs.connect_timeout,
            sock_read=knobs.read_timeout,
        )
        self.session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(
                limit=knobs.send_concurrency,
                limit_per_host=knobs.send_concurrency,
                resolver=VettedResolver(resolver, allow_private=_private_endpoints_allowed),
            ),
            timeout=self.timeout,
        )

    async def close(self) -> None:
        await self.session.close()

    async def send(self, message: PushMessage) -> SendResult:
        """Encrypt and POST one message; never raises for an HTTP or network problem."""
        started = time.perf_counter()

        def result(
            code: int | None, error: str | None, retry_after: float | None = None
        ) -> SendResult:
            elapsed = int((time.perf_counter() - started) * 1000)
            return SendResult(code, error, elapsed, retry_after)

        try:
            check_literal_host(message.endpoint, allow_private=_private_endpoints_allowed())
        except EndpointRefused as exc:
            return result(None, f"refused: {exc}"[:200])
        headers: dict[str, str] = {
            "Authorization": vapid.authorization(audience(message.endpoint)),
            "Urgency": message.urgency,
        }
        if message.topic:
            headers["Topic"] = message.topic
        subscription = {
            "endpoint": message.endpoint,
            "keys": {"p256dh": message.p256dh, "auth": message.auth},
        }
        try:
            pusher = WebPusher(subscription, aiohttp_session=_NoRedirects(self.session))
            response = await pusher.send_async(
                message.data,
                headers,
                ttl=max(1, message.ttl),
                content_encoding="aes128gcm",
                timeout=self.timeout,
            )
        except aiohttp.ClientConnectorError as exc:
            if isinstance(exc.os_error, AddressRefused):
                return result(None, f"refused: {exc.os_error}"[:200])
            return result(None, f"network: {type(exc).__name__}")
        except (aiohttp.ClientError, TimeoutError) as exc:
            return result(None, f"network: {type(exc).__name__}")
        except (WebPushException, ValueError, TypeError) as exc:
            # Bad subscription keys: the browser's data cannot be encrypted to.
            return result(None, f"invalid_keys: {exc}"[:200])
        assert isinstance(response, aiohttp.ClientResponse)
        return result(response.status, None, parse_retry_after(response.headers.get("Retry-After")))


async def send(message: PushMessage) -> SendResult:
    """One message over a throwaway session (tools and tests; deliveries use a `Sender`)."""
    sender = Sender()
    try:
        return await sender.send(message)
    finally:
        await sender.close()


def classify(res: SendResult) -> Outcome:
    """Sort an answer: delivered, subscription gone, permanent failure, or worth retrying."""
    code = res.status_code
    if code is None:
        if res.error is not None and res.error.startswith("network"):
            return Outcome.RETRY
        return Outcome.FAILED
    if code in (200, 201, 202):
        return Outcome.SENT
    if code in (404, 410):
        return Outcome.GONE
    if code in (408, 425, 429) or code >= 500:
        return Outcome.RETRY
    # 400/401/403/413 are configuration errors (bad VAPID, payload too big, malformed request);
    # repeating the same request cannot succeed. Any other answer is treated the same way.
    return Outcome.FAILED


def describe(res: SendResult, outcome: Outcome) -> str | None:
    """The `error` recorded with an attempt, or None for a success."""
    if outcome is Outcome.SENT:
        return None
    if res.status_code is None:
        return res.error
    if outcome is Outcome.FAILED:
        return f"config: HTTP {res.status_code}"
    if res.status_code == 429:
        return "rate_limited"
    if outcome is Outcome.GONE:
        return f"gone: HTTP {res.status_code}"
    return f"transient: HTTP {res.status_code}"
