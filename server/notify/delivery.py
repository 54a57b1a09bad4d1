"""Deliver a batch of outbox rows: claim, send, settle. The one delivery function.

Celery tasks (`tasks.py`) and the embedded deliverer (`local.py`) both call `deliver_batch`.
Idempotence comes from the claim: a conditional UPDATE stamps the rows that are still pending,
due and unclaimed (or whose lease lapsed) with a fresh token, and only rows carrying that token
are sent and settled. A task that runs twice, or two workers given the same ids, send each row
once. A worker that dies holding a claim leaves rows whose lease lapses; the sweep queues them
again (at-least-once: a message that was on the wire when the worker died may arrive twice).
"""

from __future__ import annotations

import asyncio
import json
import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from piccolo.engine.sqlite import SQLiteEngine, TransactionType

import server.notify.runner as runner
import server.notify.webpush as webpush
from server.notify.channels import WebPushChannel
from server.notify.policy import DeliveryPolicy, policy
from server.notify.tables import (
    DeliveryAttempt,
    DeliveryStatus,
    PushDelivery,
    PushSubscription,
    SmsDelivery,
    SmsStatus,
    StaffContact,
)
from server.notify.texts import language_or_default, render_notice
from server.notify.webpush import Outcome, PushMessage, Sender, SendResult

D = PushDelivery
S = PushSubscription


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class BatchReport:
    sent: list[int] = field(default_factory=list)
    gone: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    #: delivery id -> seconds until it is due again
    retry: dict[int, float] = field(default_factory=dict)
    #: ids this run did not claim (already settled, claimed by another run, or not yet due)
    skipped: list[int] = field(default_factory=list)


def transaction() -> Any:
    """A write transaction; on SQLite an IMMEDIATE one, so concurrent writers queue, not fail."""
    db = D._meta.db
    if isinstance(db, SQLiteEngine):
        return db.transaction(transaction_type=TransactionType.immediate)
    return db.transaction()


def retry_delay(res: SendResult, attempts: int, knobs: DeliveryPolicy) -> float:
    """Seconds before the next attempt: the push service's Retry-After, else backoff."""
    if res.status_code == 429 and res.retry_after is not None:
        return float(min(max(1.0, res.retry_after), knobs.retry_after_max_seconds))
    delay = min(knobs.backoff_base_seconds * 2 ** max(0, attempts - 1), knobs.backoff_max_seconds)
    return round(float(delay) * random.uniform(0.8, 1.2), 3)


@dataclass(frozen=True, slots=True)
class _Job:
    delivery_id: int
    device_id: UUID
    attempts: int
    message: PushMessage


@dataclass(frozen=True, slots=True)
class _Settled:
    delivery_id: int
    device_id: UUID
    outcome: Outcome
    error: str | None
    #: None when no request was made (expired, unsubscribed, attempts exhausted)
    result: SendResult | None = None
    endpoint: str | None = None
    retry_in: float = 0.0
    #: what the attempt itself said, when the row's error says more ("attempts exhausted; ...")
    attempt_error: str | None = None


async def _claim(ids: list[int], token: UUID, now: datetime) -> list[dict[str, Any]]:
    async with transaction():
        await D.update(
            {
                D.claim_token: token,
                D.claimed_until: now + timedelta(seconds=policy().lease_seconds),
                D.attempts: D.attempts + 1,
            }
        ).where(
            D.id.is_in(ids),
            D.status == DeliveryStatus.PENDING,
            # A countdown retry may fire a moment early on another host's clock.
            D.next_attempt_at <= now + timedelta(seconds=2),
            D.claimed_until.is_null() | (D.claimed_until < now),
        )
        rows: list[dict[str, Any]] = await D.select(
            D.id,
            D.user_id,
            D.device_id,
            D.payload,
            D.ttl,
            D.urgency,
            D.topic,
            D.attempts,
            D.created_at,
            D.notification_id,
        ).where(D.claim_token == token)
    return rows


def _settle_sent(
    job: _Job, res: SendResult, knobs: DeliveryPolicy, channel: WebPushChannel
) -> _Settled:
    outcome = channel.classify(res)
    error = attempt_error = webpush.describe(res, outcome)
    retry_in = 0.0
    if outcome is Outcome.RETRY:
        if job.attempts >= knobs.max_attempts:
            outcome = Outcome.FAILED
            error = f"attempts exhausted; last: {error}"[:200]
        else:
            retry_in = retry_delay(res, job.attempts, knobs)
    return _Settled(
        job.delivery_id,
        job.device_id,
        outcome,
        error,
        res,
        job.message.endpoint,
        retry_in,
        attempt_error,
    )


async def _write(token: UUID, now: datetime, settled: list[_Settled], report: BatchReport) -> None:
    """Write back one chunk in one transaction: attempts, row states, gone subscriptions."""
    statuses = {
        Outcome.SENT: DeliveryStatus.SENT,
        Outcome.GONE: DeliveryStatus.GONE,
        Outcome.FAILED: DeliveryStatus.FAILED,
        Outcome.RETRY: DeliveryStatus.PENDING,
    }
    groups: dict[tuple[str, int | None, str | None, float], list[int]] = defaultdict(list)
    sent_devices: list[UUID] = []
    gone_endpoints: set[str] = set()
    attempts = []
    for item in settled:
        res = item.result
        code = res.status_code if res is not None else None
        groups[(statuses[item.outcome], code, item.error, item.retry_in)].append(item.delivery_id)
        if res is not None:
            attempts.append(
                DeliveryAttempt(
                    delivery=item.delivery_id,
                    at=now,
                    status_code=code,
                    error=item.attempt_error if item.attempt_error is not None else item.error,
                    duration_ms=res.duration_ms,
                    outcome=item.outcome.value,
                )
            )
        if item.outcome is Outcome.SENT:
            sent_devices.append(item.device_id)
            report.sent.append(item.delivery_id)
        elif item.outcome is Outcome.GONE:
            if item.endpoint is not None and res is not None:
                gone_endpoints.add(item.endpoint)
            report.gone.append(item.delivery_id)
        elif item.outcome is Outcome.FAILED:
            report.failed.append(item.delivery_id)
        else:
            report.retry[item.delivery_id] = item.retry_in
    async with transaction():
        if attempts:
            await DeliveryAttempt.insert(*attempts)
        for (status, code, error, retry_in), ids in groups.items():
            values: dict[Any, Any] = {
                D.claim_token: None,
                D.claimed_until: None,
                D.status: status,
                D.last_status_code: code,
                D.last_error: error,
            }
            if status == DeliveryStatus.PENDING:
                values[D.next_attempt_at] = now + timedelta(seconds=retry_in)
            else:
                values[D.finished_at] = now
            # Guarded by the token: a run whose lease was taken over writes nothing.
            await D.update(values).where(D.id.is_in(ids), D.claim_token == token)
        if sent_devices:
            await S.update({S.last_success_at: now}).where(S.device_id.is_in(sent_devices))
        if gone_endpoints:
            # Matched on the endpoint that answered 404/410: a device that re-subscribed
            # meanwhile keeps its new subscription.
            await S.delete().where(S.endpoint.is_in(sorted(gone_endpoints)))


async def deliver_batch_async(
    delivery_ids: Sequence[int], sender: Sender | None = None
) -> BatchReport:
    """Claim the given outbox rows, send them concurrently, record and settle every attempt.

    `sender` keeps connections across batches; without one, a session lives for this batch.
    """
    if sender is None:
        own = Sender()
        try:
            return await deliver_batch_async(delivery_ids, own)
        finally:
            await own.close()
    report = BatchReport()
    channel = WebPushChannel(sender)
    ids = sorted({int(i) for i in delivery_ids})
    if not ids:
        return report
    knobs = policy()
    token = uuid4()
    now = utcnow()
    rows = await _claim(ids, token, now)
    claimed = {int(row["id"]) for row in rows}
    report.skipped = [i for i in ids if i not in claimed]
    if not rows:
        return report
    devices = sorted({row["device_id"] for row in rows})
    subscriptions = {
        sub["device_id"]: sub
        for sub in await S.select(S.device_id, S.endpoint, S.p256dh, S.auth).where(
            S.device_id.is_in(devices)
        )
    }
    languages = await _languages(sorted({row["user_id"] for row in rows}))
    settled: list[_Settled] = []
    jobs: list[_Job] = []
    for row in rows:
        delivery_id, device_id, attempts = int(row["id"]), row["device_id"], int(row["attempts"])
        remaining = int(row["ttl"] - (now - row["created_at"]).total_seconds())
        sub = subscriptions.get(device_id)
        if attempts > knobs.max_attempts:
            settled.append(_Settled(delivery_id, device_id, Outcome.FAILED, "attempts exhausted"))
        elif remaining <= 0:
            settled.append(_Settled(delivery_id, device_id, Outcome.FAILED, "expired"))
        elif sub is None:
            settled.append(_Settled(delivery_id, device_id, Outcome.GONE, "unsubscribed"))
        else:
            data = rendered_payload(row["payload"], languages.get(row["user_id"]))
            message = PushMessage(
                endpoint=sub["endpoint"],
                p256dh=sub["p256dh"],
                auth=sub["auth"],
                data=data,
                ttl=remaining,
                urgency=row["urgency"],
                topic=row["topic"],
            )
            jobs.append(_Job(delivery_id, device_id, attempts, message))
    if settled:
        await _write(token, now, settled, report)

    async def one(job: _Job) -> _Settled:
        return _settle_sent(job, await channel.send(job.message), knobs, channel)

    # All at once: the sender's connection pool bounds the concurrency. Results are written
    # back every `settle_every` answers while the rest are still on the wire.
    done: list[_Settled] = []
    for next_done in asyncio.as_completed([one(job) for job in jobs]):
        done.append(await next_done)
        if len(done) >= knobs.settle_every:
            await _write(token, utcnow(), done, report)
            done = []
    if done:
        await _write(token, utcnow(), done, report)
    lost = set(report.gone) | set(report.failed)
    await _end_sms_holds([r for r in rows if int(r["id"]) in lost])
    return report


async def _languages(user_ids: list[UUID]) -> dict[UUID, str]:
    if not user_ids:
        return {}
    rows = await StaffContact.select(StaffContact.user_id, StaffContact.language).where(
        StaffContact.user_id.is_in(user_ids)
    )
    return {row["user_id"]: language_or_default(row["language"]) for row in rows}


def rendered_payload(stored: Any, language: str | None) -> bytes:
    """The bytes sent to the device. A notice stored as a template (`{"type", "template",
    "params", "url", "id"}`) is rendered now, in its recipient's current language, into the
    protocol's five keys; a payload stored with its text is sent as it is."""
    text = stored if isinstance(stored, str) else bytes(stored).decode()
    payload = json.loads(text)
    if "template" not in payload:
        return text.encode()
    title, body = render_notice(
        payload["template"], payload.get("params") or {}, language_or_default(language)
    )
    out = {
        "type": payload["type"],
        "title": title,
        "body": body,
        "url": payload["url"],
        "id": payload["id"],
    }
    return json.dumps(out, ensure_ascii=False, separators=(",", ":")).encode()


async def _end_sms_holds(lost: list[dict[str, Any]]) -> None:
    """A notice whose push reached none of the recipient's devices does not wait out the
    silence: its held SMS is due at the next escalation run."""
    if not lost:
        return
    now = utcnow()
    for row in lost:
        nid = row.get("notification_id")
        if nid is None:
            continue
        alive = await D.count().where(
            D.user_id == row["user_id"],
            D.notification_id == nid,
            D.status.is_in([DeliveryStatus.PENDING, DeliveryStatus.SENT]),
        )
        if alive:
            continue
        await SmsDelivery.update({SmsDelivery.hold_until: now}).where(
            SmsDelivery.user_id == row["user_id"],
            SmsDelivery.notification_id == nid,
            SmsDelivery.status == SmsStatus.HELD,
            SmsDelivery.hold_until > now,
        )


def deliver_batch(delivery_ids: Sequence[int]) -> BatchReport:
    """Synchronous entry (Celery tasks): runs on this process's long-lived delivery loop."""
    ids = list(delivery_ids)
    return runner.run(lambda: deliver_batch_async(ids, runner.sender()))


async def due_ids(*, grace_seconds: float, limit: int, now: datetime | None = None) -> list[int]:
    """Pending rows due at least `grace_seconds` ago and not held by a live claim, oldest first."""
    now = now or utcnow()
    rows = (
        await D.select(D.id)
        .where(
            D.status == DeliveryStatus.PENDING,
            D.next_attempt_at <= now - timedelta(seconds=grace_seconds),
            D.claimed_until.is_null() | (D.claimed_until < now),
        )
        .order_by(D.next_attempt_at)
        .limit(limit)
    )
    return [int(row["id"]) for row in rows]
