"""Device pokes (issue 13): `GET /api/sync/events`, a Server-Sent Events stream per open app
telling the device "pull now" when a commit touches a scope it reads, so it need not poll.

A poke carries no data (`event: poke`, `data: {}`): the device pulls for the rest.  Whether a
committed change concerns a device is decided from the change event `server/live` publishes
after commit (its collection, scope org unit and owner) against the reader's `FeedScope`s (the
same ones the pull's SQL pre-filter uses), so a device is poked for a superset of the changes
its next pull may bring, and never for another community's.  Pokes are coalesced: after the
first relevant event the stream waits `COALESCE_SECONDS` for more and sends one poke.

The stream opens with a `: ready` comment (subscribed), keeps the connection with a comment
every 15 s and ends (`event: end`) after `MAX_SECONDS`, when the client reconnects with a fresh
scope (a reassigned user's stream follows their new scope within that time).  A change to a
collection whose spec can name a second user or org unit (`also_scope`: a referral's author,
an order's department) pokes every reader of that collection: the event names only the owner,
and a spurious poke costs one empty pull while a missed one costs a stale screen.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from uuid import UUID

from litestar.response.sse import ServerSentEventMessage

from server import specs
from server.accounts.principal import Principal
from server.live import bus
from server.live.events import ChangeEvent
from server.org.tree import OrgTree, load_tree
from server.replication.prefilter import Arms, arms_for

COALESCE_SECONDS = 1.0
KEEPALIVE_SECONDS = 15.0
MAX_SECONDS = 600.0
RETRY_MS = 5000


def _names_second_reader(collection: str) -> bool:
    spec = specs.find(collection)
    if spec is None:
        return False
    default = specs.CollectionSpec.__dataclass_fields__["also_scope"].default
    return spec.also_scope is not default


def concerns(principal: Principal, arms: Arms, tree: OrgTree, event: ChangeEvent) -> bool:
    """Whether this committed change may be in the reader's next pull (a superset)."""
    collection = event.collection
    if collection in arms.everything:
        return True
    scope = tree.get(_uuid(event.scope_org_id))
    for root, names in arms.subtree.items():
        if collection in names and scope is not None and tree.is_within(scope.id, root):
            return True
    for names in arms.alt_subtree.values():
        if collection in names:
            return True  # the event does not name the second unit: poke its readers
    for user, names in arms.user.items():
        if collection in names and (
            event.owner_id == str(user) or _names_second_reader(collection)
        ):
            return True
    return False


def _uuid(value: str | None) -> UUID | None:
    try:
        return UUID(value) if value else None
    except ValueError:
        return None


async def poke_stream(principal: Principal) -> AsyncIterator[ServerSentEventMessage]:
    tree = await load_tree()
    arms = arms_for(principal, tree)
    started = time.monotonic()
    async with bus.subscribe([bus.all_channel()]) as subscription:
        yield ServerSentEventMessage(data=None, comment="ready", retry=RETRY_MS)
        while time.monotonic() - started < MAX_SECONDS:
            event = await subscription.get(KEEPALIVE_SECONDS)
            if event is None:
                yield ServerSentEventMessage(data=None, comment="keep-alive")
                continue
            if not (subscription.dropped or concerns(principal, arms, tree, event)):
                continue
            subscription.dropped = 0
            # coalesce: whatever else arrives in the next second rides on the same poke
            deadline = time.monotonic() + COALESCE_SECONDS
            while (left := deadline - time.monotonic()) > 0:
                if await subscription.get(left) is None:
                    break
            yield ServerSentEventMessage(data="{}", event="poke")
        yield ServerSentEventMessage(data='{"reason": "reconnect"}', event="end")
