"""Accounts and devices: login, refresh-token rotation with reuse detection, logout, revocation,
the login rate limiter, and user administration.  The only code that queries these tables."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from server.accounts import security
from server.accounts.principal import Principal
from server.accounts.tables import Device, RefreshToken, User
from server.accounts.throttle import LoginThrottler
from server.db import write_transaction
from server.http.errors import ApiError
from server.notify.services import SubscriptionService
from server.replication.directory import write_directory
from server.settings import Settings


def now_utc() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    device_id: UUID
    user: dict[str, Any]


def user_summary(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(row["id"]),
        "username": row["username"],
        "display_name": row["display_name"],
        "role": row["role"],
        "org_unit_id": str(row["org_unit_id"]) if row["org_unit_id"] else None,
    }


class AccountService:
    def __init__(self, settings: Settings, secret_key: str) -> None:
        self.settings = settings
        self.secret_key = secret_key
        self.throttle = LoginThrottler(
            settings.login_window_seconds,
            per_account=settings.login_max_failures,
            per_address=settings.login_max_failures_per_address,
        )

    # -- login and tokens -------------------------------------------------------------------
    async def login(
        self, username: str, password: str, device_name: str, address: str
    ) -> TokenPair:
        verdict = await self.throttle.count_attempt(username, address)
        if not verdict.allowed:
            raise ApiError(
                429,
                "too_many_attempts",
                f"登录失败次数过多，请 {verdict.retry_after} 秒后再试 (too many failed logins)",
                {"retry_after": verdict.retry_after},
                headers={"Retry-After": str(verdict.retry_after)},
            )
        rows = await User.select().where(User.username == username, User.deleted.eq(False))
        row = rows[0] if rows else None
        ok = await security.verify_password_async(row["password_hash"] if row else None, password)
        if not ok or row is None or not row["active"]:
            raise ApiError(
                401, "invalid_credentials", "用户名或密码错误 (wrong username or password)"
            )
        await self.throttle.succeeded(username, address)
        device_id = uuid.uuid4()
        async with write_transaction():
            await Device.insert(
                Device(
                    id=device_id,
                    user_id=row["id"],
                    name=device_name[:200],
                    created_at=now_utc(),
                    last_seen_at=now_utc(),
                )
            )
            refresh = await self._new_refresh_token(device_id)
        return self._pair(row, device_id, refresh)

    async def refresh(self, refresh_token: str) -> TokenPair:
        digest = security.token_digest(refresh_token)
        reused_on: UUID | None = None
        async with write_transaction():
            rows = await RefreshToken.select().where(RefreshToken.token_hash == digest)
            if not rows:
                raise ApiError(401, "invalid_token", "the refresh token is not valid")
            token = rows[0]
            device = await self._device(token["device_id"])
            if device is None or device["revoked_at"] is not None:
                raise ApiError(401, "device_revoked", "this device has been signed out")
            claimed = []
            if token["used_at"] is None:
                claimed = (
                    await RefreshToken.update({RefreshToken.used_at: now_utc()})
                    .where(RefreshToken.token_hash == digest, RefreshToken.used_at.is_null())
                    .returning(RefreshToken.token_hash)
                )
            if not claimed:
                # A used token coming back means two holders: revoke the device (committed
                # below, outside this transaction, which the error would roll back).
                reused_on = token["device_id"]
            else:
                if _aware(token["expires_at"]) < now_utc():
                    raise ApiError(
                        401, "token_expired", "the refresh token has expired; log in again"
                    )
                user = await self._user(device["user_id"])
                if user is None or not user["active"]:
                    raise ApiError(401, "user_inactive", "this account has been disabled")
                new_refresh = await self._new_refresh_token(token["device_id"])
        if reused_on is not None:
            await self.revoke_device(reused_on, "refresh_token_reuse")
            raise ApiError(
                401,
                "device_revoked",
                "this refresh token was already used; the device has been signed out",
                {"reason": "refresh_token_reuse"},
            )
        assert user is not None
        return self._pair(user, token["device_id"], new_refresh)

    async def logout(self, device_id: UUID) -> None:
        async with write_transaction():
            await self._revoke(device_id, "logout")

    async def authenticate(self, access_token: str) -> Principal:
        """The caller of an API request, or an ApiError 401 saying why not."""
        try:
            claims = security.read_access_token(self.secret_key, access_token)
        except security.TokenError as exc:
            raise ApiError(401, exc.code, exc.message) from exc
        return await self.principal_of(claims)

    async def principal_of(self, claims: security.AccessClaims) -> Principal:
        """The user and device named by verified claims (an access token's, or a live stream
        ticket's), or an ApiError 401 when the device is signed out or the user disabled."""
        # One round trip: every API request pays for this lookup.
        rows = await Device.raw(
            "SELECT d.user_id, d.revoked_at, d.revoked_reason, u.username, u.display_name,"
            " u.role, u.org_unit_id, u.active, u.deleted, u.scope_epoch"
            " FROM devices d JOIN users u ON u.id = d.user_id WHERE d.id = {}",
            claims.device_id,
        )
        row = rows[0] if rows else None
        if row is None or _as_uuid(row["user_id"]) != claims.user_id:
            raise ApiError(401, "invalid_token", "the access token is not valid")
        if row["revoked_at"] is not None:
            raise ApiError(
                401,
                "device_revoked",
                "this device has been signed out; its local data must be wiped",
                {"reason": row["revoked_reason"]},
            )
        if not row["active"] or row["deleted"]:
            raise ApiError(401, "user_inactive", "this account has been disabled")
        return Principal(
            user_id=claims.user_id,
            device_id=claims.device_id,
            username=row["username"],
            role=row["role"],
            org_unit_id=_as_uuid(row["org_unit_id"]),
            display_name=row["display_name"],
            scope_epoch=int(row["scope_epoch"] or 0),
        )

    # -- administration ---------------------------------------------------------------------
    async def list_users(self) -> list[dict[str, Any]]:
        rows = (
            await User.select(
                User.id, User.username, User.display_name, User.role, User.org_unit_id, User.active
            )
            .where(User.deleted.eq(False))
            .order_by(User.username)
        )
        return [{**user_summary(r), "active": r["active"]} for r in rows]

    async def get_user(self, user_id: UUID) -> dict[str, Any] | None:
        return await self._user(user_id)

    async def create_user(
        self,
        *,
        username: str,
        password: str,
        display_name: str,
        role: str,
        org_unit_id: UUID | None,
        actor: Principal | None = None,
    ) -> dict[str, Any]:
        if await User.exists().where(User.username == username):
            raise ApiError(409, "username_taken", f"username {username!r} is already taken")
        user_id = uuid.uuid4()
        password_hash = await security.hash_password_async(password)
        try:
            await self._insert_user(
                user_id, username, display_name, role, org_unit_id, password_hash, actor
            )
        except Exception as exc:
            # Two admins creating one username at once both pass the check above; the unique
            # index lets one in, and the other is told the name is taken, not a 500.
            if not _is_unique_violation(exc):
                raise
            raise ApiError(
                409, "username_taken", f"username {username!r} is already taken"
            ) from exc
        row = await self._user(user_id)
        assert row is not None
        return {**user_summary(row), "active": True}

    async def _insert_user(
        self,
        user_id: UUID,
        username: str,
        display_name: str,
        role: str,
        org_unit_id: UUID | None,
        password_hash: str,
        actor: Principal | None,
    ) -> None:
        async with write_transaction():
            await write_directory(
                User,
                "users",
                user_id,
                {
                    "username": username,
                    "display_name": display_name,
                    "role": role,
                    "org_unit_id": org_unit_id,
                    "password_hash": password_hash,
                    "active": True,
                },
                actor_id=actor.user_id if actor else None,
                device_id=actor.device_id if actor else None,
                create=True,
            )

    async def update_user(
        self, user_id: UUID, changes: dict[str, Any], actor: Principal
    ) -> dict[str, Any]:
        row = await self._user(user_id)
        if row is None:
            raise ApiError(404, "not_found", "no such user")
        changed = {k: v for k, v in changes.items() if row.get(k) != v}
        if changed:
            if "role" in changed or "org_unit_id" in changed:
                # Their devices rebuild their local store on the next pull (reset + evict).
                changed["scope_epoch"] = int(row["scope_epoch"]) + 1
            async with write_transaction():
                await write_directory(
                    User,
                    "users",
                    user_id,
                    changed,
                    actor_id=actor.user_id,
                    device_id=actor.device_id,
                )
                if changed.get("active") is False:
                    for device in await Device.select(Device.id).where(
                        Device.user_id == user_id, Device.revoked_at.is_null()
                    ):
                        await self._revoke(device["id"], "user_disabled")
        updated = await self._user(user_id)
        assert updated is not None
        return {**user_summary(updated), "active": updated["active"]}

    async def list_devices(self, user_id: UUID) -> list[dict[str, Any]]:
        rows = await Device.select().where(Device.user_id == user_id).order_by(Device.created_at)
        return [
            {
                "id": str(r["id"]),
                "name": r["name"],
                "created_at": _iso(r["created_at"]),
                "last_seen_at": _iso(r["last_seen_at"]),
                "revoked_at": _iso(r["revoked_at"]),
                "revoked_reason": r["revoked_reason"],
            }
            for r in rows
        ]

    async def device_owner(self, device_id: UUID) -> UUID | None:
        device = await self._device(device_id)
        return device["user_id"] if device else None

    async def revoke_device(self, device_id: UUID, reason: str = "revoked_by_admin") -> None:
        async with write_transaction():
            await self._revoke(device_id, reason)

    # -- helpers ----------------------------------------------------------------------------
    def _pair(self, user: dict[str, Any], device_id: UUID, refresh: str) -> TokenPair:
        ttl = self.settings.access_token_seconds
        access = security.issue_access_token(self.secret_key, user["id"], device_id, ttl)
        return TokenPair(access, refresh, ttl, device_id, user_summary(user))

    async def _new_refresh_token(self, device_id: UUID) -> str:
        token = security.new_refresh_token()
        await RefreshToken.insert(
            RefreshToken(
                token_hash=security.token_digest(token),
                device_id=device_id,
                created_at=now_utc(),
                expires_at=now_utc() + timedelta(days=self.settings.refresh_token_days),
            )
        )
        return token

    async def _revoke(self, device_id: UUID, reason: str) -> None:
        await Device.update({Device.revoked_at: now_utc(), Device.revoked_reason: reason}).where(
            Device.id == device_id, Device.revoked_at.is_null()
        )
        await RefreshToken.update({RefreshToken.used_at: now_utc()}).where(
            RefreshToken.device_id == device_id, RefreshToken.used_at.is_null()
        )
        # A lost or signed-out phone must stop receiving pushes at once.
        await SubscriptionService().remove_devices([device_id])

    async def _device(self, device_id: UUID) -> dict[str, Any] | None:
        rows = await Device.select().where(Device.id == device_id)
        return rows[0] if rows else None

    async def _user(self, user_id: UUID) -> dict[str, Any] | None:
        rows = await User.select().where(User.id == user_id, User.deleted.eq(False))
        return rows[0] if rows else None


def _is_unique_violation(exc: BaseException) -> bool:
    """A unique-index violation on either engine (sqlite3 and asyncpg name it differently)."""
    import sqlite3

    import asyncpg

    return isinstance(exc, asyncpg.UniqueViolationError) or (
        isinstance(exc, sqlite3.IntegrityError) and "UNIQUE" in str(exc)
    )


def _as_uuid(value: Any) -> UUID | None:
    if value is None:
        return None
    return value if isinstance(value, UUID) else UUID(str(value))


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return _aware(value).astimezone(UTC).isoformat().replace("+00:00", "Z")
