"""Request and response bodies of the accounts endpoints (msgspec, unknown fields refused)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import msgspec

from sync.schema import ROLES

Role = Annotated[str, msgspec.Meta(pattern="^(" + "|".join(ROLES.split()) + ")$")]
Username = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")]
Password = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class LoginRequest(msgspec.Struct, forbid_unknown_fields=True):
    username: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    password: Password
    device_name: Annotated[str, msgspec.Meta(max_length=200)] = "未命名设备"


class RefreshRequest(msgspec.Struct, forbid_unknown_fields=True):
    refresh_token: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class UserOut(msgspec.Struct):
    id: str
    username: str
    display_name: str
    role: str
    org_unit_id: str | None


class TokenResponse(msgspec.Struct):
    access_token: str
    refresh_token: str
    expires_in: int
    device_id: str
    user: UserOut


class CreateUserRequest(msgspec.Struct, forbid_unknown_fields=True):
    username: Username
    password: Annotated[str, msgspec.Meta(min_length=8, max_length=200)]
    display_name: Name
    role: Role
    org_unit_id: UUID


class UpdateUserRequest(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    display_name: Name | msgspec.UnsetType = msgspec.UNSET
    role: Role | msgspec.UnsetType = msgspec.UNSET
    org_unit_id: UUID | msgspec.UnsetType = msgspec.UNSET
    active: bool | msgspec.UnsetType = msgspec.UNSET


class AdminUserOut(msgspec.Struct):
    id: str
    username: str
    display_name: str
    role: str
    org_unit_id: str | None
    active: bool


class DeviceOut(msgspec.Struct):
    id: str
    name: str
    created_at: str | None
    last_seen_at: str | None
    revoked_at: str | None
    revoked_reason: str | None
