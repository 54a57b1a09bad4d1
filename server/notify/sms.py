"""The SMS channel's outbox: hold, release (acknowledged, capped or due), send, settle, receipts.

A red warning or a dispatch order writes, per recipient with a phone number, one `SmsDelivery`
row in the same transaction as the notice. The row is **held** while the recipient's push has a
chance: until `hold_until` (DOORSTEP_SMS_SILENCE_SECONDS, default 5 minutes) when they have a
push subscription, not at all when they have none. The scheduled job (`server/inbox/escalation.py`,
with a controllable clock) releases held rows whose time ran out: cancelled when the recipient
acknowledged meanwhile, `capped` when their org unit used its SMS for the day and it is not red,
otherwise pending. A push that cannot be delivered ends the hold early.

Pending rows are delivered like push rows (`delivery.py`): a conditional claim, one request each,
every attempt recorded, transient answers retried with backoff (or the gateway's Retry-After),
a permanent 4xx recorded as failed. The gateway gets an idempotency key per row, so a request
retried after a lost answer is not delivered twice by a platform that honours it.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

from piccolo.engine.postgres import PostgresEngine
from piccolo.query.functions.aggregate import Count

from server.notify.channels import SmsChannel, SmsMessage, describe
from server.notify.delivery import retry_delay, transaction, utcnow
from server.notify.policy import policy
from server.notify.tables import PushSubscription, SmsAttempt, SmsDelivery, SmsStatus, StaffContact
from server.notify.texts import format_param, language_or_default, sms_template_name
from server.notify.webpush import Outcome
from server.settings import get_settings

M = SmsDelivery
SHANGHAI = ZoneInfo("Asia/Shanghai")
#: what an SMS may say: these parameters and nothing else (no names, no places, no phones)
SMS_PARAMS = ("level", "code")
LEVELS = ("red", "order")
#: statuses that used up a unit's daily allowance
COUNTED = (SmsStatus.PENDING, SmsStatus.SENT, SmsStatus.FAILED)
_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read off a phone screen


def new_code() -> str:
    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(8))


def beijing_day(moment: datetime) -> str:
    return moment.astimezone(SHANGHAI).date().isoformat()


@dataclass(frozen=True, slots=True)
class SmsNotice:
    """An SMS to send if the push goes unanswered (what `enqueue_sms` needs to know)."""

    user_id: UUID
    org_unit_id: UUID | None
    notification_id: str
    level: str
    template: str
    url: str = ""
    ack_collection: str | None = None
    ack_id: str | None = None


async def has_push(user_ids: Sequence[UUID]) -> set[UUID]:
    """Users with at least one push subscription (one that failed for good was deleted)."""
    if not user_ids:
        return set()
    rows = await PushSubscription.select(PushSubscription.user_id).where(
        PushSubscription.user_id.is_in(list(user_ids))
    )
    return {row["user_id"] for row in rows}


async def phones(user_ids: Sequence[UUID]) -> dict[UUID, dict[str, Any]]:
    if not user_ids:
        return {}
    rows = await StaffContact.select(
        StaffContact.user_id, StaffContact.phone, StaffContact.language
    ).where(StaffContact.user_id.is_in(list(user_ids)))
    return {row["user_id"]: row for row in rows}


async def enqueue_sms(notices: Sequence[SmsNotice], *, now: datetime) -> int:
    """Write the SMS rows of these notices in the caller's transaction; returns how many are due
    at once (their recipient has no push subscription to wait for). Recipients without a phone
    number get no row: the admin view shows them as unreachable by SMS."""
    if not notices:
        return 0
    if not M._meta.db.transaction_exists():
        raise RuntimeError("enqueue_sms must run inside the caller's transaction")
    users = sorted({n.user_id for n in notices})
    contacts = await phones(users)
    pushable = await has_push(users)
    silence = timedelta(seconds=get_settings().sms_silence_seconds)
    due = 0
    for notice in notices:
        if notice.level not in LEVELS:
            raise ValueError(f"SMS level is one of {LEVELS}")
        contact = contacts.get(notice.user_id)
        if contact is None or not contact["phone"]:
            continue
        code = new_code()
        waits = notice.user_id in pushable
        rows = await M.insert(
            M(
                user_id=notice.user_id,
                org_unit_id=notice.org_unit_id,
                notification_id=notice.notification_id,
                ack_collection=notice.ack_collection,
                ack_id=notice.ack_id,
                level=notice.level,
                template=notice.template,
                params={"level": notice.level, "code": code},
                code=code,
                url=notice.url,
                idempotency_key=uuid4(),
                status=SmsStatus.HELD,
                hold_until=now + silence,
                next_attempt_at=now,
                created_at=now,
            )
        ).returning(M.id)
        if not waits:
            # Nothing to wait for: red warnings and orders go by SMS at once.
            released = await _release_one(int(rows[0]["id"]), notice.level, notice.org_unit_id, now)
            due += int(released)
    return due


#: (row) -> whether its recipient acknowledged the notice; supplied by the inbox domain
AckCheck = Callable[[dict[str, Any]], Awaitable[bool]]


async def release(ids: Sequence[int], now: datetime, acknowledged: AckCheck) -> list[int]:
    """Settle held rows whose wait is over: cancelled (acknowledged), capped, or pending (due
    now). Runs in its own transaction; returns the ids to send."""
    if not ids:
        return []
    due: list[int] = []
    async with transaction():
        rows = await M.select().where(M.id.is_in(list(ids)), M.status == SmsStatus.HELD)
        for row in sorted(rows, key=lambda r: int(r["id"])):
            if await acknowledged(row):
                await _finish(row["id"], SmsStatus.CANCELLED, "acknowledged before the SMS", now)
            elif await _release_one(int(row["id"]), row["level"], row["org_unit_id"], now):
                due.append(int(row["id"]))
    return due


async def _release_one(delivery_id: int, level: str, unit: UUID | None, now: datetime) -> bool:
    """Count one SMS against its unit's day, or refuse it past the cap (red always goes)."""
    cap = get_settings().sms_daily_cap
    day = beijing_day(now)
    if isinstance(M._meta.db, PostgresEngine):
        # One unit's day is counted by one transaction at a time, so two releases running at
        # once cannot both take the last SMS of the allowance (SQLite serialises writers anyway).
        await M.raw("SELECT pg_advisory_xact_lock(hashtext({}))", f"sms-cap/{unit}/{day}")
    used = await M.count().where(
        M.org_unit_id.is_null() if unit is None else M.org_unit_id == unit,
        M.day == day,
        M.status.is_in(list(COUNTED)),
    )
    if used >= cap and level != "red":
        await M.update({M.day: day}).where(M.id == delivery_id)
        await _finish(delivery_id, SmsStatus.CAPPED, f"daily SMS cap of {cap} reached", now)
        return False
    await M.update(
        {
            M.status: SmsStatus.PENDING,
            M.hold_until: None,
            M.day: day,
            # due at once on the real clock (the release may run with a test's clock)
            M.next_attempt_at: utcnow(),
        }
    ).where(M.id == delivery_id)
    return True


async def _finish(delivery_id: int, status: str, why: str, now: datetime) -> None:
    await M.update(
        {M.status: status, M.hold_until: None, M.last_error: why, M.finished_at: now}
    ).where(M.id == delivery_id)


async def held_until(now: datetime) -> list[int]:
    """Held rows whose wait ran out at `now`."""
    rows = await M.select(M.id).where(M.status == SmsStatus.HELD, M.hold_until <= now)
    return [int(row["id"]) for row in rows]


async def end_hold(user_id: UUID, notification_id: str, now: datetime) -> None:
    """The push of this notice could not reach this user: stop waiting for it."""
    await M.update({M.hold_until: now}).where(
        M.user_id == user_id,
        M.notification_id == notification_id,
        M.status == SmsStatus.HELD,
        M.hold_until > now,
    )


async def cancel_for_ack(user_id: UUID, notification_id: str, now: datetime) -> int:
    """The user opened the notice (or acknowledged it in the app): its held SMS is not needed."""
    rows = (
        await M.update(
            {
                M.status: SmsStatus.CANCELLED,
                M.hold_until: None,
                M.last_error: "acknowledged before the SMS",
                M.finished_at: now,
            }
        )
        .where(
            M.user_id == user_id,
            M.notification_id == notification_id,
            M.status == SmsStatus.HELD,
        )
        .returning(M.id)
    )
    return len(rows)


# --- sending ------------------------------------------------------------------------------------


@dataclass
class SmsReport:
    sent: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    retry: dict[int, float] = field(default_factory=dict)
    skipped: list[int] = field(default_factory=list)


def channel_from_settings() -> SmsChannel | None:
    settings = get_settings()
    if not settings.sms_url or not settings.sms_key:
        return None
    return SmsChannel(settings.sms_url, settings.sms_key, settings.sms_sender)


async def due_sms(*, grace_seconds: float = 0, limit: int = 100) -> list[int]:
    now = utcnow()
    rows = (
        await M.select(M.id)
        .where(
            M.status == SmsStatus.PENDING,
            M.next_attempt_at <= now - timedelta(seconds=grace_seconds),
            M.claimed_until.is_null() | (M.claimed_until < now),
        )
        .order_by(M.next_attempt_at)
        .limit(limit)
    )
    return [int(row["id"]) for row in rows]


async def _claim(ids: list[int], token: UUID, now: datetime) -> list[dict[str, Any]]:
    async with transaction():
        await M.update(
            {
                M.claim_token: token,
                M.claimed_until: now + timedelta(seconds=policy().lease_seconds),
                M.attempts: M.attempts + 1,
            }
        ).where(
            M.id.is_in(ids),
            M.status == SmsStatus.PENDING,
            M.next_attempt_at <= now + timedelta(seconds=2),
            M.claimed_until.is_null() | (M.claimed_until < now),
        )
        rows: list[dict[str, Any]] = (
            await M.select().where(M.claim_token == token).output(load_json=True)
        )
    return rows


def sms_params(row: dict[str, Any], language: str) -> dict[str, str]:
    """The template parameters as sent: the level in the recipient's language and the code."""
    params = row["params"] or {}
    if isinstance(params, str):
        params = json.loads(params)
    return {name: format_param(name, params.get(name), language) for name in SMS_PARAMS}


async def deliver_sms_async(ids: Sequence[int], channel: SmsChannel | None = None) -> SmsReport:
    """Claim these pending rows, send each once, record the attempt and settle the row."""
    report = SmsReport()
    wanted = sorted({int(i) for i in ids})
    if not wanted:
        return report
    own = channel is None
    channel = channel or channel_from_settings()
    try:
        knobs = policy()
        token = uuid4()
        now = utcnow()
        rows = await _claim(wanted, token, now)
        claimed = {int(r["id"]) for r in rows}
        report.skipped = [i for i in wanted if i not in claimed]
        contacts = await phones(sorted({r["user_id"] for r in rows}))
        for row in rows:
            contact = contacts.get(row["user_id"])
            if channel is None or contact is None or not contact["phone"]:
                why = "no phone number" if channel else "SMS gateway not configured"
                await _settle(token, row, Outcome.FAILED, None, why, 0.0, report)
                continue
            language = language_or_default(contact["language"])
            message = SmsMessage(
                to=contact["phone"],
                template=sms_template_name(row["template"], language),
                params=sms_params(row, language),
                idempotency_key=str(row["idempotency_key"]),
            )
            res = await channel.send(message)
            outcome = channel.classify(res)
            error = describe(res, outcome)
            retry_in = 0.0
            if outcome is Outcome.RETRY:
                if int(row["attempts"]) >= knobs.max_attempts:
                    outcome, error = Outcome.FAILED, f"attempts exhausted; last: {error}"[:200]
                else:
                    retry_in = retry_delay(res, int(row["attempts"]), knobs)
            await _settle(token, row, outcome, res, error, retry_in, report)
    finally:
        if own and channel is not None:
            await channel.close()
    return report


async def _settle(
    token: UUID,
    row: dict[str, Any],
    outcome: Outcome,
    res: Any,
    error: str | None,
    retry_in: float,
    report: SmsReport,
) -> None:
    now = utcnow()
    delivery_id = int(row["id"])
    values: dict[Any, Any] = {
        M.claim_token: None,
        M.claimed_until: None,
        M.last_status_code: res.status_code if res is not None else None,
        M.last_error: error,
    }
    if outcome is Outcome.SENT:
        values.update({M.status: SmsStatus.SENT, M.finished_at: now})
        report.sent.append(delivery_id)
    elif outcome is Outcome.RETRY:
        values.update({M.next_attempt_at: now + timedelta(seconds=retry_in)})
        report.retry[delivery_id] = retry_in
    else:
        values.update({M.status: SmsStatus.FAILED, M.finished_at: now})
        report.failed.append(delivery_id)
    async with transaction():
        await SmsAttempt.insert(
            SmsAttempt(
                delivery=delivery_id,
                at=now,
                status_code=res.status_code if res is not None else None,
                error=error,
                duration_ms=res.duration_ms if res is not None else 0,
                outcome=outcome.value,
            )
        )
        await M.update(values).where(M.id == delivery_id, M.claim_token == token)


# --- receipts and counts ------------------------------------------------------------------------

RECEIPT_STATUSES = ("delivered", "failed")


async def record_receipt(idempotency_key: UUID, status: str, at: datetime) -> bool | None:
    """The platform's delivery receipt. None: no such message; False: a duplicate (the first
    receipt stands, nothing changes); True: recorded."""
    row = await M.select(M.id, M.receipt_status).where(M.idempotency_key == idempotency_key).first()
    if row is None:
        return None
    changed = (
        await M.update({M.receipt_status: status, M.receipt_at: at})
        .where(M.id == row["id"], M.receipt_status.is_null())
        .returning(M.id)
    )
    return bool(changed)


async def daily_counts(
    unit_ids: Sequence[UUID] | None, since_day: str, until_day: str
) -> list[dict[str, Any]]:
    """SMS per org unit and Beijing day, by outcome: what the command view shows."""
    query = M.select(M.org_unit_id, M.day, M.status, M.level, Count(M.id, alias="n")).where(
        M.day >= since_day, M.day <= until_day
    )
    if unit_ids is not None:
        query = query.where(M.org_unit_id.is_in(list(unit_ids)))
    rows = await query.group_by(M.org_unit_id, M.day, M.status, M.level)
    return list(rows)


async def code_target(code: str, user_id: UUID) -> str | None:
    """Where an SMS's short code leads, for its recipient only (anyone else: None)."""
    row = await M.select(M.url).where(M.code == code.upper(), M.user_id == user_id).first()
    return str(row["url"]) if row is not None else None
