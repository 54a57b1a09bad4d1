"""What the sync store needs from a database, as one interface with one class per engine.

SQLite and PostgreSQL read and write the same rows, but not the same way: on PostgreSQL the
push's preload locks what it reads and the flush writes each table with one
`INSERT ... SELECT FROM unnest(...)` on the transaction's asyncpg connection, and the pull reads
wire dicts straight from asyncpg (docs/performance.md); SQLite keeps Piccolo's queries.  The
engine's class is chosen once (`server.replication.backends.backend()`), as Litestar's `stores/`
chooses a store, instead of an `if postgres:` in every function.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from piccolo.table import Table

from server.accounts.principal import Principal
from server.org.tree import OrgTree
from server.replication.feed import MAX_SCAN


@dataclass(slots=True)
class Page:
    """One page of a pull: the changes, the records to evict (readable, but no longer held on
    the reader's device), the last feed number scanned and whether more entries follow."""

    changes: list[dict[str, Any]]
    evict: list[dict[str, str]]
    last: int
    has_more: bool

    def take(self, held: Any, collection: str, record_id: str, incremental: bool) -> None:
        """Add what `visible.device_change` decided for one record to this page."""
        if isinstance(held, dict):
            self.changes.append(held)
        elif held is not None and incremental:
            self.evict.append({"collection": collection, "record_id": record_id})


@dataclass(frozen=True, slots=True)
class FeedItem:
    """A changed record, as the change feed lists it."""

    collection: str
    record_id: UUID
    version: int
    deleted: bool
    scope_org_id: UUID | None
    owner_id: UUID | None
    alt_user_id: UUID | None = None
    alt_org_id: UUID | None = None


class Backend(ABC):
    """The database work of a push (preload and flush), of the feed and of a pull's scan."""

    name: str

    # -- a push's preload (inside the write transaction) ------------------------------------
    @abstractmethod
    async def device_seq(self, device: UUID) -> int:
        """The device's last answered `seq`; on PostgreSQL the device row stays locked, so one
        device's pushes take turns."""

    @abstractmethod
    async def answers(self, keys: list[str]) -> list[tuple[int, dict[str, Any]]]:
        """Stored answers by key (`<device>/<seq>`), as (seq, result JSON)."""

    @abstractmethod
    async def records(
        self, table: type[Table], ids: Sequence[UUID], *, lock: bool
    ) -> list[dict[str, Any]]:
        """Whole rows by id, JSON columns parsed; `lock` takes them FOR UPDATE on PostgreSQL."""

    @abstractmethod
    async def snapshots(self, keys: list[str]) -> list[tuple[str, str, int, dict[str, Any]]]:
        """Version snapshots by key (`<collection>/<id>/<version>`): (collection, id, version,
        fields)."""

    @abstractmethod
    async def set_deltas(self, keys: list[str]) -> list[tuple[str, list[Any]]]:
        """A device's remembered set deltas by key (`<collection>/<id>/<device>`)."""

    # -- a push's flush ---------------------------------------------------------------------
    @abstractmethod
    async def insert(
        self,
        table: type[Table],
        rows: list[dict[str, Any]],
        *,
        conflict: str | None = None,
        update: Sequence[str] | None = None,
    ) -> None:
        """Insert rows (dicts with the same keys; JSON columns as JSON text) in one statement.
        `conflict` names the unique column; `update` the columns an existing row takes (empty:
        keep the existing row)."""

    @abstractmethod
    async def save_device_seq(self, device: UUID, last_seq: int, now: datetime) -> None:
        """Record the device's last answered `seq` and when it was last seen."""

    @abstractmethod
    async def publish(self, items: Sequence[FeedItem]) -> int:
        """Give each changed record its next feed number (server/replication/feed.py: taken at
        the end of the write transaction, the counter row locked until commit); returns the
        last number."""

    # -- a pull -------------------------------------------------------------------------------
    @abstractmethod
    async def scan(
        self, principal: Principal, tree: OrgTree, start: int, limit: int, head: int
    ) -> Page:
        """Feed entries in (`start`, `head`] the reader could see (the SQL pre-filter,
        server/replication/prefilter.py), as the changes they may see (at most `limit`).
        `head` is the feed counter read before: every number up to it has committed."""

    @abstractmethod
    async def rows_by_id(self, table: type[Table], ids: Sequence[UUID]) -> list[dict[str, Any]]:
        """Whole rows by id, JSON columns parsed, outside any write transaction."""


#: (seq, collection, record id as text) of the feed entries one pre-filtered query returns
Entry = tuple[int, str, str]
Fetch = Callable[[int, int], Awaitable[list[Entry]]]
#: what a pull sends for each of these entries: (collection, record id, change / EVICT / None)
Decide = Callable[[list[Entry]], Awaitable[list[tuple[str, str, Any]]]]


async def prefiltered_scan(start: int, limit: int, head: int, fetch: Fetch, decide: Decide) -> Page:
    """The page loop both backends share: ask the pre-filter for a batch of entries after the
    page's position, decide each, stop at `limit` changes or MAX_SCAN entries.  When the
    pre-filter has nothing more up to `head`, the cursor moves to `head`: an empty pull then
    costs one small query, and the next one starts above everything already committed."""
    page = Page([], [], start, False)
    scanned = 0
    while len(page.changes) < limit and scanned < MAX_SCAN:
        batch = min(max(limit - len(page.changes), 100), MAX_SCAN - scanned)
        entries = await fetch(page.last, batch)
        decided = await decide(entries)
        for (seq, _, _), (collection, record_id, held) in zip(entries, decided, strict=True):
            scanned += 1
            page.last = seq
            page.take(held, collection, record_id, start > 0)
            if len(page.changes) >= limit:
                break
        if len(entries) < batch and (not entries or page.last == entries[-1][0]):
            page.last = max(page.last, head)
            return page
    page.has_more = page.last < head
    return page


def latest_per_record(items: Sequence[FeedItem]) -> list[FeedItem]:
    """One feed item per record: the last one given wins."""
    latest: dict[tuple[str, UUID], FeedItem] = {}
    for item in items:
        latest[(item.collection, item.record_id)] = item
    return list(latest.values())
