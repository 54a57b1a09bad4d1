"""A local SMS platform for tests (loopback only), like the local push service.

It behaves like a government SMS platform's HTTP API as far as the sender can tell:
- checks `X-Doorstep-Signature: sha256=<hex HMAC-SHA256(key, body)>` (401 when wrong);
- requires JSON `{to, template, params, idempotency_key, sender}` (400 when malformed);
- records every request and, for an accepted one, the message; a repeated idempotency key is
  answered 200 again but not delivered twice (as real platforms promise);
- answers from a script: 200 (default), 429 + Retry-After, 5xx, 4xx, the last answer repeating;
- makes signed delivery receipts, and posts them to a callback URL when one is given.

Messages are rendered from the server's template catalogue (`server/notify/templates.json`) as
the platform renders its registered templates, so a test can read the text a phone shows.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
from aiohttp import web

from server.notify.texts import catalogue, fill

KEYS = {"to", "template", "params", "idempotency_key", "sender"}


def sign(key: str, body: bytes) -> str:
    return "sha256=" + hmac.new(key.encode(), body, hashlib.sha256).hexdigest()


@dataclass
class Reply:
    status: int = 200
    retry_after: str | None = None


@dataclass
class Sms:
    to: str
    template: str
    params: dict[str, str]
    idempotency_key: str
    sender: str | None
    #: the text the phone shows
    text: str
    #: the raw request body, for "no personal data anywhere in it"
    body: str


@dataclass
class SmsGateway:
    key: str = "test-sms-key-0123456789abcdef"
    host: str = "127.0.0.1"
    port: int = 0
    #: where receipts go (None: the test posts them itself)
    callback_url: str | None = None
    script: list[Reply] = field(default_factory=list)
    #: every request: (status answered, idempotency key or None)
    requests: list[tuple[int, str | None]] = field(default_factory=list)
    messages: list[Sms] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/sms/send"

    def answer(self, *replies: Reply) -> None:
        """Answer the next requests with these replies; the last one repeats."""
        with self._lock:
            self.script = list(replies)

    def reset(self) -> None:
        with self._lock:
            self.script.clear()
            self.requests.clear()
            self.messages.clear()

    def sent_to(self, phone: str) -> list[Sms]:
        with self._lock:
            return [m for m in self.messages if m.to == phone]

    # --- receipts -----------------------------------------------------------------------------

    def receipt(self, message: Sms, status: str = "delivered") -> tuple[bytes, dict[str, str]]:
        """A signed delivery receipt for `message`: (body, headers)."""
        body = json.dumps(
            {
                "idempotency_key": message.idempotency_key,
                "status": status,
                "at": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            }
        ).encode()
        return body, {
            "Content-Type": "application/json",
            "X-Doorstep-Signature": sign(self.key, body),
        }

    def send_receipt(self, message: Sms, status: str = "delivered") -> httpx.Response:
        assert self.callback_url is not None
        body, headers = self.receipt(message, status)
        return httpx.post(self.callback_url, content=body, headers=headers, timeout=10)

    # --- the platform ---------------------------------------------------------------------------

    def _next(self) -> Reply:
        with self._lock:
            if not self.script:
                return Reply()
            return self.script.pop(0) if len(self.script) > 1 else self.script[0]

    @staticmethod
    def render(template: str, params: dict[str, str]) -> str:
        # doorstep.sms_warning.zh-CN -> the catalogue's sms_warning in that language
        _, name, language = template.split(".", 2)
        texts = catalogue()["sms"][name]
        return fill(texts[1 if language == "en" else 0], params, "zh")

    async def _send(self, request: web.Request) -> web.Response:
        body = await request.read()
        if not hmac.compare_digest(
            sign(self.key, body), request.headers.get("X-Doorstep-Signature", "")
        ):
            with self._lock:
                self.requests.append((401, None))
            return web.json_response({"error": "bad signature"}, status=401)
        try:
            data: dict[str, Any] = json.loads(body)
            assert set(data) == KEYS, sorted(data)
            assert isinstance(data["params"], dict)
            text = self.render(str(data["template"]), data["params"])
        except (ValueError, KeyError, AssertionError, TypeError) as exc:  # malformed: 400
            with self._lock:
                self.requests.append((400, None))
            return web.json_response({"error": str(exc)}, status=400)
        reply = self._next()
        key = str(data["idempotency_key"])
        with self._lock:
            self.requests.append((reply.status, key))
            if 200 <= reply.status < 300 and all(m.idempotency_key != key for m in self.messages):
                self.messages.append(
                    Sms(
                        to=str(data["to"]),
                        template=str(data["template"]),
                        params=dict(data["params"]),
                        idempotency_key=key,
                        sender=data["sender"],
                        text=text,
                        body=body.decode(),
                    )
                )
        headers = {"Retry-After": reply.retry_after} if reply.retry_after else None
        return web.json_response(
            {"accepted": reply.status < 300}, status=reply.status, headers=headers
        )

    async def serve(self) -> None:
        app = web.Application(client_max_size=64 * 1024)
        app.router.add_post("/sms/send", self._send)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        server = site._server
        assert isinstance(server, asyncio.Server)
        self.port = server.sockets[0].getsockname()[1]

    def start(self) -> SmsGateway:
        def run() -> None:
            self._loop = asyncio.new_event_loop()
            self._loop.run_until_complete(self.serve())
            self._ready.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=run, name="smsgateway", daemon=True)
        self._thread.start()
        self._ready.wait(10)
        return self

    def stop(self) -> None:
        loop = self._loop
        if loop is None or self._runner is None:
            return
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(10)
