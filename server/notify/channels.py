"""Delivery channels: how one message leaves the server, and what the answer means.

Both channels share the outbox discipline (claim, send, record every attempt, settle) and the
retry policy (`policy.py`: timeouts, 429 Retry-After, 5xx backoff with jitter, a permanent 4xx
recorded and not repeated). A channel only knows its wire format:

- `WebPushChannel`: RFC 8030/8291/8292 to the browser vendor's push service (`webpush.Sender`);
- `SmsChannel`: the SMS platform's HTTP API, `POST DOORSTEP_SMS_URL` with JSON
  `{to, template, params, idempotency_key, sender}` signed by
  `X-Doorstep-Signature: sha256=<hex HMAC-SHA256(DOORSTEP_SMS_KEY, body)>`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from typing import Any, Protocol

import aiohttp

from server.notify.policy import policy
from server.notify.webpush import (
    Outcome,
    PushMessage,
    Sender,
    SendResult,
    parse_retry_after,
)
from server.notify.webpush import classify as classify_push

SIGNATURE_HEADER = "X-Doorstep-Signature"


class Channel(Protocol):
    name: str

    def classify(self, res: SendResult) -> Outcome: ...


def sign(key: str, body: bytes) -> str:
    return "sha256=" + hmac.new(key.encode(), body, hashlib.sha256).hexdigest()


def signature_ok(key: str, body: bytes, header: str | None) -> bool:
    return header is not None and hmac.compare_digest(sign(key, body), header.strip())


def classify_http(res: SendResult) -> Outcome:
    """The answer of an HTTP API that has no "gone": 2xx sent, transient retried, else failed."""
    code = res.status_code
    if code is None:
        return Outcome.RETRY if (res.error or "").startswith("network") else Outcome.FAILED
    if 200 <= code < 300:
        return Outcome.SENT
    if code in (408, 425, 429) or code >= 500:
        return Outcome.RETRY
    return Outcome.FAILED


class WebPushChannel:
    name = "webpush"

    def __init__(self, sender: Sender) -> None:
        self.sender = sender

    async def send(self, message: PushMessage) -> SendResult:
        return await self.sender.send(message)

    def classify(self, res: SendResult) -> Outcome:
        return classify_push(res)


@dataclass(frozen=True, slots=True)
class SmsMessage:
    to: str
    template: str
    params: dict[str, Any]
    idempotency_key: str


class SmsChannel:
    """One keep-alive session to the SMS platform; never raises for an HTTP or network problem."""

    name = "sms"

    def __init__(self, url: str, key: str, sender: str | None) -> None:
        knobs = policy()
        self.url, self.key, self.sender_name = url, key, sender
        self.timeout = aiohttp.ClientTimeout(
            total=knobs.connect_timeout + knobs.read_timeout,
            sock_connect=knobs.connect_timeout,
            sock_read=knobs.read_timeout,
        )
        self.session = aiohttp.ClientSession(timeout=self.timeout)

    async def close(self) -> None:
        await self.session.close()

    def body(self, message: SmsMessage) -> bytes:
        data = {
            "to": message.to,
            "template": message.template,
            "params": message.params,
            "idempotency_key": message.idempotency_key,
            "sender": self.sender_name,
        }
        return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()

    async def send(self, message: SmsMessage) -> SendResult:
        started = time.perf_counter()

        def result(code: int | None, error: str | None, retry: float | None = None) -> SendResult:
            return SendResult(code, error, int((time.perf_counter() - started) * 1000), retry)

        body = self.body(message)
        headers = {"Content-Type": "application/json", SIGNATURE_HEADER: sign(self.key, body)}
        try:
            async with self.session.post(
                self.url, data=body, headers=headers, allow_redirects=False
            ) as response:
                await response.read()
                return result(
                    response.status, None, parse_retry_after(response.headers.get("Retry-After"))
                )
        except (aiohttp.ClientError, TimeoutError) as exc:
            return result(None, f"network: {type(exc).__name__}")

    def classify(self, res: SendResult) -> Outcome:
        return classify_http(res)


def describe(res: SendResult, outcome: Outcome) -> str | None:
    if outcome is Outcome.SENT:
        return None
    if res.status_code is None:
        return res.error
    if res.status_code == 429:
        return "rate_limited"
    if outcome is Outcome.FAILED:
        return f"rejected: HTTP {res.status_code}"
    return f"transient: HTTP {res.status_code}"
