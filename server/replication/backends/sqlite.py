"""The SQLite backend: Piccolo's queries.

They are portable: `PiccoloBackend` is right on both engines, and the PostgreSQL backend falls
back to it outside a write transaction (where there is no asyncpg connection to borrow)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from piccolo.query.methods.insert import Insert
from piccolo.table import Table

from server.accounts.principal import Principal
from server.accounts.tables import Device
from server.org.tree import OrgTree
from server.replication.backends.base import Backend, FeedItem, Page, latest_per_record
from server.replication.feed import MAX_SCAN, current_number, take_numbers
from server.replication.tables import DeviceAnswer, DeviceSetDeltas, FeedEntry, RecordVersion
from server.replication.visible import load_feed_records, visible_change


class PiccoloBackend(Backend):
    """Every operation as a Piccolo query."""

    name = "piccolo"
    #: whether a preload's selects take row locks (SQLite locks the whole database instead)
    lock_rows = False

    async def device_seq(self, device: UUID) -> int:
        rows = await Device.select(Device.last_seq).where(Device.id == device)
        return int(rows[0]["last_seq"]) if rows else 0

    async def answers(self, keys: list[str]) -> list[tuple[int, dict[str, Any]]]:
        if not keys:
            return []
        rows = (
            await DeviceAnswer.select(DeviceAnswer.seq, DeviceAnswer.result)
            .where(DeviceAnswer.key.is_in(keys))
            .output(load_json=True)
        )
        return [(int(row["seq"]), row["result"]) for row in rows]

    async def records(
        self, table: type[Table], ids: Sequence[UUID], *, lock: bool
    ) -> list[dict[str, Any]]:
        query = table.select().where(table._meta.primary_key.is_in(list(ids)))
        if lock and self.lock_rows:
            query = query.lock_rows("UPDATE")
        rows: list[dict[str, Any]] = await query.output(load_json=True)
        return rows

    async def snapshots(self, keys: list[str]) -> list[tuple[str, str, int, dict[str, Any]]]:
        out = []
        for chunk in _chunks(keys, 500):
            rows = (
                await RecordVersion.select(
                    RecordVersion.collection,
                    RecordVersion.record_id,
                    RecordVersion.version,
                    RecordVersion.fields,
                )
                .where(RecordVersion.key.is_in(chunk))
                .output(load_json=True)
            )
            out += [
                (row["collection"], str(row["record_id"]), int(row["version"]), row["fields"])
                for row in rows
            ]
        return out

    async def set_deltas(self, keys: list[str]) -> list[tuple[str, list[Any]]]:
        out = []
        for chunk in _chunks(keys, 500):
            for row in (
                await DeviceSetDeltas.select()
                .where(DeviceSetDeltas.key.is_in(chunk))
                .output(load_json=True)
            ):
                out.append((row["key"], row["deltas"]))
        return out

    async def insert(
        self,
        table: type[Table],
        rows: list[dict[str, Any]],
        *,
        conflict: str | None = None,
        update: Sequence[str] | None = None,
    ) -> None:
        if not rows:
            return
        query = table.insert(*[table(**row) for row in rows])
        if conflict is not None:
            target = table._meta.get_column_by_name(conflict)
            if update:
                values = [table._meta.get_column_by_name(n) for n in update]
                query = query.on_conflict(target=target, action="DO UPDATE", values=values)
            else:
                query = query.on_conflict(target=target, action="DO NOTHING")
        await query

    async def save_device_seq(self, device: UUID, last_seq: int, now: datetime) -> None:
        await Device.update({Device.last_seq: last_seq, Device.last_seen_at: now}).where(
            Device.id == device
        )

    async def publish(self, items: Sequence[FeedItem]) -> int:
        latest = latest_per_record(items)
        if not latest:
            return await current_number()
        last = await take_numbers(len(latest))
        first = last - len(latest) + 1
        rows = [
            FeedEntry(
                key=f"{item.collection}/{item.record_id}",
                seq=first + offset,
                collection=item.collection,
                record_id=item.record_id,
                version=item.version,
                deleted=item.deleted,
                scope_org_id=item.scope_org_id,
                owner_id=item.owner_id,
            )
            for offset, item in enumerate(latest)
        ]
        query: Insert[FeedEntry] = FeedEntry.insert(*rows).on_conflict(
            target=FeedEntry.key,
            action="DO UPDATE",
            values=[
                FeedEntry.seq,
                FeedEntry.version,
                FeedEntry.deleted,
                FeedEntry.scope_org_id,
                FeedEntry.owner_id,
            ],
        )
        await query
        return last

    async def scan(self, principal: Principal, tree: OrgTree, start: int, limit: int) -> Page:
        page = Page([], [], start, False)
        scanned = 0
        while len(page.changes) < limit and scanned < MAX_SCAN:
            # a batch the page can use whole when the reader sees most records; more batches
            # when it sees few (bounded by MAX_SCAN)
            batch = min(max(limit - len(page.changes), 100), MAX_SCAN - scanned)
            entries = (
                await FeedEntry.select(FeedEntry.seq, FeedEntry.collection, FeedEntry.record_id)
                .where(FeedEntry.seq > page.last)
                .order_by(FeedEntry.seq)
                .limit(batch)
            )
            if not entries:
                return page
            records = await load_feed_records(self, entries)
            for entry in entries:
                scanned += 1
                page.last = int(entry["seq"])
                key = (entry["collection"], str(entry["record_id"]))
                record = records.get(key)
                if record is not None:
                    page.take(visible_change(principal, tree, record), *key, start > 0)
                if len(page.changes) >= limit:
                    break
            if (
                len(entries) < batch
                and page.last == int(entries[-1]["seq"])
                and len(page.changes) < limit
            ):
                return page
        page.has_more = bool(await FeedEntry.exists().where(FeedEntry.seq > page.last))
        return page

    async def rows_by_id(self, table: type[Table], ids: Sequence[UUID]) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = (
            await table.select()
            .where(table._meta.primary_key.is_in(list(ids)))
            .output(load_json=True)
        )
        return rows


def _chunks(items: list[str], size: int) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class SqliteBackend(PiccoloBackend):
    """SQLite: the Piccolo queries as they are (its write lock serialises writers)."""

    name = "sqlite"
