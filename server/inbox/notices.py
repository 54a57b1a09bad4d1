"""A notice to some users: an inbox record each (synced) and a Web Push to each subscribed
device, written in the caller's transaction; the push is queued after commit.

Reactions call `notify(reactor, notice)`: the notices of one run are written together when
the run ends (`Reactor.before_flush`), and the deliverer is woken after commit.  Scheduled jobs
that only send notices call `send` directly.

Push payloads carry no personal data: a type, a short title and text, a link into the app and
the notification's id.  The device pulls for the rest.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from server.accounts.tables import User
from server.notify.services import (
    PushTo,
    encode_template_payload,
    enqueue_pushes,
    kick,
    kick_sms,
    make_topic,
)
from server.notify.sms import SmsNotice, enqueue_sms
from server.notify.texts import render_notice
from server.replication.reactions import AfterCommit, Reactor
from server.replication.store import WorkingSet
from sync.engine import server_write
from sync.hlc import ServerClock

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOTICE_NAMESPACE = uuid.UUID("0b7f5a0e-3c1d-4e5f-8a9b-6c7d8e9f0a1b")


@dataclass(frozen=True)
class Notice:
    """A notice to some users. Give a `template` and its `params` (server/notify/templates.json):
    the inbox and the push render it in each recipient's language. A `title`/`body` without a
    template is sent as written (one language for everyone)."""

    users: frozenset[str]
    type: str
    url: str
    #: what the notice is about, for stable ids (a replayed event makes the same rows)
    subject: str
    title: str = ""
    body: str = ""
    template: str | None = None
    params: dict[str, str] = field(default_factory=dict)
    urgency: str = "normal"
    ttl: int = 6 * 3600
    topic: str | None = None
    #: "red" (a red warning) or "order" (a dispatch order): goes by SMS when no device of the
    #: recipient acknowledges the push in time (server/notify/sms.py)
    sms: str | None = None
    #: the record whose acknowledgement makes the SMS unnecessary: (collection, id)
    ack: tuple[str, str] | None = None

    def texts(self, language: str = "zh") -> tuple[str, str]:
        if self.template is None:
            return self.title, self.body
        return render_notice(self.template, self.params, language)


def local_time(value: str | None) -> str:
    """An RFC 3339 time as people in the district read it: 11月25日 18:00."""
    if not value:
        return ""
    moment = datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(SHANGHAI)
    return f"{moment.month}月{moment.day}日 {moment:%H:%M}"


def seconds_until(value: str | None, now_ms: int, *, floor: int = 300) -> int:
    """A TTL that lasts until a deadline (at least `floor` seconds: never 0)."""
    if not value:
        return 6 * 3600
    deadline = datetime.fromisoformat(value.replace("Z", "+00:00"))
    remaining = int(deadline.timestamp() - now_ms / 1000)
    return max(floor, remaining)


async def send(
    ws: WorkingSet, notices: list[Notice], *, now_ms: int, clock: ServerClock
) -> list[int]:
    """Write the inbox records and the push outbox rows; returns delivery ids to kick."""
    deliveries: list[int] = []
    planned = [
        (notice, user, notification_id(notice, user))
        for notice in notices
        for user in sorted(notice.users)
    ]
    # A job that runs twice (a retried beat task) finds its notifications already there.
    await ws.load_records({("notifications", nid) for _, _, nid in planned})
    sms: list[SmsNotice] = []
    pushes: list[PushTo] = []  # written in one statement after the loop
    units = await _org_units({user for notice, user, _ in planned if notice.sms})
    for notice, user, nid in planned:
        if ws.get("notifications", nid) is not None:
            continue
        title, body = notice.texts()
        record: dict[str, Any] = {
            "user_id": user,
            "type": notice.type,
            "title": title,
            "body": body,
            "url": notice.url,
            "read": False,
        }
        if notice.template is not None:
            record |= {"template": notice.template, "params": dict(notice.params)}
        server_write(ws, "notifications", nid, record, now_ms=now_ms, clock=clock)
        payload: dict[str, str] | str
        if notice.template is not None:
            payload = encode_template_payload(
                type=notice.type,
                template=notice.template,
                params=notice.params,
                url=notice.url,
                id=nid,
            )
        else:
            payload = {"type": notice.type, "title": title, "body": body, "url": notice.url}
            payload["id"] = nid
        pushes.append(
            PushTo(
                uuid.UUID(user),
                payload,
                ttl=notice.ttl,
                urgency=notice.urgency,
                topic=notice.topic and make_topic(notice.topic, user),
                notification_id=nid,
            )
        )
        if notice.sms is not None:
            sms.append(
                SmsNotice(
                    user_id=uuid.UUID(user),
                    org_unit_id=units.get(user),
                    notification_id=nid,
                    level=notice.sms,
                    template="sms_warning" if notice.sms == "red" else "sms_order",
                    url=notice.url,
                    ack_collection=notice.ack[0] if notice.ack else None,
                    ack_id=notice.ack[1] if notice.ack else None,
                )
            )
    deliveries += await enqueue_pushes(pushes)
    out = Deliveries(deliveries)
    out.sms_due = await enqueue_sms(sms, now=datetime.fromtimestamp(now_ms / 1000, tz=UTC)) > 0
    return out


class Deliveries(list[int]):
    """Push delivery ids to kick after commit, and whether some SMS became due as well."""

    sms_due: bool = False

    def __bool__(self) -> bool:
        return len(self) > 0 or self.sms_due


async def _org_units(users: set[str]) -> dict[str, uuid.UUID | None]:
    if not users:
        return {}
    rows = await User.select(User.id, User.org_unit_id).where(
        User.id.is_in([uuid.UUID(u) for u in users])
    )
    return {str(row["id"]): row["org_unit_id"] for row in rows}


def notification_id(notice: Notice, user: str) -> str:
    return str(uuid.uuid5(NOTICE_NAMESPACE, f"{notice.type}/{notice.subject}/{user}"))


def utc_ms() -> int:
    return int(datetime.now(UTC).timestamp() * 1000)


_PENDING = "inbox.notices"


def notify(reactor: Reactor, *notices: Notice) -> None:
    """Queue notices on this reaction run; they are written once every reaction has run."""
    reactor.memo.setdefault(_PENDING, []).extend(notices)
    reactor.before_flush(_PENDING, _write_pending)


def pending(reactor: Reactor) -> list[Notice]:
    """The notices queued on this run so far."""
    queued: list[Notice] = reactor.memo.get(_PENDING, [])
    return queued


async def _write_pending(reactor: Reactor) -> list[AfterCommit]:
    notices = pending(reactor)
    if not notices:
        return []
    deliveries = await send(reactor.ws, notices, now_ms=reactor.now_ms, clock=reactor.clock)
    return [after_commit_kick(deliveries)] if deliveries else []


def _kick_all(deliveries: list[int], sms_due: bool) -> None:
    kick(list(deliveries))
    if sms_due:
        kick_sms()


def after_commit_kick(deliveries: list[int]) -> AfterCommit:
    """Queue the pushes off the event loop: publishing to a slow broker must not stall it."""

    sms_due = bool(getattr(deliveries, "sms_due", False))

    def start() -> Any:
        return asyncio.get_running_loop().run_in_executor(None, _kick_all, deliveries, sms_due)

    return start
