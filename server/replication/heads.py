"""Per-scope feed heads (issue 13): answer an empty pull without a feed query, and poke only the
devices whose scope a commit touched.

Each app process keeps a `HeadIndex`: for every *scope key* the latest feed number that touched
it.  A feed entry has the keys `c:<collection>`, `o:<scope unit>:<collection>`,
`a:<second unit>:<collection>` and `u:<owner or second user>:<collection>`; a reader's
`FeedScope`s (the same ones the pull's SQL pre-filter uses, `prefilter.arms_for`) name the keys
of every entry it could read: `c:` for what it reads everywhere, `o:`/`a:` for each unit of its
subtree (or, for a large subtree, the coarser `c:` key, whose head is never lower), `u:` for
itself.

The index is filled from the database, not from the writers: one poller per process reads the
feed counter and the entries after what it has already indexed (`sync_feed` by `seq`, an index
range), kicked after every write transaction that commits in this process, after every change
event the live bus brings from other processes, and at least every `POLL_SECONDS`.  So every
writer is covered (pushes, scheduled jobs, the user directory, another app server, the CLI), and
a crash or a lost event costs at most one poll interval, never an entry.

An empty pull is answered from the index (`answer_empty`) only when all of this holds, and goes
to the database otherwise:
- the index has polled, and no write transaction has committed since that poll began: in this
  process (a local counter) nor, with Redis configured, in any process (a Redis counter every
  commit increments; Redis unreachable means "unsure");
- the cursor lies within what the index covers (`since` ≤ cursor ≤ indexed head), was issued for
  the caller's role, org unit, scope epoch and read rules, and no compaction happened after it;
- the caller's tree is the one the pull's ancestors table holds;
- no key of the reader's scopes has a head above the cursor.
The answer gives back the device's own cursor, unchanged: a device is never moved past an entry
the index had not yet seen, so the worst a late poll can do is answer "nothing yet" to a pull
that raced a commit, and the commit's poke (sent by the same poller, after indexing) brings the
device back.

Pokes (`Watch`): a device's event stream registers its keys; the poller sets the flag of each
stream whose keys an indexed entry touched (the fan-out grows with the devices whose scope
changed, not with the open streams), and the stream sends one poke per coalescing window.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from uuid import UUID

from redis.exceptions import RedisError

from server import db as dbmod
from server import specs
from server.accounts.principal import Principal
from server.org.tree import OrgTree
from server.replication.prefilter import HEAD_SQL, Arms, arms_for, read_head
from server.replication.rows import server_time
from server.replication.tables import FeedCounter

log = logging.getLogger("doorstep.sync.heads")

#: the poller's safety net: it polls at least this often even when nobody kicks it
POLL_SECONDS = 1.0
#: entries one poll reads at most; a larger gap (a bulk import) restarts the index above it
MAX_POLL_ENTRIES = 20_000
#: a subtree with more units than this is watched through the collection's key instead
MAX_UNITS_PER_ARM = 64
#: the Redis counter every committed write transaction increments (with Redis configured)
COMMITS_KEY = "doorstep:{db}:sync:commits"

_ENTRIES_SQL = (
    "SELECT seq, collection, scope_org_id, owner_id, alt_user_id, alt_org_id FROM sync_feed "
    "WHERE seq > {} AND seq <= {} ORDER BY seq LIMIT {}"
)


def entry_keys(collection: str, scope: Any, owner: Any, alt_user: Any, alt_org: Any) -> list[str]:
    """The scope keys a feed entry touches."""
    keys = [f"c:{collection}"]
    if scope:
        keys.append(f"o:{scope}:{collection}")
    if alt_org:
        keys.append(f"a:{alt_org}:{collection}")
    for user in {str(u) for u in (owner, alt_user) if u}:
        keys.append(f"u:{user}:{collection}")
    return keys


def _subtree(tree: OrgTree, root: UUID) -> list[UUID]:
    return [unit for unit in tree.units if tree.is_within(unit, root)]


def reader_keys(arms: Arms, tree: OrgTree) -> frozenset[str]:
    """The keys of every feed entry these arms match (a superset is fine: a key that moves
    without concerning the reader costs one database pull, or one spurious poke)."""
    keys: set[str] = {f"c:{name}" for name in arms.everything}
    for prefix, groups in (("o", arms.subtree), ("a", arms.alt_subtree)):
        for root, names in groups.items():
            units = _subtree(tree, root)
            if len(units) > MAX_UNITS_PER_ARM:
                keys.update(f"c:{name}" for name in names)  # never lower than a unit's head
                continue
            keys.update(f"{prefix}:{unit}:{name}" for unit in units for name in names)
    for user, names in arms.user.items():
        keys.update(f"u:{user}:{name}" for name in names)
    return frozenset(keys)


@lru_cache(maxsize=4096)
def _keys_for(
    user: UUID, role: str, org: UUID | None, epoch: int, tree: OrgTree, rules: str
) -> frozenset[str]:
    principal = Principal(
        user_id=user, device_id=user, username="", role=role, org_unit_id=org, scope_epoch=epoch
    )
    return reader_keys(arms_for(principal, tree), tree)


def keys_of(principal: Principal, tree: OrgTree) -> frozenset[str]:
    """A reader's keys, cached per user, role, org unit, epoch, tree and read rules."""
    return _keys_for(
        principal.user_id,
        principal.role,
        principal.org_unit_id,
        principal.scope_epoch,
        tree,
        specs.rules_fingerprint(),
    )


@dataclass(eq=False)
class Watch:
    """One open event stream: its keys, and a flag the poller sets when one of them moved."""

    keys: frozenset[str]
    moved: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass
class Snapshot:
    """What one completed poll established."""

    #: every feed entry in (since, head] is indexed
    since: int
    head: int
    tree: int | None
    horizon: int
    #: the commit counters when the poll began (local; Redis, None without it)
    local_commits: int
    shared_commits: int | None


class HeadIndex:
    def __init__(self) -> None:
        self.heads: dict[str, int] = {}
        self.snapshot: Snapshot | None = None
        self.local_commits = 0
        self.polls = 0
        self._watches: dict[str, set[Watch]] = defaultdict(set)
        self._kick = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._bus_task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = asyncio.Lock()

    # -- running ---------------------------------------------------------------------------
    def ensure_running(self) -> None:
        loop = asyncio.get_running_loop()
        if self._task is not None and not self._task.done() and self._loop is loop:
            return
        self._loop = loop
        self._kick = asyncio.Event()
        self._lock = asyncio.Lock()
        self.snapshot = None
        self.polls = 0
        self._task = loop.create_task(self._run(), name="doorstep-feed-heads")
        self._bus_task = loop.create_task(self._listen(), name="doorstep-feed-heads-bus")

    def kick(self) -> None:
        self._kick.set()

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._kick.wait(), POLL_SECONDS)
            self._kick.clear()
            try:
                await self.poll()
            except asyncio.CancelledError:
                raise
            except Exception:
                # unsure: nothing is answered from the index until a poll succeeds
                self.snapshot = None
                log.warning("feed heads not polled", exc_info=True)
                await asyncio.sleep(POLL_SECONDS)

    async def _listen(self) -> None:
        """Commits on other app servers kick the poller (their change events reach this
        process over the live bus); without the bus, the periodic poll covers them."""
        from server.live import bus

        while True:
            plugin = bus.running_plugin()
            if plugin is None:
                await asyncio.sleep(POLL_SECONDS)
                continue
            try:
                async with bus.subscribe([bus.all_channel()]) as subscription:
                    while bus.running_plugin() is plugin:
                        if await subscription.get(POLL_SECONDS * 5) is not None:
                            self.kick()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("feed heads lost the live bus; polling only", exc_info=True)
                await asyncio.sleep(POLL_SECONDS)

    async def primed(self) -> None:
        """Wait until the index has polled once in this event loop (a stream opened before
        that would miss the entries of the first poll)."""
        self.ensure_running()
        if self.snapshot is None:
            await self.poll()

    async def settle(self) -> Snapshot | None:
        """Poll now and return what it established (tests; the first pull after start)."""
        self.ensure_running()
        await self.poll()
        return self.snapshot

    # -- polling ---------------------------------------------------------------------------
    async def poll(self) -> None:
        async with self._lock:  # one poll at a time: each starts from the last one's head
            await self._poll()

    async def _poll(self) -> None:
        local = self.local_commits
        shared = await shared_commits()
        head = read_head(await FeedCounter.raw(HEAD_SQL))
        previous = self.snapshot
        moved: list[list[str]] = []
        if previous is None or head.seq < previous.head:
            # a (re)start: what came before is the database's to answer; streams that were
            # open across a gap are poked (they may have missed something)
            since = head.seq
            if previous is not None:
                self.heads.clear()
            moved_all = self.polls > 0
        else:
            since, moved_all = previous.since, False
            if head.seq > previous.head:
                rows = await FeedCounter.raw(
                    _ENTRIES_SQL, previous.head, head.seq, MAX_POLL_ENTRIES + 1
                )
                if len(rows) > MAX_POLL_ENTRIES:
                    since, moved_all = head.seq, True
                else:
                    for row in rows:
                        keys = entry_keys(
                            row["collection"],
                            row["scope_org_id"],
                            row["owner_id"],
                            row["alt_user_id"],
                            row["alt_org_id"],
                        )
                        seq = int(row["seq"])
                        for key in keys:
                            if self.heads.get(key, 0) < seq:
                                self.heads[key] = seq
                        moved.append(keys)
        self.snapshot = Snapshot(since, head.seq, head.tree, head.horizon, local, shared)
        self.polls += 1
        self._poke(moved, everyone=moved_all)

    def _poke(self, moved: Iterable[list[str]], *, everyone: bool) -> None:
        if everyone:
            for watches in self._watches.values():
                for watch in watches:
                    watch.moved.set()
            return
        for keys in moved:
            for key in keys:
                for watch in self._watches.get(key, ()):
                    watch.moved.set()

    # -- answering -------------------------------------------------------------------------
    async def quiet_since_poll(self) -> Snapshot | None:
        """The last poll's snapshot, if no write transaction committed since it began."""
        snap = self.snapshot
        if snap is None or self.local_commits != snap.local_commits:
            return None
        if snap.shared_commits is not None or _redis_url():
            shared = await shared_commits()
            if shared is None or shared != snap.shared_commits:
                return None
        return snap

    def moved_after(self, keys: Iterable[str], seq: int) -> bool:
        heads = self.heads
        return any(heads.get(key, 0) > seq for key in keys)

    # -- watching --------------------------------------------------------------------------
    def watch(self, keys: frozenset[str]) -> Watch:
        watch = Watch(keys)
        for key in keys:
            self._watches[key].add(watch)
        return watch

    def unwatch(self, watch: Watch) -> None:
        for key in watch.keys:
            watches = self._watches.get(key)
            if watches is not None:
                watches.discard(watch)
                if not watches:
                    del self._watches[key]

    def watching(self) -> int:
        return len({w for ws in self._watches.values() for w in ws})


_index = HeadIndex()


def index() -> HeadIndex:
    return _index


# -- commit counters ----------------------------------------------------------------------------
def _redis_url() -> str | None:
    from server.settings import get_settings

    return get_settings().redis_url


_redis: Any = None
_redis_for: tuple[str, asyncio.AbstractEventLoop] | None = None


def _client(url: str) -> Any:
    global _redis, _redis_for
    loop = asyncio.get_running_loop()
    if _redis is None or _redis_for != (url, loop):
        from redis.asyncio import Redis

        _redis = Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        _redis_for = (url, loop)
    return _redis


def _commits_key(url: str) -> str:
    from redis.connection import parse_url

    return COMMITS_KEY.format(db=parse_url(url).get("db", 0))  # type: ignore[no-untyped-call]


async def shared_commits() -> int | None:
    """The all-process commit counter (None without Redis, or when Redis does not answer)."""
    url = _redis_url()
    if not url:
        return None
    try:
        value = await _client(url).get(_commits_key(url))
    except (RedisError, OSError):
        return None  # unsure: the database answers
    return int(value or 0)


async def committed() -> None:
    """After a write transaction committed in this process: the index is unsure until its
    next poll (kicked now), here and, through the Redis counter, on every other app server."""
    _index.local_commits += 1
    _index.kick()
    url = _redis_url()
    if url:
        try:
            await _client(url).incr(_commits_key(url))
        except Exception:
            # the other processes' indexes learn of it from their next poll (≤ POLL_SECONDS)
            log.warning("sync commit counter not incremented", exc_info=True)


dbmod.after_commit.append(committed)


# -- the empty pull -------------------------------------------------------------------------------
async def answer_empty(principal: Principal, cursor_text: str | None, key: bytes) -> Any:
    """The pull's answer when the index proves there is nothing after the cursor for this
    reader (a `PullOut` giving the device its own cursor back), or None: ask the database."""
    from server.http.errors import ApiError
    from server.org.tree import load_tree
    from server.replication.cursor import decode_cursor
    from server.replication.schemas import PullOut

    if not cursor_text or os.environ.get("DOORSTEP_FEED_HEADS") == "off":
        return None  # "off": every pull reads the feed (benchmarks' same-run baseline)
    _index.ensure_running()
    snap = await _index.quiet_since_poll()
    if snap is None:
        return None
    try:
        cursor = decode_cursor(key, cursor_text, str(principal.user_id))
    except ApiError:
        return None  # the database path answers it, with the same error
    org = str(principal.org_unit_id) if principal.org_unit_id else None
    if not (snap.since <= cursor.seq <= snap.head):
        return None
    if snap.horizon > max(cursor.seq, cursor.horizon):
        return None  # compaction since the cursor: the database answers `reset`
    if cursor.rules != specs.rules_fingerprint():
        return None
    if (cursor.epoch, cursor.role, cursor.org) != (principal.scope_epoch, principal.role, org):
        return None
    tree = await load_tree()
    if snap.tree != tree.signature:
        return None  # the pull would rebuild the ancestors table first
    if _index.moved_after(keys_of(principal, tree), cursor.seq):
        return None
    return PullOut(
        server_time=server_time(),
        cursor=cursor_text,
        has_more=False,
        reset=False,
        changes=[],
        evict=[],
    )
