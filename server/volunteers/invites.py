"""Invite codes: a community admin makes a single-use code (shown once, with its QR code); a
person redeems it on the public join page and becomes a volunteer of that community.

Codes are 12 characters from an alphabet without look-alikes (31^12 ≈ 7.9e17, from `secrets`);
only their sha256 is stored.  Redeeming claims the code and creates the account in one
transaction (`UPDATE ... WHERE redeemed_at IS NULL` lets exactly one redeemer in), so a code
used twice at once makes one account.  The join endpoint is rate-limited per client address
(counted before the code is checked), so codes cannot be guessed by trying.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import segno

from server.accounts import security
from server.accounts.tables import User
from server.accounts.throttle import LoginThrottler
from server.db import write_transaction
from server.http.errors import ApiError
from server.replication.directory import write_directory
from server.times import utc_iso
from server.volunteers.directory import VOLUNTEER_ROLE
from server.volunteers.tables import VolunteerInvite, VolunteerProfile

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 12
INVITE_DAYS = 14
#: join attempts per client address per window (success or not)
JOIN_ATTEMPTS = 10
JOIN_WINDOW_SECONDS = 900

_throttle = LoginThrottler(JOIN_WINDOW_SECONDS, per_account=1_000_000, per_address=JOIN_ATTEMPTS)


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalise(code: str) -> str:
    """What people type: lower case, spaces and dashes between groups are forgiven."""
    return code.strip().upper().replace("-", "").replace(" ", "")


def digest(code: str) -> str:
    return hashlib.sha256(normalise(code).encode()).hexdigest()


def qr_svg_data_uri(text: str) -> str:
    svg = segno.make(text, error="m").svg_inline(scale=4)
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


async def create_invite(community_id: UUID, actor: UUID, public_url: str) -> dict[str, Any]:
    code = new_code()
    invite_id = uuid.uuid4()
    now = datetime.now(UTC)
    await VolunteerInvite.insert(
        VolunteerInvite(
            id=invite_id,
            code_hash=digest(code),
            community_id=community_id,
            created_by=actor,
            created_at=now,
            expires_at=now + timedelta(days=INVITE_DAYS),
        )
    )
    join_url = f"{public_url.rstrip('/')}/#/join?code={code}"
    return {
        "id": str(invite_id),
        "code": code,
        "community_id": str(community_id),
        "expires_at": _iso(now + timedelta(days=INVITE_DAYS)),
        "join_url": join_url,
        "qr_svg": qr_svg_data_uri(join_url),
    }


async def list_invites(community_ids: list[UUID]) -> list[dict[str, Any]]:
    rows = (
        await VolunteerInvite.select()
        .where(VolunteerInvite.community_id.is_in(community_ids))
        .order_by(VolunteerInvite.created_at, ascending=False)
        .limit(500)
    )
    return [
        {
            "id": str(r["id"]),
            "community_id": str(r["community_id"]),
            "created_at": _iso(r["created_at"]),
            "expires_at": _iso(r["expires_at"]),
            "redeemed_at": _iso(r["redeemed_at"]),
            "redeemed_by": str(r["redeemed_by"]) if r["redeemed_by"] else None,
        }
        for r in rows
    ]


async def redeem(
    *, code: str, username: str, password: str, display_name: str, show_name: bool, address: str
) -> dict[str, Any]:
    verdict = await _throttle.count_attempt("#volunteer-join", address)
    if not verdict.allowed:
        raise ApiError(
            429,
            "too_many_attempts",
            f"尝试次数过多，请 {verdict.retry_after} 秒后再试 (too many attempts)",
            {"retry_after": verdict.retry_after},
            headers={"Retry-After": str(verdict.retry_after)},
        )
    if await User.exists().where(User.username == username):
        raise ApiError(409, "username_taken", f"用户名 {username!r} 已被使用 (username taken)")
    password_hash = await security.hash_password_async(password)
    user_id = uuid.uuid4()
    now = datetime.now(UTC)
    try:
        async with write_transaction():
            claimed = (
                await VolunteerInvite.update(
                    {VolunteerInvite.redeemed_at: now, VolunteerInvite.redeemed_by: user_id}
                )
                .where(
                    VolunteerInvite.code_hash == digest(code),
                    VolunteerInvite.redeemed_at.is_null(),
                    VolunteerInvite.expires_at > now,
                )
                .returning(VolunteerInvite.id, VolunteerInvite.community_id)
            )
            if not claimed:
                raise ApiError(
                    404,
                    "invalid_code",
                    "邀请码无效、已使用或已过期 (the invite code is unknown, used or expired)",
                )
            community = claimed[0]["community_id"]
            await write_directory(
                User,
                "users",
                user_id,
                {
                    "username": username,
                    "display_name": display_name,
                    "role": VOLUNTEER_ROLE,
                    "org_unit_id": community,
                    "password_hash": password_hash,
                    "active": True,
                },
                create=True,
            )
            await VolunteerProfile.insert(
                VolunteerProfile(
                    user_id=user_id,
                    community_id=community,
                    invite_id=claimed[0]["id"],
                    joined_at=now,
                    show_name=show_name,
                )
            )
    except ApiError:
        raise
    except Exception as exc:
        if "unique" not in str(exc).lower():
            raise
        raise ApiError(
            409, "username_taken", f"用户名 {username!r} 已被使用 (username taken)"
        ) from exc
    return {
        "id": str(user_id),
        "username": username,
        "display_name": display_name,
        "role": VOLUNTEER_ROLE,
        "org_unit_id": str(community),
    }


def _iso(value: Any) -> str | None:
    return utc_iso(value, "seconds")
