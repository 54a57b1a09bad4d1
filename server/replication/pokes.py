"""Device pokes (issue 13): `GET /api/sync/events`, a Server-Sent Events stream per open app
telling the device "pull now" when a commit touches a scope it reads, so it need not poll.

A poke carries no data (`event: poke`, `data: {}`): the device pulls for the rest.  Which
commits concern a device is decided by the feed heads index (server/replication/heads.py): the
stream registers the scope keys of the reader's `FeedScope`s (the same ones the pull's SQL
pre-filter uses), and the index's poller, as it reads each new feed entry, flags the streams
registered under that entry's keys.  So the fan-out costs one lookup per key of each entry and
grows with the devices whose scope changed, not with the open streams; a device is poked for a
superset of the changes its next pull may bring (the entry's second user and unit included),
and never for another community's.  The poke comes after the index has seen the entry, so the
pull it prompts never meets a stale head.

Pokes are coalesced per stream: after a flag the stream waits `COALESCE_SECONDS` and sends one
poke for whatever came meanwhile (at most one poke per device per window).  They are also paced
per process (`PokePacer`, `DOORSTEP_POKES_PER_SECOND`): each poke takes the next free slot, so a
burst that touches thousands of devices (a busy community's grid workers, all flagged by every
new report) turns into a steady stream of pulls the server can answer instead of a stampede;
while a stream waits for its slot, further changes ride on the same poke.  A slot is also
skipped while the process is busy (a quarter of `DOORSTEP_MAX_IN_FLIGHT` requests in progress),
so pokes spend only spare capacity: every poke costs a pull, and under load the pulls the
devices already asked for come first.  With few flagged streams on a quiet server a slot is
free at once and nothing waits.

The stream opens with a `: ready` comment (registered; the app syncs then, which covers anything
committed while it was not connected), keeps the connection with a comment every 30 s and ends
(`event: end`) after 75–100 % of `DOORSTEP_EVENT_STREAM_SECONDS` (30 minutes), spread so that streams
opened together (after a restart) do not all reconnect together; the client reconnects with a
fresh scope (a reassigned user's stream follows their new scope within that time).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

from litestar.response.sse import ServerSentEventMessage

from server.accounts.principal import Principal
from server.http.overload import Load
from server.org.tree import OrgTree, load_tree
from server.replication import heads
from server.settings import get_settings

COALESCE_SECONDS = 1.0
#: a comment this often keeps proxies and carrier NATs from dropping an idle stream; every
#: 30 s rather than 15 halves what 20,000 idle streams cost a server (and the phones' radios)
KEEPALIVE_SECONDS = 30.0
RETRY_MS = 5000
#: a stream lasts between this share of DOORSTEP_EVENT_STREAM_SECONDS and all of it
MIN_LIFETIME_SHARE = 0.75


class PokePacer:
    """At most `rate` pokes a second from this process: each poke takes the next free slot."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._next = 0.0

    def reserve(self, rate: int) -> float:
        """Take the next slot; the seconds to wait for it (0 when one is free now)."""
        now = self._clock()
        slot = max(now, self._next)
        self._next = slot + 1.0 / rate
        return slot - now

    async def turn(self, rate: int, busy: Callable[[], bool] = lambda: False) -> None:
        """Wait for a slot, and go to the back of the queue while this process is `busy`:
        pokes only spend capacity the server has spare, since each one costs it a pull."""
        while True:
            delay = self.reserve(rate)
            if delay > 0:
                await asyncio.sleep(delay)
            if not busy():
                return


_pacer = PokePacer()


def concerns(
    principal: Principal,
    tree: OrgTree,
    collection: str,
    scope: Any = None,
    owner: Any = None,
    alt_user: Any = None,
    alt_org: Any = None,
) -> bool:
    """Whether a feed entry with these keys pokes this reader (the index's decision)."""
    keys = heads.keys_of(principal, tree)
    return any(k in keys for k in heads.entry_keys(collection, scope, owner, alt_user, alt_org))


def busy_when(load: Load | None) -> Callable[[], bool]:
    """A process is too busy for pokes while a quarter of its request bound is in progress
    (8 of 32): requests are queueing, and a poke would add a pull to the queue."""
    if load is None:
        return lambda: False
    at = max(1, load.max_in_flight // 4)
    return lambda: load.in_flight >= at


async def poke_stream(
    principal: Principal, load: Load | None = None
) -> AsyncIterator[ServerSentEventMessage]:
    tree = await load_tree()
    index = heads.index()
    await index.primed()
    watch = index.watch(heads.keys_of(principal, tree))
    settings = get_settings()
    busy = busy_when(load)
    lifetime = settings.event_stream_seconds * random.uniform(MIN_LIFETIME_SHARE, 1.0)
    ends = time.monotonic() + lifetime
    try:
        yield ServerSentEventMessage(data=None, comment="ready", retry=RETRY_MS)
        while (left := ends - time.monotonic()) > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(watch.moved.wait(), min(KEEPALIVE_SECONDS, left))
            if not watch.moved.is_set():
                if ends - time.monotonic() > 0:
                    yield ServerSentEventMessage(data=None, comment="keep-alive")
                continue
            # coalesce: whatever else moves in the next second rides on the same poke
            await asyncio.sleep(COALESCE_SECONDS)
            await _pacer.turn(settings.pokes_per_second, busy)
            watch.moved.clear()
            yield ServerSentEventMessage(data="{}", event="poke")
        yield ServerSentEventMessage(data='{"reason": "reconnect"}', event="end")
    finally:
        index.unwatch(watch)
