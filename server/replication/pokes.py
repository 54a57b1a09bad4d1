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
poke for whatever came meanwhile (at most one poke per device per window).  The stream opens
with a `: ready` comment (registered), keeps the connection with a comment every 15 s and ends
(`event: end`) after `DOORSTEP_EVENT_STREAM_SECONDS` (600 s), when the client reconnects with a fresh scope (a reassigned
user's stream follows their new scope within that time).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from typing import Any

from litestar.response.sse import ServerSentEventMessage

from server.accounts.principal import Principal
from server.org.tree import OrgTree, load_tree
from server.replication import heads
from server.settings import get_settings

COALESCE_SECONDS = 1.0
KEEPALIVE_SECONDS = 15.0
RETRY_MS = 5000


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


async def poke_stream(principal: Principal) -> AsyncIterator[ServerSentEventMessage]:
    tree = await load_tree()
    index = heads.index()
    await index.primed()
    watch = index.watch(heads.keys_of(principal, tree))
    ends = time.monotonic() + get_settings().event_stream_seconds
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
            watch.moved.clear()
            yield ServerSentEventMessage(data="{}", event="poke")
        yield ServerSentEventMessage(data='{"reason": "reconnect"}', event="end")
    finally:
        index.unwatch(watch)
