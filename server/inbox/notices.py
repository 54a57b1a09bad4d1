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
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from server.notify.services import enqueue_push, kick, make_topic
from server.replication.reactions import AfterCommit, Reactor
from server.replication.store import WorkingSet
from sync.engine import server_write
from sync.hlc import ServerClock

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOTICE_NAMESPACE = uuid.UUID("0b7f5a0e-3c1d-4e5f-8a9b-6c7d8e9f0a1b")


@dataclass(frozen=True)
class Notice:
    users: frozenset[str]
    type: str
    title: str
    body: str
    url: str
    #: what the notice is about, for stable ids (a replayed event makes the same rows)
    subject: str
    urgency: str = "normal"
    ttl: int = 6 * 3600
    topic: str | None = None


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
    for notice, user, nid in planned:
        if ws.get("notifications", nid) is not None:
            continue
        server_write(
            ws,
            "notifications",
            nid,
            {
                "user_id": user,
                "type": notice.type,
                "title": notice.title,
                "body": notice.body,
                "url": notice.url,
                "read": False,
            },
            now_ms=now_ms,
            clock=clock,
        )
        payload = {
            "type": notice.type,
            "title": notice.title,
            "body": notice.body,
            "url": notice.url,
            "id": nid,
        }
        deliveries += await enqueue_push(
            [uuid.UUID(user)],
            payload,
            ttl=notice.ttl,
            urgency=notice.urgency,
            topic=notice.topic and make_topic(notice.topic, user),
        )
    return deliveries


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


def after_commit_kick(deliveries: list[int]) -> AfterCommit:
    """Queue the pushes off the event loop: publishing to a slow broker must not stall it."""

    def start() -> Any:
        return asyncio.get_running_loop().run_in_executor(None, kick, deliveries)

    return start
