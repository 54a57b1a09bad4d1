"""Running the scheduled jobs, read from the database every minute (no long Celery ETAs).

The jobs are the domains' (`CollectionSpec.jobs`): dispatch-order deadlines and escalation in
`server/dispatch/jobs.py`, the unacknowledged-red re-send in `server/warnings/jobs.py`, psych
reminders in `server/psych/jobs.py`.  This module gives them what they share: one transaction
per item (so one bad item does not stop the rest), the after-commit work run after each commit,
and `now` as a parameter so tests control the clock.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from server import specs
from server.db import write_transaction
from server.live import publish as publish_live
from server.replication.reactions import AfterCommit
from server.replication.store import WorkingSet
from sync.hlc import ServerClock

log = logging.getLogger("doorstep.jobs")

#: the device and user id of the server's own writes
SERVER = "server"
clock = ServerClock()


def now_or(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


def ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


async def each(
    ids: list[Any], handle: Callable[[Any, WorkingSet], Awaitable[list[AfterCommit]]]
) -> int:
    """Run `handle` per item in its own transaction; count the items that changed."""
    done = 0
    for item_id in ids:
        try:
            async with write_transaction():
                ws = WorkingSet(SERVER, SERVER)
                after_commit = await handle(item_id, ws)
                await ws.flush()
        except Exception:
            log.exception("scheduled job failed on %s", item_id)
            continue
        if ws.writes:
            done += 1
        await publish_live(ws.changes)  # committed: the live streams may hear of it now
        for callback in after_commit:
            started = callback()
            if inspect.isawaitable(started):
                await started
    return done


async def run_all(now: datetime | None = None) -> dict[str, int]:
    """Every scheduled job once (the embedded loop and `doorstep beat` call this each minute)."""
    out: dict[str, int] = {}
    for spec in specs.all_specs():
        for job in spec.jobs:
            out[job.name] = await job.run(now)
    return out
