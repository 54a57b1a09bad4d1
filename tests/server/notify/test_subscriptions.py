"""The push endpoints of SYNC_PROTOCOL.md and the SSRF rules on subscription endpoints."""

from __future__ import annotations

import base64
import socket
from collections.abc import AsyncIterator, Iterator
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from litestar import Litestar
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Receive, Scope, Send

from server.accounts.principal import Principal
from server.http.handlers import EXCEPTION_HANDLERS
from server.notify.controllers import PushController
from server.notify.endpoints import EndpointRefused, check_endpoint
from server.notify.tables import PushSubscription
from server.notify.vapid import application_server_key, server_vapid
from tests.server.notify.conftest import use_settings
from tests.server.notify.pushservice import PushService


def principal_from_headers(app: ASGIApp) -> ASGIApp:
    """Stands in for the bearer-token middleware: `x-user` / `x-device` become request.user."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(scope.get("headers", []))
        if scope["type"] == ScopeType.HTTP and b"x-device" in headers:
            scope["user"] = Principal(
                user_id=UUID(headers[b"x-user"].decode()),
                device_id=UUID(headers[b"x-device"].decode()),
                username="gw.a1",
                role="grid_worker",
                org_unit_id=None,
            )
        await app(scope, receive, send)

    return middleware


@pytest.fixture
async def api() -> AsyncIterator[httpx.AsyncClient]:
    """The controller in a minimal app, served in this test's event loop (Litestar's own test
    client runs the app in a portal thread, away from a PostgreSQL pool bound to this loop)."""
    app = Litestar(
        route_handlers=[PushController],
        middleware=[principal_from_headers],
        exception_handlers=EXCEPTION_HANDLERS,
    )
    # Litestar's ASGI scope types are narrower than the plain dicts httpx declares
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


def device() -> dict[str, str]:
    return {"x-user": str(uuid4()), "x-device": str(uuid4())}


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    return dict(body["error"])


@pytest.fixture
def strict_endpoints() -> Iterator[None]:
    """The production rule: no private endpoints (whatever the environment says)."""
    import os

    old = os.environ.get("DOORSTEP_PUSH_ALLOW_PRIVATE_ENDPOINTS")
    use_settings(DOORSTEP_PUSH_ALLOW_PRIVATE_ENDPOINTS="0")
    yield
    use_settings(DOORSTEP_PUSH_ALLOW_PRIVATE_ENDPOINTS=old)


async def test_vapid_public_key_is_the_uncompressed_point(api: httpx.AsyncClient) -> None:
    response = await api.get("/api/push/vapid-public-key")
    assert response.status_code == 200
    key = response.json()["public_key"]
    raw = base64.urlsafe_b64decode(key + "=" * (-len(key) % 4))
    assert len(raw) == 65 and raw[0] == 4 and "=" not in key
    assert key == application_server_key()
    # It is the public half of the configured private key.
    numbers = server_vapid().private_key.public_key().public_numbers()
    assert raw[1:33] == numbers.x.to_bytes(32, "big") and raw[33:] == numbers.y.to_bytes(32, "big")


@pytest.mark.usefixtures("private_endpoints_allowed")
async def test_subscribe_binds_to_the_calling_device_and_replaces(
    api: httpx.AsyncClient, pushsvc: PushService
) -> None:
    who = device()
    first = pushsvc.subscribe().subscription_json()
    response = await api.post("/api/push/subscriptions", json=first, headers=who)
    assert response.status_code == 201, response.text
    assert response.json()["device_id"] == who["x-device"]
    assert response.json()["endpoint"] == first["endpoint"]

    second = pushsvc.subscribe().subscription_json()
    second["expirationTime"] = 1_900_000_000_000
    response = await api.post("/api/push/subscriptions", json=second, headers=who)
    assert response.status_code == 201
    assert response.json()["expiration_time"].startswith("2030-")
    rows = await PushSubscription.select()
    assert [r["endpoint"] for r in rows] == [second["endpoint"]]
    assert str(rows[0]["device_id"]) == who["x-device"]
    assert str(rows[0]["user_id"]) == who["x-user"]

    # The same browser endpoint registered from another login moves to that device.
    other = device()
    response = await api.post("/api/push/subscriptions", json=second, headers=other)
    assert response.status_code == 201
    rows = await PushSubscription.select()
    assert [str(r["device_id"]) for r in rows] == [other["x-device"]]


@pytest.mark.usefixtures("private_endpoints_allowed")
async def test_unsubscribe_removes_only_the_calling_device(
    api: httpx.AsyncClient, pushsvc: PushService
) -> None:
    mine, theirs = device(), device()
    for who in (mine, theirs):
        body = pushsvc.subscribe().subscription_json()
        assert (
            await api.post("/api/push/subscriptions", json=body, headers=who)
        ).status_code == 201
    response = await api.delete("/api/push/subscriptions", headers=mine)
    assert response.status_code == 204 and response.content == b""
    rows = await PushSubscription.select()
    assert [str(r["device_id"]) for r in rows] == [theirs["x-device"]]
    # Idempotent.
    assert (await api.delete("/api/push/subscriptions", headers=mine)).status_code == 204


@pytest.mark.usefixtures("private_endpoints_allowed")
@pytest.mark.parametrize(
    ("mutate", "status", "code"),
    [
        (lambda b: b.pop("keys"), 400, "invalid_request"),
        (lambda b: b.update(endpoint=42), 400, "invalid_request"),
        (lambda b: b["keys"].pop("auth"), 400, "invalid_request"),
        (lambda b: b["keys"].update(p256dh="not base64!"), 400, "invalid_request"),
        (lambda b: b.update(expirationTime="tomorrow"), 400, "invalid_request"),
        # absurd expiry times (issue 9, item 7): 1e17 ms overflowed a datetime into a 500
        (lambda b: b.update(expirationTime=1e17), 400, "invalid_request"),
        (lambda b: b.update(expirationTime=1e300), 400, "invalid_request"),
        (lambda b: b.update(expirationTime=253402300800000), 400, "invalid_request"),
        (lambda b: b.update(expirationTime=-1), 400, "invalid_request"),
        (
            lambda b: b["keys"].update(
                p256dh=base64.urlsafe_b64encode(b"\x04" + b"\x01" * 64).decode()
            ),
            422,
            "invalid_subscription",
        ),
        (
            lambda b: b["keys"].update(auth="AAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
            422,
            "invalid_subscription",
        ),
        (lambda b: b.update(endpoint="ftp://127.0.0.1/push/x"), 422, "invalid_endpoint"),
        (lambda b: b.update(endpoint="https://user:pw@127.0.0.1/push/x"), 422, "invalid_endpoint"),
        (lambda b: b.update(endpoint=b["endpoint"] + "\x00"), 422, "invalid_endpoint"),
    ],
)
async def test_bad_subscriptions_get_a_4xx_envelope(
    api: httpx.AsyncClient, pushsvc: PushService, mutate: Any, status: int, code: str
) -> None:
    body = pushsvc.subscribe().subscription_json()
    mutate(body)
    response = await api.post("/api/push/subscriptions", json=body, headers=device())
    assert_error(response, status, code)
    assert await PushSubscription.count() == 0


@pytest.mark.usefixtures("strict_endpoints")
@pytest.mark.parametrize(
    "endpoint",
    [
        "https://127.0.0.1/push/x",
        "https://10.0.0.1/push/x",
        "https://192.168.1.20:8443/push/x",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/push/x",
        "https://[::ffff:10.0.0.1]/push/x",
        "https://[fe80::1]/push/x",
        "https://100.64.0.1/push/x",
        "https://0.0.0.0/push/x",
        "https://localhost/push/x",
        "http://push.example.com/push/x",
    ],
)
async def test_private_or_plain_http_endpoints_are_refused(
    api: httpx.AsyncClient, pushsvc: PushService, endpoint: str
) -> None:
    body = pushsvc.subscribe().subscription_json()
    body["endpoint"] = endpoint
    response = await api.post("/api/push/subscriptions", json=body, headers=device())
    error = assert_error(response, 422, "invalid_endpoint")
    assert error["details"] == {"field": "endpoint"}
    assert await PushSubscription.count() == 0


@pytest.fixture
def fake_dns(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """Resolve names from a table: no traffic, no real DNS."""
    table: dict[str, list[str]] = {}

    def getaddrinfo(host: str, port: int, *args: Any, **kwargs: Any) -> list[Any]:
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
            for a in table[host]
        ]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return table


def test_every_resolved_address_is_checked(fake_dns: dict[str, list[str]]) -> None:
    fake_dns["push.example.com"] = ["203.0.113.9"]  # TEST-NET-3: documentation, not global
    fake_dns["fcm.example.net"] = ["142.250.1.1", "2607:f8b0:4005::200a"]
    fake_dns["rebind.example.net"] = ["142.250.1.1", "10.1.2.3"]
    fake_dns["mapped.example.net"] = ["::ffff:127.0.0.1"]
    check_endpoint("https://fcm.example.net/fcm/send/abc", allow_private=False)
    for host in ("push.example.com", "rebind.example.net", "mapped.example.net", "nowhere.example"):
        with pytest.raises(EndpointRefused):
            check_endpoint(f"https://{host}/push/x", allow_private=False)
    # The development flag lifts the rules (and resolves nothing).
    check_endpoint("http://10.1.2.3:8080/push/x", allow_private=True)


@pytest.mark.usefixtures("strict_endpoints")
async def test_public_https_endpoint_is_accepted(
    api: httpx.AsyncClient, pushsvc: PushService, fake_dns: dict[str, list[str]]
) -> None:
    fake_dns["fcm.googleapis.com"] = ["142.250.1.95"]
    body = pushsvc.subscribe().subscription_json()
    body["endpoint"] = "https://fcm.googleapis.com/fcm/send/abc:def"
    response = await api.post("/api/push/subscriptions", json=body, headers=device())
    assert response.status_code == 201, response.text


async def test_refused_at_send_time_too(pushsvc: PushService) -> None:
    """An endpoint stored while the flag was on is not contacted once it is off."""
    from server.notify.webpush import PushMessage, send

    use_settings(DOORSTEP_PUSH_ALLOW_PRIVATE_ENDPOINTS="0")
    sub = pushsvc.subscribe()
    result = await send(
        PushMessage(sub.endpoint, sub.p256dh, "AAAAAAAAAAAAAAAAAAAAAA", b"{}", 60, "normal", None)
    )
    assert result.status_code is None and result.error is not None
    assert result.error.startswith("refused")
    assert pushsvc.requests[sub.token] == 0
