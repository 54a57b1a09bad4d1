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
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from piccolo.table import Table

from server.accounts.principal import Principal
from server.org.tree import OrgTree


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
    async def scan(self, principal: Principal, tree: OrgTree, start: int, limit: int) -> Page:
        """Feed entries after `start`, as the changes this reader may see (at most `limit`)."""

    @abstractmethod
    async def rows_by_id(self, table: type[Table], ids: Sequence[UUID]) -> list[dict[str, Any]]:
        """Whole rows by id, JSON columns parsed, outside any write transaction."""


def latest_per_record(items: Sequence[FeedItem]) -> list[FeedItem]:
    """One feed item per record: the last one given wins."""
    latest: dict[tuple[str, UUID], FeedItem] = {}
    for item in items:
        latest[(item.collection, item.record_id)] = item
    return list(latest.values())
