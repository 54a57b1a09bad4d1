"""Staff contacts: the work phone an admin sets and its owner confirms, the language notices are
rendered in, and who can be reached by which channel. Kept out of the synced directory: no
device ever pulls a phone number.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from piccolo.query.functions.aggregate import Count, Max

from server.http.errors import ApiError
from server.notify.delivery import transaction, utcnow
from server.notify.tables import PushSubscription, SmsDelivery, SmsStatus, StaffContact
from server.notify.texts import LANGUAGES, language_or_default

C = StaffContact
#: a work mobile as people type it: digits, optionally a leading +, spaces and dashes dropped
_PHONE = re.compile(r"^\+?[0-9]{6,15}$")


def normalize_phone(raw: str) -> str:
    phone = re.sub(r"[\s-]", "", raw)
    if not _PHONE.match(phone):
        raise ApiError(
            422,
            "invalid_phone",
            "phone must be 6-15 digits, optionally with a leading + (手机号格式不正确)",
            {"field": "phone"},
        )
    return phone


def mask(phone: str | None) -> str | None:
    """What screens show: the last four digits only."""
    if not phone:
        return None
    return "*" * max(0, len(phone) - 4) + phone[-4:]


def as_moment(value: object) -> datetime | None:
    """An aggregate's timestamp: SQLite answers MAX() of a timestamp column as text."""
    if value is None:
        return None
    if isinstance(value, datetime):
        moment = value
    else:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


async def _upsert(user_id: UUID, values: dict[Any, Any]) -> None:
    now = utcnow()
    async with transaction():
        exists = await C.exists().where(C.user_id == user_id)
        if exists:
            await C.update({**values, C.updated_at: now}).where(C.user_id == user_id)
        else:
            row = C(user_id=user_id, updated_at=now)
            for column, value in values.items():
                setattr(row, column._meta.name, value)
            await C.insert(row)


async def get_contact(user_id: UUID) -> dict[str, Any] | None:
    row: dict[str, Any] | None = await C.select().where(C.user_id == user_id).first()
    return row


async def set_phone(user_id: UUID, phone: str | None, by: UUID) -> dict[str, Any]:
    """An admin sets (or clears) a staff member's work phone; its owner must confirm it again."""
    clean = normalize_phone(phone) if phone is not None else None
    await _upsert(
        user_id,
        {
            C.phone: clean,
            C.phone_set_by: by,
            C.phone_set_at: utcnow(),
            C.phone_confirmed_at: None,
        },
    )
    return await contact_view(user_id)


async def confirm_phone(user_id: UUID, phone: str) -> dict[str, Any]:
    """The owner confirms the number an admin set by typing it: a typo'd number shows here."""
    row = await get_contact(user_id)
    if row is None or not row["phone"]:
        raise ApiError(
            409, "no_phone", "no work phone was set for you; ask your admin (尚未登记手机号)"
        )
    if normalize_phone(phone) != row["phone"]:
        raise ApiError(
            422,
            "phone_mismatch",
            "that is not the number on your account (与登记的号码不一致)",
            {"field": "phone"},
        )
    await _upsert(user_id, {C.phone_confirmed_at: utcnow()})
    return await contact_view(user_id)


async def set_language(user_id: UUID, language: str) -> dict[str, Any]:
    if language not in LANGUAGES:
        raise ApiError(
            422, "validation", f"language is one of {', '.join(LANGUAGES)}", {"field": "language"}
        )
    await _upsert(user_id, {C.language: language})
    return await contact_view(user_id)


async def contact_view(user_id: UUID) -> dict[str, Any]:
    row = await get_contact(user_id) or {}
    devices = await PushSubscription.count().where(PushSubscription.user_id == user_id)
    return {
        "language": language_or_default(row.get("language")),
        "phone": mask(row.get("phone")),
        "phone_confirmed": row.get("phone_confirmed_at") is not None,
        "push_devices": devices,
    }


@dataclass(frozen=True, slots=True)
class Reach:
    push_devices: int
    last_push_success_at: datetime | None
    phone: str | None
    phone_confirmed: bool
    last_sms_receipt_at: datetime | None
    last_sms_failed_at: datetime | None


async def reachability(user_ids: Sequence[UUID]) -> dict[UUID, Reach]:
    """Per user: which channels work, from what actually happened (last successful push, last
    SMS delivery receipt), not from what is configured."""
    ids = list(user_ids)
    if not ids:
        return {}
    S, M = PushSubscription, SmsDelivery
    push = {
        r["user_id"]: r
        for r in await S.select(
            S.user_id, Count(S.device_id, alias="n"), Max(S.last_success_at, alias="last")
        )
        .where(S.user_id.is_in(ids))
        .group_by(S.user_id)
    }
    delivered = {
        r["user_id"]: as_moment(r["last"])
        for r in await M.select(M.user_id, Max(M.receipt_at, alias="last"))
        .where(M.user_id.is_in(ids), M.receipt_status == "delivered")
        .group_by(M.user_id)
    }
    failed = {
        r["user_id"]: as_moment(r["last"])
        for r in await M.select(M.user_id, Max(M.finished_at, alias="last"))
        .where(M.user_id.is_in(ids), M.status == SmsStatus.FAILED)
        .group_by(M.user_id)
    }
    contacts = {r["user_id"]: r for r in await C.select().where(C.user_id.is_in(ids))}
    out: dict[UUID, Reach] = {}
    for user in ids:
        p, c = push.get(user), contacts.get(user) or {}
        out[user] = Reach(
            push_devices=int(p["n"]) if p else 0,
            last_push_success_at=as_moment(p["last"]) if p else None,
            phone=c.get("phone"),
            phone_confirmed=c.get("phone_confirmed_at") is not None,
            last_sms_receipt_at=delivered.get(user),
            last_sms_failed_at=failed.get(user),
        )
    return out
