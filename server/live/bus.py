"""Publishing committed changes, and subscribing to them, over Litestar's channels plugin.

With `DOORSTEP_REDIS_URL` set, events travel through Redis pub/sub, so a change committed on one
app server reaches the streams held open on every other; without it (embedded mode, one
process) they stay in memory.  A process without the app (the Celery worker running scheduled
jobs) publishes straight to Redis.

Channels: every event goes to `all`, to the channel of its scope unit and of each unit above it
(so a street's stream subscribes to one channel and sees exactly its subtree), and to its
owner's channel.  Names carry the Redis database number of `DOORSTEP_REDIS_URL`: pub/sub ignores
database numbers, and two deployments sharing a Redis server by database must not hear each
other.

The API:
- `await publish(events)`: after commit, never before; never raises (a lost event costs a
  redraw, a failed push would cost the user's change).
- `async with subscribe([channels]) as sub: event = await sub.get(seconds)`.
- `org_channel(id)`, `user_channel(id)`, `all_channel()`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from functools import lru_cache
from typing import Any
from uuid import UUID

import anyio
from litestar.channels import ChannelsPlugin
from litestar.channels.backends.base import ChannelsBackend
from litestar.channels.backends.memory import MemoryChannelsBackend
from litestar.channels.backends.redis import RedisChannelsPubSubBackend
from redis.asyncio import Redis
from redis.exceptions import RedisError

from server.live.events import ChangeEvent, decode, encode
from server.org.tree import OrgTree, load_tree
from server.settings import Settings, get_settings

log = logging.getLogger("doorstep.live")

#: events a slow subscriber may fall behind by before the oldest are dropped (it is told)
MAX_BACKLOG = 1000


class ResilientRedisBackend(RedisChannelsPubSubBackend):
    """Redis pub/sub that survives Redis going away: a failed publish is logged, not raised
    (it would end the plugin's publishing task for good), and the event stream reconnects."""

    async def publish(self, data: bytes, channels: Iterable[str]) -> None:
        try:
            await super().publish(data, channels)
        except (RedisError, OSError) as exc:
            log.warning("live event not published: %s", exc)

    async def stream_events(self) -> Any:
        while True:
            try:
                async for item in super().stream_events():
                    yield item
            except (RedisError, OSError) as exc:
                log.warning("live event stream lost Redis, retrying: %s", exc)
                await asyncio.sleep(1)

    async def on_shutdown(self) -> None:
        await super().on_shutdown()
        await self._redis.aclose()


class LiveChannelsPlugin(ChannelsPlugin):
    """The app's channels plugin; while it runs, it is this process's live bus."""

    async def __aenter__(self) -> LiveChannelsPlugin:
        await super().__aenter__()
        _running.append(self)
        return self

    async def __aexit__(self, *exc: Any) -> None:
        if self in _running:
            _running.remove(self)
        await super().__aexit__(*exc)


_running: list[LiveChannelsPlugin] = []


def make_plugin(settings: Settings) -> LiveChannelsPlugin:
    backend: ChannelsBackend
    if settings.redis_url:
        backend = ResilientRedisBackend(redis=Redis.from_url(settings.redis_url))
    else:
        backend = MemoryChannelsBackend()
    return LiveChannelsPlugin(
        backend,
        arbitrary_channels_allowed=True,
        subscriber_max_backlog=MAX_BACKLOG,
        subscriber_backlog_strategy="dropleft",
    )


def running_plugin() -> LiveChannelsPlugin | None:
    return _running[-1] if _running else None


# -- channel names --------------------------------------------------------------------------------
@lru_cache(maxsize=8)
def _prefix(redis_url: str | None) -> str:
    if not redis_url:
        return "doorstep:live:"
    from redis.connection import parse_url

    db = parse_url(redis_url).get("db", 0)  # type: ignore[no-untyped-call]
    return f"doorstep:{db}:live:"


def prefix(redis_url: str | None = None) -> str:
    """The channel names' prefix for this deployment (or for `redis_url`'s)."""
    return _prefix(redis_url or get_settings().redis_url)


def all_channel(redis_url: str | None = None) -> str:
    return prefix(redis_url) + "all"


def org_channel(unit_id: UUID | str, redis_url: str | None = None) -> str:
    return f"{prefix(redis_url)}org:{unit_id}"


def user_channel(user_id: UUID | str, redis_url: str | None = None) -> str:
    return f"{prefix(redis_url)}user:{user_id}"


def channels_of(event: ChangeEvent, tree: OrgTree) -> list[str]:
    """Where an event goes: everyone, its scope unit and every unit above it, its owner."""
    out = [all_channel()]
    if event.scope_org_id:
        try:
            scope = UUID(event.scope_org_id)
        except ValueError:
            scope = None
        ancestors = tree.ancestors(scope)
        out += [org_channel(unit) for unit in ancestors] or [org_channel(event.scope_org_id)]
    if event.owner_id:
        out.append(user_channel(event.owner_id))
    return out


# -- publishing -------------------------------------------------------------------------------
async def publish(events: Iterable[ChangeEvent]) -> None:
    """Publish committed changes to every app server's subscribers.  Call after commit."""
    events = list(events)
    if not events:
        return
    try:
        tree = await load_tree()
        batch = [(encode(e), channels_of(e, tree)) for e in events]
        plugin = running_plugin()
        if plugin is not None:
            for data, channels in batch:
                plugin.publish(data, channels)  # queued; the plugin's task sends it
            return
        redis_url = get_settings().redis_url
        if redis_url:
            await _publish_direct(redis_url, batch)
        # else: no app in this process and no Redis: nobody could be listening
    except Exception:
        log.exception("live events not published")


async def _publish_direct(redis_url: str, batch: list[tuple[bytes, list[str]]]) -> None:
    """From a process without the app (a Celery worker): one short Redis connection."""
    client = Redis.from_url(redis_url)
    try:
        async with client.pipeline(transaction=False) as pipe:
            for data, channels in batch:
                for channel in channels:
                    pipe.publish(channel, data)
            await pipe.execute()
    finally:
        await client.aclose()


# -- subscribing ------------------------------------------------------------------------------
class LiveUnavailable(RuntimeError):
    """Subscribing needs the app's channels plugin running in this process."""


class Subscription:
    """The events of some channels, in arrival order, bounded: when the reader falls more than
    `maxsize` behind, further events are dropped and counted in `dropped` (the reader should
    then reload what it shows instead of trusting the stream)."""

    def __init__(self, maxsize: int = MAX_BACKLOG) -> None:
        self._queue: asyncio.Queue[ChangeEvent] = asyncio.Queue(maxsize)
        self.dropped = 0

    def _put(self, data: bytes) -> None:
        try:
            event = decode(data)
        except (ValueError, TypeError):
            log.warning("undecodable live event dropped")
            return
        try:
            self._queue.put_nowait(event)
        except asyncio.QueueFull:
            self.dropped += 1

    async def get(self, seconds: float | None = None) -> ChangeEvent | None:
        """The next event, or None when `seconds` pass without one (None: wait for ever)."""
        try:
            return await asyncio.wait_for(self._queue.get(), seconds)
        except TimeoutError:
            return None


@asynccontextmanager
async def subscribe(channels: Iterable[str]) -> AsyncIterator[Subscription]:
    """Events published to `channels` from now until the block ends (on every app server when
    Redis is configured).  The subscription is in place when the block starts."""
    plugin = running_plugin()
    if plugin is None:
        raise LiveUnavailable("live updates need the running app (its channels plugin)")
    names = sorted(set(channels))
    subscription = Subscription()

    async def on_event(data: bytes) -> None:
        subscription._put(data)

    subscriber = await plugin.subscribe(names)
    try:
        async with subscriber.run_in_background(on_event, join=False):
            yield subscription
    finally:
        # a client that hung up cancels us: unsubscribing must still finish
        with anyio.CancelScope(shield=True):
            await plugin.unsubscribe(subscriber, names)


def subscriber_count(channel: str) -> int:
    """How many subscribers this process holds on `channel` (tests check clean disconnects)."""
    plugin = running_plugin()
    if plugin is None:
        return 0
    return len(plugin._channels.get(channel, ()))
