"""The notify domain's services: the push outbox and devices' push subscriptions.

Writing a notification is two steps around the caller's commit:

    async with DB.transaction():
        ...change that causes the notification, the inbox rows...
        ids = await enqueue_push(user_ids, payload, ttl=3600, urgency="high", topic=...)
    kick(ids)           # after commit: queue Celery tasks, or wake the embedded deliverer

If the process dies between commit and `kick`, or the broker is down, the rows stay pending and
the sweep (`doorstep beat`, every minute) or the embedded deliverer's poll picks them up.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from cryptography.hazmat.primitives.asymmetric import ec
from piccolo.engine.postgres import PostgresEngine

from server.http.errors import ApiError
from server.notify.delivery import due_ids, transaction, utcnow
from server.notify.endpoints import EndpointRefused, check_endpoint
from server.notify.local import wake_local_deliverer
from server.notify.policy import policy
from server.notify.queue import queue_deliveries, queue_sms_due
from server.notify.schemas import SubscriptionIn
from server.notify.tables import DeliveryStatus, PushDelivery, PushSubscription
from server.notify.texts import LANGUAGES, known, render_notice
from server.settings import get_settings

log = logging.getLogger(__name__)

MAX_PAYLOAD_BYTES = 3 * 1024
#: what push services accept at most (FCM: 4 weeks)
MAX_TTL_SECONDS = 28 * 24 * 3600
URGENCIES = ("very-low", "low", "normal", "high")
PAYLOAD_KEYS = ("type", "title", "body", "url", "id")
_TOPIC = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
#: users per INSERT ... SELECT (each one is a bound parameter; both engines allow 32,766)
_USERS_PER_INSERT = 5000

D = PushDelivery
S = PushSubscription


# --- the outbox --------------------------------------------------------------------------------


def encode_payload(payload: Mapping[str, Any]) -> str:
    """The compact JSON sent to devices; refuses anything but the five keys or more than 3 KB."""
    keys = set(payload)
    if keys != set(PAYLOAD_KEYS):
        raise ValueError(f"a push payload has exactly the keys {PAYLOAD_KEYS}, got {sorted(keys)}")
    clean: dict[str, str] = {}
    for key in PAYLOAD_KEYS:
        value = payload[key]
        if isinstance(value, UUID):
            value = str(value)
        if not isinstance(value, str):
            raise ValueError(f"push payload field {key!r} must be a string")
        clean[key] = value
    text = json.dumps(clean, ensure_ascii=False, separators=(",", ":"))
    if len(text.encode()) > MAX_PAYLOAD_BYTES:
        raise ValueError(f"a push payload is at most {MAX_PAYLOAD_BYTES} bytes of JSON")
    return text


def encode_template_payload(
    *, type: str, template: str, params: Mapping[str, Any], url: str, id: str
) -> str:
    """A notice stored language-neutral: rendered for its recipient when it is delivered
    (`delivery.rendered_payload`). Parameters are codes and instants, never personal data."""
    if not known(template):
        raise ValueError(f"unknown notice template {template!r}")
    clean = {str(k): ("" if v is None else str(v)) for k, v in params.items()}
    data = {"type": type, "template": template, "params": clean, "url": url, "id": id}
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    # the rendered text must fit too: check the longer language
    for language in LANGUAGES:
        title, body = render_notice(template, clean, language)
        encode_payload({"type": type, "title": title, "body": body, "url": url, "id": id})
    return text


def ttl_until(deadline: datetime, *, minimum: int = 300) -> int:
    """TTL for a message that is useless after `deadline` (an order: until its arrive-by)."""
    return max(minimum, int((deadline - utcnow()).total_seconds()))


def make_topic(*parts: object) -> str:
    """An RFC 8030 Topic (≤ 32 base64url characters) naming "updates of this one thing".

    A newer message with the same topic replaces an older one the device has not received yet,
    e.g. `make_topic("dispatch_order", order.id)` for every update of one order.
    """
    digest = hashlib.sha256(":".join(str(p) for p in parts).encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()[:32]


async def enqueue_push(
    user_ids: Iterable[UUID],
    payload: Mapping[str, Any] | str,
    *,
    ttl: int,
    urgency: str = "normal",
    topic: str | None = None,
    notification_id: str | None = None,
) -> list[int]:
    """Write one pending delivery per subscribed device of these users; return their ids.

    Must run inside the caller's open `DB.transaction()`, so the outbox rows commit (or roll
    back) with the change that caused them. Users without a subscribed device get no row (their
    inbox still holds the notification). Call `kick(ids)` after the commit.
    """
    _require_transaction()
    data = payload if isinstance(payload, str) else encode_payload(payload)
    ttl = _checked_options(ttl, urgency, topic)
    users = sorted(set(user_ids))
    now = utcnow()
    ids: list[int] = []
    for start in range(0, len(users), _USERS_PER_INSERT):
        ids.extend(
            await _insert_deliveries(
                users[start : start + _USERS_PER_INSERT],
                data,
                ttl,
                urgency,
                topic,
                now,
                notification_id,
            )
        )
    return ids


def _require_transaction() -> None:
    if not D._meta.db.transaction_exists():
        raise RuntimeError("enqueue_push must run inside the caller's DB.transaction()")


def _checked_options(ttl: int, urgency: str, topic: str | None) -> int:
    """The TTL to store, once the push options are known to be valid."""
    if not isinstance(ttl, int) or ttl <= 0:
        raise ValueError("ttl is a positive number of seconds (a push with TTL 0 is usually lost)")
    if urgency not in URGENCIES:
        raise ValueError(f"urgency is one of {URGENCIES}")
    if topic is not None and not _TOPIC.match(topic):
        raise ValueError("topic is 1-32 base64url characters; use make_topic(...)")
    return min(ttl, MAX_TTL_SECONDS)


@dataclass(frozen=True, slots=True)
class PushTo:
    """One user's push with its own payload (an inbox notice names its own notification)."""

    user_id: UUID
    payload: Mapping[str, Any] | str
    ttl: int
    urgency: str = "normal"
    topic: str | None = None
    notification_id: str | None = None


#: rows of a per-user push per statement (7 parameters each, well under SQLite's limit)
_PUSHES_PER_INSERT = 500


async def enqueue_pushes(pushes: Iterable[PushTo]) -> list[int]:
    """`enqueue_push` for pushes that differ per user, in one statement per 500 users instead
    of one per user: a batch of appeals notifying every hall's staff, or a job's notices, costs
    one round trip inside the transaction, not one per recipient.  Same rules: inside the
    caller's transaction, one pending delivery per subscribed device, `kick` after commit."""
    _require_transaction()
    rows = [
        (
            push.user_id,
            push.payload if isinstance(push.payload, str) else encode_payload(push.payload),
            _checked_options(push.ttl, push.urgency, push.topic),
            push.urgency,
            push.topic,
            push.notification_id,
        )
        for push in pushes
    ]
    ids: list[int] = []
    for start in range(0, len(rows), _PUSHES_PER_INSERT):
        ids.extend(await _insert_each(rows[start : start + _PUSHES_PER_INSERT], utcnow()))
    return sorted(ids)


async def _insert_each(rows: list[tuple[Any, ...]], now: datetime) -> list[int]:
    if not rows:
        return []
    pg = isinstance(D._meta.db, PostgresEngine)
    # PostgreSQL types a VALUES list from its first row, so the first row says each type.
    types = ("uuid", "json", "integer", "varchar", "varchar", "varchar") if pg else ("",) * 6
    first = "(" + ", ".join("{}" + (f"::{t}" if t else "") for t in types) + ")"
    rest = "(" + ", ".join("{}" for _ in types) + ")"
    values = ", ".join([first] + [rest] * (len(rows) - 1))
    stamp = "{}::timestamptz" if pg else "{}"
    status = "{}::varchar" if pg else "{}"
    sql = (
        f"WITH wanted (user_id, payload, ttl, urgency, topic, notification_id) AS (VALUES {values}) "
        f'INSERT INTO "{D._meta.tablename}" (user_id, device_id, payload, ttl, urgency, topic, '
        "status, attempts, next_attempt_at, created_at, notification_id) "
        f"SELECT s.user_id, s.device_id, w.payload, w.ttl, w.urgency, w.topic, {status}, 0, "
        f'{stamp}, {stamp}, w.notification_id FROM "{S._meta.tablename}" s '
        "JOIN wanted w ON s.user_id = w.user_id RETURNING id"
    )
    params = [value for row in rows for value in row]
    result = await D.raw(sql, *params, DeliveryStatus.PENDING, now, now)
    return [int(row["id"]) for row in result]


async def _insert_deliveries(
    users: list[UUID],
    data: str,
    ttl: int,
    urgency: str,
    topic: str | None,
    now: datetime,
    notification_id: str | None,
) -> list[int]:
    """One INSERT ... SELECT over the users' subscriptions: a 10,000-device fan-out is a few
    statements inside the caller's transaction, not 10,000 ORM objects."""
    pg = isinstance(D._meta.db, PostgresEngine)

    def param(sql_type: str) -> str:
        # PostgreSQL cannot infer the types of parameters in a SELECT list.
        return "{}::" + sql_type if pg else "{}"

    sql = (
        f'INSERT INTO "{D._meta.tablename}" (user_id, device_id, payload, ttl, urgency, topic, '
        "status, attempts, next_attempt_at, created_at, notification_id) "
        f"SELECT user_id, device_id, {param('json')}, {param('integer')}, {param('varchar')}, "
        f"{param('varchar')}, {param('varchar')}, 0, {param('timestamptz')}, "
        f"{param('timestamptz')}, {param('varchar')} "
        f'FROM "{S._meta.tablename}" WHERE user_id IN ({", ".join("{}" for _ in users)}) '
        "RETURNING id"
    )
    rows = await D.raw(
        sql, data, ttl, urgency, topic, DeliveryStatus.PENDING, now, now, notification_id, *users
    )
    return sorted(int(row["id"]) for row in rows)


def kick(delivery_ids: Iterable[int]) -> None:
    """After commit: get these deliveries going now. Never raises; a failure only delays.

    With `DOORSTEP_REDIS_URL`, queues `notify.deliver` Celery tasks of up to `batch_size` ids;
    without, wakes the embedded deliverer. If the broker is unreachable the rows stay pending
    and the sweep queues them later.
    """
    ids = [int(i) for i in delivery_ids]
    if not ids:
        return
    if get_settings().redis_url is None:
        wake_local_deliverer()
        return
    try:
        queue_deliveries(ids)
    except Exception:
        log.warning("could not queue %d push deliveries; the sweep will", len(ids), exc_info=True)


def kick_sms() -> None:
    """After commit: send the SMS that became due. Never raises; a failure only delays."""
    if get_settings().redis_url is None:
        wake_local_deliverer()
        return
    try:
        queue_sms_due()
    except Exception:
        log.warning("could not queue the due SMS; the sweep will", exc_info=True)


async def kick_async(delivery_ids: Iterable[int]) -> None:
    """`kick` from async code without blocking the event loop on the broker."""
    await asyncio.to_thread(kick, list(delivery_ids))


async def stale_deliveries(
    *, grace_seconds: float | None = None, now: datetime | None = None
) -> list[int]:
    """Pending deliveries nobody picked up in time (lost kick, broker outage, dead worker)."""
    knobs = policy()
    grace = knobs.sweep_grace_seconds if grace_seconds is None else grace_seconds
    return await due_ids(grace_seconds=grace, limit=knobs.sweep_limit, now=now)


# --- subscriptions -----------------------------------------------------------------------------


def _b64url_bytes(text: str) -> bytes:
    return base64.urlsafe_b64decode(text.rstrip("=") + "=" * (-len(text.rstrip("=")) % 4))


def _check_keys(p256dh: str, auth: str) -> None:
    try:
        point = _b64url_bytes(p256dh)
        secret = _b64url_bytes(auth)
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    except ValueError as exc:
        raise ApiError(
            422,
            "invalid_subscription",
            "keys.p256dh is not a P-256 public key",
            {"field": "keys.p256dh"},
        ) from exc
    if len(point) != 65 or point[0] != 4:
        raise ApiError(
            422,
            "invalid_subscription",
            "keys.p256dh must be an uncompressed point",
            {"field": "keys.p256dh"},
        )
    if len(secret) != 16:
        raise ApiError(
            422, "invalid_subscription", "keys.auth must be 16 bytes", {"field": "keys.auth"}
        )


async def validate_endpoint(endpoint: str) -> None:
    """Refuse endpoints the server must not POST to: 422 `invalid_endpoint`."""
    allow = get_settings().push_allow_private_endpoints
    try:
        await asyncio.to_thread(check_endpoint, endpoint, allow_private=allow)
    except EndpointRefused as exc:
        raise ApiError(422, "invalid_endpoint", str(exc), {"field": "endpoint"}) from exc


@dataclass(frozen=True, slots=True)
class Subscription:
    device_id: UUID
    user_id: UUID
    endpoint: str
    created_at: datetime
    expiration_time: datetime | None


class SubscriptionService:
    """Devices' push subscriptions: one per device, replaced when the device subscribes again."""

    async def subscribe(self, user_id: UUID, device_id: UUID, data: SubscriptionIn) -> Subscription:
        _check_keys(data.keys.p256dh, data.keys.auth)
        await validate_endpoint(data.endpoint)
        expires = (
            datetime.fromtimestamp(data.expirationTime / 1000, tz=UTC)
            if data.expirationTime is not None
            else None
        )
        now = utcnow()
        async with transaction():
            # The same endpoint under another device (a browser shared by two logins) would get
            # the other user's pushes: one endpoint, one device.
            await S.delete().where((S.device_id == device_id) | (S.endpoint == data.endpoint))
            await S.insert(
                S(
                    device_id=device_id,
                    user_id=user_id,
                    endpoint=data.endpoint,
                    p256dh=data.keys.p256dh.rstrip("="),
                    auth=data.keys.auth.rstrip("="),
                    expiration_time=expires,
                    created_at=now,
                )
            )
        return Subscription(device_id, user_id, data.endpoint, now, expires)

    async def unsubscribe(self, device_id: UUID) -> bool:
        """Remove the device's subscription; False when it had none."""
        removed = await S.delete().where(S.device_id == device_id).returning(S.device_id)
        return bool(removed)

    async def get(self, device_id: UUID) -> Subscription | None:
        row = await S.select().where(S.device_id == device_id).first()
        if row is None:
            return None
        return Subscription(
            row["device_id"],
            row["user_id"],
            row["endpoint"],
            row["created_at"],
            row["expiration_time"],
        )

    async def remove_devices(self, device_ids: Iterable[UUID]) -> None:
        """For device revocation: a revoked phone must stop receiving pushes."""
        ids = list(device_ids)
        if ids:
            await S.delete().where(S.device_id.is_in(ids))
