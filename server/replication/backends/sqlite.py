"""The SQLite backend: Piccolo's queries.

They are portable: `PiccoloBackend` is right on both engines, and the PostgreSQL backend falls
back to it outside a write transaction (where there is no asyncpg connection to borrow)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from piccolo.query.methods.insert import Insert
from piccolo.table import Table

from server.accounts.principal import Principal
from server.accounts.tables import Device
from server.org.tree import OrgTree
from server.replication import prefilter
from server.replication.backends.base import (
    Backend,
    Entry,
    FeedItem,
    Page,
    latest_per_record,
    prefiltered_scan,
)
from server.replication.feed import current_number, take_numbers
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
        now = datetime.now(UTC)
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
                alt_user_id=item.alt_user_id,
                alt_org_id=item.alt_org_id,
                changed_at=now,
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
                FeedEntry.alt_user_id,
                FeedEntry.alt_org_id,
                FeedEntry.changed_at,
            ],
        )
        await query
        return last

    async def scan(
        self, principal: Principal, tree: OrgTree, start: int, limit: int, head: int
    ) -> Page:
        arms = prefilter.arms_for(principal, tree)

        async def fetch(after: int, batch: int) -> list[Entry]:
            sql, args = prefilter.visible_entries_sql(arms, after, head, batch, postgres=False)
            if not sql:
                return []
            rows = await FeedEntry.raw(sql, *args)
            return [(int(r["seq"]), r["collection"], str(r["record_id"])) for r in rows]

        async def decide(entries: list[Entry]) -> list[tuple[str, str, Any]]:
            records = await load_feed_records(
                self, [{"collection": c, "record_id": UUID(r)} for _, c, r in entries]
            )
            out = []
            for _, collection, record_id in entries:
                record = records.get((collection, record_id))
                held = visible_change(principal, tree, record) if record is not None else None
                out.append((collection, record_id, held))
            return out

        return await prefiltered_scan(start, limit, head, fetch, decide)

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
