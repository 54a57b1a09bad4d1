"""A local Web Push service for tests and benchmarks (loopback only).

It behaves like a browser vendor's push service as far as a sender can tell:
- checks the VAPID header (RFC 8292): `Authorization: vapid t=<JWT>, k=<public key>`, an ES256
  signature made with `k`, `aud` equal to the endpoint's origin, `exp` in the future and at most
  24 h away, `k` equal to the applicationServerKey the subscription was made with;
- requires `TTL`, `Content-Encoding: aes128gcm`, a valid `Urgency`/`Topic` when present;
- decrypts the RFC 8291 body with the subscription's private key (http_ece), as the browser would;
- answers, per endpoint, from a script: 201 (default), 404, 410, 413, 429 + Retry-After, 500,
  optionally after a delay.

Subscriptions are made here like a browser makes them: a fresh P-256 key pair and a 16-byte auth
secret per subscription. Endpoints are `http://127.0.0.1:<port>/push/<token>`, so the server
under test needs DOORSTEP_PUSH_ALLOW_PRIVATE_ENDPOINTS=1 (real endpoints must be https).

In-process: `PushService().start()` runs it in a thread. As a process (benchmarks):
`python -m tests.server.notify.pushservice` prints `{"port": N}` and serves a control API under
`/_control/` (register, script, stats, received).
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import re
import secrets
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import http_ece
import jwt
from aiohttp import web
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

URGENCIES = {"very-low", "low", "normal", "high"}
TOPIC = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Answer:
    status: int = 201
    retry_after: str | None = None
    delay: float = 0.0
    #: a redirect target (answer with a 3xx status): a hostile push service
    location: str | None = None


@dataclass
class Received:
    token: str
    payload: dict[str, Any]
    ttl: int
    urgency: str | None
    topic: str | None
    answered: int
    at: float


@dataclass
class Subscriber:
    """What the browser keeps: the private key and auth secret of one subscription."""

    token: str
    endpoint: str
    private_key: ec.EllipticCurvePrivateKey
    auth: bytes
    p256dh: str

    def subscription_json(self) -> dict[str, Any]:
        """What `PushSubscription.toJSON()` gives the app."""
        return {
            "endpoint": self.endpoint,
            "expirationTime": None,
            "keys": {"p256dh": self.p256dh, "auth": b64url(self.auth)},
        }


@dataclass
class PushService:
    host: str = "127.0.0.1"
    port: int = 0
    #: the applicationServerKey subscriptions were made with (None: accept any valid key)
    application_server_key: str | None = None
    subscribers: dict[str, Subscriber] = field(default_factory=dict)
    scripts: dict[str, list[Answer]] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    rejected: list[tuple[str, str]] = field(default_factory=list)
    requests: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()

    # --- the browser's side ---------------------------------------------------------------

    @property
    def origin(self) -> str:
        return f"http://{self.host}:{self.port}"

    def subscribe(self) -> Subscriber:
        token = secrets.token_urlsafe(16)
        key = ec.generate_private_key(ec.SECP256R1())
        public = key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        sub = Subscriber(
            token=token,
            endpoint=f"{self.origin}/push/{token}",
            private_key=key,
            auth=os.urandom(16),
            p256dh=b64url(public),
        )
        with self._lock:
            self.subscribers[token] = sub
        return sub

    def script(self, sub: Subscriber | str, *answers: Answer) -> None:
        """Answer the next requests to this endpoint with these answers; the last one repeats."""
        token = sub.token if isinstance(sub, Subscriber) else sub
        with self._lock:
            self.scripts[token] = list(answers)

    def messages(self, sub: Subscriber | None = None) -> list[Received]:
        with self._lock:
            return [r for r in self.received if sub is None or r.token == sub.token]

    def delivered(self, sub: Subscriber | None = None) -> list[Received]:
        """Messages decrypted and answered with a 2xx."""
        return [r for r in self.messages(sub) if 200 <= r.answered < 300]

    def reset(self) -> None:
        with self._lock:
            self.subscribers.clear()
            self.scripts.clear()
            self.received.clear()
            self.rejected.clear()
            self.requests.clear()

    # --- the push service -----------------------------------------------------------------

    def _next_answer(self, token: str) -> Answer:
        with self._lock:
            script = self.scripts.get(token)
            if not script:
                return Answer()
            return script.pop(0) if len(script) > 1 else script[0]

    def _reject(self, token: str, status: int, why: str) -> web.Response:
        with self._lock:
            self.rejected.append((token, why))
        return web.Response(status=status, text=why)

    def _check_vapid(self, header: str) -> str | None:
        """None when the VAPID header is valid for this origin, else why not."""
        scheme, _, params = header.partition(" ")
        if scheme.lower() != "vapid":
            return "authorization scheme is not vapid"
        parts: dict[str, str] = {}
        for item in params.split(","):
            name, _, value = item.strip().partition("=")
            parts[name.strip()] = value.strip()
        if "t" not in parts or "k" not in parts:
            return "vapid header lacks t or k"
        if self.application_server_key and parts["k"] != self.application_server_key:
            return "k is not the key the subscription was made with"
        try:
            public = ec.EllipticCurvePublicKey.from_encoded_point(
                ec.SECP256R1(), b64url_decode(parts["k"])
            )
            claims = jwt.decode(
                parts["t"],
                key=public,
                algorithms=["ES256"],
                audience=self.origin,
                options={"require": ["exp", "aud"]},
            )
        except (jwt.PyJWTError, ValueError) as exc:
            return f"bad vapid token: {exc}"
        now = time.time()
        if not now < float(claims["exp"]) <= now + 24 * 3600 + 5:
            return "exp is not within 24 hours"
        if not str(claims.get("sub", "")).startswith(("mailto:", "https://")):
            return "sub is not a mailto: or https: URL"
        return None

    async def _push(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        body = await request.read()
        with self._lock:
            self.requests[token] += 1
            sub = self.subscribers.get(token)
        if sub is None:
            return self._reject(token, 404, "no such subscription")
        why = self._check_vapid(request.headers.get("Authorization", ""))
        if why:
            return self._reject(token, 401 if "token" in why else 403, why)
        ttl = request.headers.get("TTL")
        if ttl is None or not ttl.isdigit():
            return self._reject(token, 400, "TTL header missing")
        if request.headers.get("Content-Encoding") != "aes128gcm":
            return self._reject(token, 415, "Content-Encoding must be aes128gcm")
        urgency = request.headers.get("Urgency")
        if urgency is not None and urgency not in URGENCIES:
            return self._reject(token, 400, "bad Urgency")
        topic = request.headers.get("Topic")
        if topic is not None and (
            len(topic) > 32 or not topic.replace("-", "").replace("_", "").isalnum()
        ):
            return self._reject(token, 400, "bad Topic")
        if len(body) > 4096:
            return self._reject(token, 413, "payload too large")
        try:
            plain = http_ece.decrypt(
                body, private_key=sub.private_key, auth_secret=sub.auth, version="aes128gcm"
            )
            payload = json.loads(plain)
        except Exception as exc:  # noqa: BLE001 - any decryption failure is the sender's fault
            return self._reject(token, 400, f"cannot decrypt: {exc!r}")
        answer = self._next_answer(token)
        if answer.delay:
            await asyncio.sleep(answer.delay)
        with self._lock:
            self.received.append(
                Received(token, payload, int(ttl), urgency, topic, answer.status, time.time())
            )
        headers = {"Retry-After": answer.retry_after} if answer.retry_after else {}
        if answer.location:
            headers["Location"] = answer.location
        elif answer.status == 201:
            headers["Location"] = f"{self.origin}/message/{secrets.token_hex(8)}"
        return web.Response(status=answer.status, headers=headers)

    # --- control API (for a push service running as its own process) -----------------------

    async def _control(self, request: web.Request) -> web.Response:
        action = request.match_info["action"]
        if action == "register":
            count = int((await request.json()).get("count", 1))
            subs = [self.subscribe().subscription_json() for _ in range(count)]
            return web.json_response(subs)
        if action == "key":
            self.application_server_key = (await request.json())["key"]
            return web.json_response({})
        if action == "stats":
            with self._lock:
                times = [r.at for r in self.received if 200 <= r.answered < 300]
                return web.json_response(
                    {
                        "delivered": len(times),
                        "rejected": len(self.rejected),
                        "first_at": min(times, default=None),
                        "last_at": max(times, default=None),
                    }
                )
        if action == "received":
            with self._lock:
                rows = [{"id": r.payload.get("id"), "at": r.at} for r in self.received]
            return web.json_response(rows)
        if action == "reset":
            with self._lock:
                self.received.clear()
                self.rejected.clear()
            return web.json_response({})
        return web.Response(status=404)

    def _app(self) -> web.Application:
        app = web.Application(client_max_size=64 * 1024)
        app.router.add_post("/push/{token}", self._push)
        app.router.add_route("*", "/_control/{action}", self._control)
        return app

    async def serve(self) -> None:
        self._runner = web.AppRunner(self._app(), access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port, backlog=1024)
        await site.start()
        server = site._server
        assert isinstance(server, asyncio.Server)
        self.port = server.sockets[0].getsockname()[1]

    def start(self) -> PushService:
        def run() -> None:
            self._loop = asyncio.new_event_loop()
            self._loop.run_until_complete(self.serve())
            self._ready.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=run, name="pushservice", daemon=True)
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


def main() -> None:
    service = PushService()

    async def run() -> None:
        await service.serve()
        print(json.dumps({"port": service.port}), flush=True)
        # Stop when the parent closes our stdin (or dies).
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)

    asyncio.run(run())


if __name__ == "__main__":
    main()
