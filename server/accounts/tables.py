"""Accounts, their devices and refresh tokens, and the login rate limiter's counters."""

from __future__ import annotations

from piccolo.columns import UUID, BigInt, Boolean, Integer, Timestamptz, Varchar
from piccolo.table import Table

from server.records.columns import SyncedColumns


class User(SyncedColumns, Table, tablename="users"):
    username = Varchar(length=64, unique=True)
    display_name = Varchar(length=200)
    role = Varchar(length=32)
    org_unit_id = UUID(null=True, default=None, index=True)
    password_hash = Varchar(length=200, secret=True)
    active = Boolean(default=True)
    #: bumped when the user's role or org unit changes, so their devices rebuild their scope
    scope_epoch = Integer(default=0)


class Device(Table, tablename="devices"):
    id = UUID(primary_key=True)
    user_id = UUID(index=True)
    name = Varchar(length=200)
    created_at = Timestamptz()
    last_seen_at = Timestamptz(null=True, default=None)
    revoked_at = Timestamptz(null=True, default=None)
    revoked_reason = Varchar(length=64, null=True, default=None)
    #: the highest mutation `seq` the server has answered for this device
    last_seq = BigInt(default=0)


class RefreshToken(Table, tablename="refresh_tokens"):
    """Only the sha256 of a token is stored; a used token presented again revokes the device."""

    token_hash = Varchar(length=64, unique=True)
    device_id = UUID(index=True)
    created_at = Timestamptz()
    expires_at = Timestamptz()
    used_at = Timestamptz(null=True, default=None)


class LoginThrottle(Table, tablename="login_throttle"):
    """Failed logins per key ("user:<name>" or "addr:<ip>") in a fixed window."""

    key = Varchar(length=300, unique=True)
    window_start = Timestamptz()
    failures = Integer(default=0)
