"""Accounts and devices over HTTP (SYNC_PROTOCOL.md "Accounts and devices")."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers import DEMO_USERS, login

pytestmark = pytest.mark.usefixtures("database")


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert isinstance(body["error"]["details"], dict)
    return body["error"]


@pytest.mark.parametrize("username", DEMO_USERS)
async def test_every_demo_user_logs_in(client: Any, username: str) -> None:
    session = await login(client, username)
    assert session.user["username"] == username
    assert set(session.user) == {"id", "username", "display_name", "role", "org_unit_id"}
    me = await session.get("/api/auth/me")
    assert me.status_code == 200 and me.json()["username"] == username


async def test_login_response_shape(client: Any) -> None:
    response = await client.post(
        "/api/auth/login",
        json={"username": "gw.a1", "password": "doorstep-demo", "device_name": "phone"},
    )
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "refresh_token", "expires_in", "device_id", "user"}
    assert 0 < body["expires_in"] <= 3600
    assert body["user"]["role"] == "grid_worker"


async def test_each_login_registers_a_new_device(client: Any) -> None:
    first = await login(client, "gw.a2")
    second = await login(client, "gw.a2")
    assert first.device_id != second.device_id


async def test_wrong_password_and_unknown_user_look_the_same(client: Any) -> None:
    wrong = await client.post("/api/auth/login", json={"username": "gw.a1", "password": "nope"})
    unknown = await client.post("/api/auth/login", json={"username": "nobody", "password": "x"})
    assert_error(wrong, 401, "invalid_credentials")
    assert_error(unknown, 401, "invalid_credentials")
    assert wrong.json()["error"]["message"] == unknown.json()["error"]["message"]


async def test_requests_without_a_valid_token_are_refused(client: Any) -> None:
    assert_error(await client.get("/api/auth/me"), 401, "unauthorized")
    bad = await client.get("/api/auth/me", headers={"Authorization": "Bearer not-a-token"})
    assert_error(bad, 401, "invalid_token")
    basic = await client.get("/api/auth/me", headers={"Authorization": "Basic Zm9vOmJhcg=="})
    assert_error(basic, 401, "unauthorized")


async def test_refresh_rotates_and_the_new_pair_works(client: Any) -> None:
    session = await login(client, "lawyer.a")
    response = await client.post("/api/auth/refresh", json={"refresh_token": session.refresh_token})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["refresh_token"] != session.refresh_token
    assert body["device_id"] == session.device_id
    me = await client.get(
        "/api/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"}
    )
    assert me.status_code == 200
    again = await client.post("/api/auth/refresh", json={"refresh_token": body["refresh_token"]})
    assert again.status_code == 200


async def test_reusing_a_refresh_token_revokes_the_device(client: Any) -> None:
    session = await login(client, "psy.a")
    first = await client.post("/api/auth/refresh", json={"refresh_token": session.refresh_token})
    assert first.status_code == 200
    fresh = first.json()
    reuse = await client.post("/api/auth/refresh", json={"refresh_token": session.refresh_token})
    assert_error(reuse, 401, "device_revoked")
    # the legitimate holder's new tokens die with the device
    me = await client.get(
        "/api/auth/me", headers={"Authorization": f"Bearer {fresh['access_token']}"}
    )
    assert_error(me, 401, "device_revoked")
    newer = await client.post("/api/auth/refresh", json={"refresh_token": fresh["refresh_token"]})
    assert_error(newer, 401, "device_revoked")
    # other devices of the same user are untouched
    other = await login(client, "psy.a")
    assert (await other.get("/api/auth/me")).status_code == 200


async def test_unknown_refresh_token(client: Any) -> None:
    response = await client.post("/api/auth/refresh", json={"refresh_token": "made-up"})
    assert_error(response, 401, "invalid_token")


async def test_logout_revokes_this_device_only(client: Any) -> None:
    phone = await login(client, "gw.b1")
    tablet = await login(client, "gw.b1")
    response = await phone.post("/api/auth/logout")
    assert response.status_code == 204
    assert_error(await phone.get("/api/auth/me"), 401, "device_revoked")
    refresh = await client.post("/api/auth/refresh", json={"refresh_token": phone.refresh_token})
    assert_error(refresh, 401, "device_revoked")
    assert (await tablet.get("/api/auth/me")).status_code == 200


async def test_admin_revokes_a_lost_phone(client: Any) -> None:
    worker = await login(client, "gw.a1")
    admin = await login(client, "admin.a")
    devices = await admin.get(f"/api/admin/users/{worker.user_id}/devices")
    assert devices.status_code == 200
    assert worker.device_id in {d["id"] for d in devices.json()}
    revoke = await admin.post(f"/api/admin/devices/{worker.device_id}/revoke")
    assert revoke.status_code == 200, revoke.text
    error = assert_error(await worker.get("/api/auth/me"), 401, "device_revoked")
    assert error["details"]["reason"] == "revoked_by_admin"


async def test_admin_of_another_community_cannot_revoke(client: Any) -> None:
    worker = await login(client, "gw.a1")
    other_admin = await login(client, "admin.b")
    response = await other_admin.post(f"/api/admin/devices/{worker.device_id}/revoke")
    assert_error(response, 404, "not_found")
    assert (await worker.get("/api/auth/me")).status_code == 200
    grid_worker = await login(client, "gw.a2")
    response = await grid_worker.post(f"/api/admin/devices/{worker.device_id}/revoke")
    assert_error(response, 403, "forbidden")


async def test_repeated_failures_for_a_user_get_429_with_retry_after(client: Any) -> None:
    for _ in range(5):
        response = await client.post(
            "/api/auth/login", json={"username": "gw.a2", "password": "bad"}
        )
        assert_error(response, 401, "invalid_credentials")
    blocked = await client.post("/api/auth/login", json={"username": "gw.a2", "password": "bad"})
    assert_error(blocked, 429, "too_many_attempts")
    assert int(blocked.headers["retry-after"]) > 0
    # even the right password waits until the window ends
    right = await client.post(
        "/api/auth/login", json={"username": "gw.a2", "password": "doorstep-demo"}
    )
    assert_error(right, 429, "too_many_attempts")


async def test_repeated_failures_from_an_address_get_429(client: Any) -> None:
    for i in range(50):
        await client.post("/api/auth/login", json={"username": f"ghost{i}", "password": "x"})
    blocked = await client.post(
        "/api/auth/login", json={"username": "gw.a1", "password": "doorstep-demo"}
    )
    assert_error(blocked, 429, "too_many_attempts")
    assert "retry-after" in blocked.headers


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"[]",
        b'{"username": "gw.a1"}',
        b'{"username": 5, "password": "x"}',
        b'{"username": "gw.a1", "password": "doorstep-demo", "extra": 1}',
        b'{"username": "", "password": "x"}',
    ],
)
async def test_bad_login_bodies_are_400(client: Any, body: bytes) -> None:
    response = await client.post(
        "/api/auth/login", content=body, headers={"content-type": "application/json"}
    )
    assert_error(response, 400, "invalid_request")


async def test_oversize_body_is_413(client: Any) -> None:
    body = b'{"username": "gw.a1", "password": "' + b"x" * (1024 * 1024 + 10) + b'"}'
    response = await client.post(
        "/api/auth/login", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


async def test_security_headers_and_request_id(client: Any) -> None:
    response = await client.get("/health/live")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert len(response.headers["x-request-id"]) >= 16
    echoed = await client.get("/health/live", headers={"x-request-id": "abc-123"})
    assert echoed.headers["x-request-id"] == "abc-123"


async def test_health_and_openapi(client: Any) -> None:
    ready = await client.get("/health/ready")
    assert ready.status_code == 200
    assert ready.json()["checks"]["database"] == "ok"
    schema = await client.get("/schema/openapi.json")
    assert schema.status_code == 200
    assert "/api/auth/login" in schema.json()["paths"]


async def test_unknown_route_is_an_envelope(client: Any) -> None:
    session = await login(client, "gw.a1")
    assert_error(await session.get("/api/nothing/here"), 404, "not_found")


async def test_a_revoked_device_stops_receiving_pushes(client: Any) -> None:
    from datetime import UTC, datetime
    from uuid import UUID

    from server.notify.tables import PushSubscription

    worker = await login(client, "gw.a1")
    await PushSubscription.insert(
        PushSubscription(
            device_id=UUID(worker.device_id),
            user_id=UUID(worker.user_id),
            endpoint="https://push.example.invalid/abc",
            p256dh="BPublicKey",
            auth="secret",
            created_at=datetime.now(UTC),
        )
    )
    admin = await login(client, "admin.a")
    assert (await admin.post(f"/api/admin/devices/{worker.device_id}/revoke")).status_code == 200
    left = await PushSubscription.count().where(
        PushSubscription.device_id == UUID(worker.device_id)
    )
    assert left == 0
