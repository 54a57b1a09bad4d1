"""The engine's Store over the database: preload a working set, run the engine, flush.

The push's preload reads everything a batch can touch in a few queries (the records it names and
those their specs ask for, their base snapshots, the device's answers) and, on PostgreSQL, locks
the touched rows so two batches editing one record take turns.  The engine then runs synchronously
against memory; `flush()` writes every change in bulk inside the same transaction: records,
version snapshots, answers, set deltas, the audit trail and, last, the change feed (whose
counter lock is held until commit; see feed.py).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import msgspec

from server import specs
from server.accounts.tables import Device
from server.live.events import ChangeEvent, change_event
from server.permissions import feed_keys, private_fields, record_scope
from server.replication.backends.base import FeedItem
from server.replication.backends.current import backend
from server.replication.facts import fact_rows, run_after_facts
from server.replication.rows import iso, record_to_row, row_to_record, table_of
from server.replication.tables import (
    AuditEntry,
    DeviceAnswer,
    DeviceSetDeltas,
    LifecycleFact,
    RecordVersion,
)
from sync.hlc import parse_hlc
from sync.model import Applied, Mutation, Record, Result, SetDelta
from sync.store import open_slots_among, overlapping_sessions

Key = tuple[str, str]
#: set deltas kept per (record, device): a device rarely queues more edits of one record
KEEP_SET_DELTAS = 50


_encoder = msgspec.json.Encoder(enc_hook=str)


def _json(value: Any) -> str:
    """JSON text (UTF-8, no escapes), as `json.dumps(ensure_ascii=False, default=str)`."""
    return _encoder.encode(value).decode()


def _copy_json(value: Any) -> Any:
    """A deep copy of a JSON value (several times faster than copy.deepcopy)."""
    return msgspec.json.decode(_encoder.encode(value))


class WorkingSet:
    """A Store (sync/store.py) holding one batch's slice of the database in memory."""

    def __init__(self, device_id: str, user_id: str) -> None:
        # the engine merges against the registered collections: make sure they are
        specs.ensure_loaded()
        self.device_id = device_id
        self.user_id = user_id
        self.records: dict[Key, Record | None] = {}
        self.snapshots: dict[tuple[str, str, int], dict[str, Any]] = {}
        self._last_seq = 0
        self._answers: dict[int, Result] = {}
        self._deltas: dict[tuple[str, str, str], list[SetDelta]] = {}
        self._device_users: dict[str, str] = {device_id: user_id}
        #: what the domains' preload hooks already loaded into this working set
        self.memo: dict[str, Any] = {}
        self._derived: dict[Key, dict[str, Any]] = {}
        self._deltas_dirty: set[tuple[str, str, str]] = set()
        # what flush() will write
        self.writes: list[tuple[Record, Applied]] = []
        self.new_answers: list[Result] = []
        #: one event per record written, built by flush(); the caller publishes them once the
        #: transaction has committed (`server.live.publish`), never before
        self.changes: list[ChangeEvent] = []
        self.db = backend()

    # ---- loading ---------------------------------------------------------------------------
    async def load_device(self, seqs: Iterable[int]) -> None:
        self._last_seq = await self.db.device_seq(UUID(self.device_id))
        wanted = [f"{self.device_id}/{s}" for s in seqs if s <= self._last_seq]
        if wanted:
            for seq, result in await self.db.answers(wanted):
                self._answers[seq] = Result.from_json(result)

    async def load_records(self, keys: Iterable[Key]) -> list[Record]:
        """Load (and on PostgreSQL lock) records not yet in the working set."""
        by_collection: dict[str, set[str]] = defaultdict(set)
        for collection, record_id in keys:
            if table_of(collection) is not None and (collection, record_id) not in self.records:
                by_collection[collection].add(record_id)
        loaded: list[Record] = []
        for collection in sorted(by_collection):
            ids = sorted(by_collection[collection])
            table = specs.get(collection).table
            derived = specs.get(collection).derived_columns
            for record_id in ids:
                self.records[(collection, record_id)] = None
            rows = await self.db.records(table, [UUID(i) for i in ids], lock=True)
            for row in rows:
                record = row_to_record(collection, row)
                self.records[(collection, record.id)] = record
                if derived:
                    self._derived[(collection, record.id)] = {k: row.get(k) for k in derived}
                loaded.append(record)
        return loaded

    async def load_snapshots(self, wanted: Iterable[tuple[str, str, int]]) -> None:
        keys = [
            f"{c}/{r}/{v}" for c, r, v in set(wanted) if v > 0 and (c, r, v) not in self.snapshots
        ]
        if keys:
            for collection, record_id, version, fields in await self.db.snapshots(keys):
                self.snapshots[(collection, record_id, version)] = fields

    async def load_set_deltas(self, keys: Iterable[Key]) -> None:
        wanted = [f"{c}/{r}/{self.device_id}" for c, r in keys]
        if wanted:
            for key, deltas in await self.db.set_deltas(wanted):
                collection, record_id, device_id = key.split("/")
                self._deltas[(collection, record_id, device_id)] = [
                    SetDelta.from_json(d) for d in deltas
                ]

    async def load_device_users(self, records: Iterable[Record]) -> None:
        devices: set[str] = set()
        for record in records:
            for clock in record.field_clocks.values():
                try:
                    devices.add(parse_hlc(clock).device_id)
                except ValueError:
                    continue
        wanted = []
        for device in devices - set(self._device_users):
            try:
                wanted.append(UUID(device))
            except ValueError:
                continue  # "server" and other non-device clocks
        if wanted:
            for row in await Device.select(Device.id, Device.user_id).where(
                Device.id.is_in(wanted)
            ):
                self._device_users[str(row["id"])] = str(row["user_id"])

    def adopt_rows(self, collection: str, rows: Iterable[dict[str, Any]]) -> None:
        """Add rows a domain's preload hook read (records already here keep their state)."""
        for row in rows:
            key = (collection, str(row["id"]))
            if key not in self.records:
                self.records[key] = row_to_record(collection, row)

    def expect_new(self, collection: str, record_id: str) -> None:
        """Declare an id the server is about to create (a warning, a notification), so `get`
        answers None for it instead of treating it as a key nobody preloaded."""
        self.records.setdefault((collection, record_id), None)

    # ---- the Store protocol ----------------------------------------------------------------
    def get(self, collection: str, record_id: str) -> Record | None:
        key = (collection, record_id)
        if key not in self.records:
            raise LookupError(f"{collection}/{record_id} was not preloaded")
        record = self.records[key]
        return None if record is None else record.copy()

    def get_snapshot(self, collection: str, record_id: str, version: int) -> dict[str, Any] | None:
        snap = self.snapshots.get((collection, record_id, version))
        if snap is not None:
            return dict(_copy_json(snap))
        current = self.records.get((collection, record_id))
        if current is not None and current.version == version:
            return dict(_copy_json(current.fields))
        return None

    def put(self, record: Record, applied: Applied) -> None:
        self.records[(record.collection, record.id)] = record.copy()
        self.snapshots[(record.collection, record.id, record.version)] = _copy_json(record.fields)
        self.writes.append((record.copy(), applied))

    def last_seq(self, device_id: str) -> int:
        return self._last_seq

    def get_answer(self, device_id: str, seq: int) -> Result | None:
        return self._answers.get(seq)

    def save_answer(self, device_id: str, result: Result) -> None:
        self._answers[result.seq] = result
        self._last_seq = max(self._last_seq, result.seq)
        self.new_answers.append(result)

    def find_sessions(
        self,
        *,
        psychologist_id: str | None = None,
        room_id: str | None = None,
        starts_before: str,
        ends_after: str,
    ) -> list[Record]:
        return overlapping_sessions(
            self.records.values(),
            psychologist_id=psychologist_id,
            room_id=room_id,
            starts_before=starts_before,
            ends_after=ends_after,
        )

    def open_slots(self, psychologist_id: str, after: str) -> list[Record]:
        return open_slots_among(self.records.values(), psychologist_id, after)

    def set_deltas(self, collection: str, record_id: str, device_id: str) -> list[SetDelta]:
        return list(self._deltas.get((collection, record_id, device_id), ()))

    def save_set_delta(
        self, collection: str, record_id: str, device_id: str, delta: SetDelta
    ) -> None:
        key = (collection, record_id, device_id)
        self._deltas.setdefault(key, []).append(delta)
        self._deltas_dirty.add(key)

    def device_user(self, device_id: str) -> str | None:
        return self._device_users.get(device_id)

    # ---- derived scope columns ---------------------------------------------------------------
    def derived_columns(self, record: Record) -> dict[str, Any]:
        """Server-only columns of a record (a visit's community, a conflict's scope): derived
        from the working set by its spec, else as its row holds them."""
        spec = specs.get(record.collection)
        if not spec.derived_columns:
            return {}
        if spec.derive is not None:
            derived = spec.derive(self, record)
            if derived is not None:
                return derived
        stored = self._derived.get((record.collection, record.id))
        if stored is not None:
            return dict(stored)
        return dict.fromkeys(spec.derived_columns)

    def scope_of(self, record: Record) -> str | None:
        """The org unit that scopes a record (for permissions and the feed)."""
        as_dict = {**record.fields, **self.derived_columns(record)}
        scope, _ = record_scope(record.collection, as_dict)
        return scope

    def permission_record(self, record: Record) -> dict[str, Any]:
        """A record as the permission rules read it (see `server.specs.PermissionRecord`)."""
        return {
            **record.fields,
            "id": record.id,
            "created_by": record.created_by,
            **{
                k: (str(v) if v is not None else None)
                for k, v in self.derived_columns(record).items()
            },
        }

    # ---- writing ---------------------------------------------------------------------------
    async def flush(self, now: datetime | None = None) -> None:
        """Write everything the engine did, in bulk.  Call inside the write transaction."""
        now = now or datetime.now(UTC)
        latest: dict[Key, tuple[Record, Applied, bool]] = {}
        changed_names: dict[Key, set[str]] = defaultdict(set)
        created: set[Key] = set()
        versions: list[dict[str, Any]] = []
        audit: list[dict[str, Any]] = []
        for record, applied in self.writes:
            key = (record.collection, record.id)
            existed_before = (key in latest and latest[key][2]) or applied.before is not None
            if key not in latest and applied.before is None:
                created.add(key)
            latest[key] = (record, applied, existed_before)
            changed_names[key].update(applied.changes)
            actor = applied.actor
            user_id = UUID(actor.user_id) if actor else None
            device_id = UUID(actor.device_id) if actor else None
            mutation_id = UUID(applied.mutation_id) if applied.mutation_id else None
            record_id = UUID(record.id)
            versions.append(
                {
                    "key": f"{record.collection}/{record.id}/{record.version}",
                    "collection": record.collection,
                    "record_id": record_id,
                    "version": record.version,
                    "fields": _json(record.fields),
                    "discarded": _json(applied.discarded) if applied.discarded else None,
                    "hlc": max(record.field_clocks.values(), default=None),
                    "user_id": user_id,
                    "device_id": device_id,
                    "mutation_id": mutation_id,
                    "at": now,
                }
            )
            changed: list[tuple[str, str | None, str]] = [
                (name, _json(old), _json(new)) for name, (old, new) in applied.changes.items()
            ]
            changed += [
                (f"{name}#discarded", None, _json(value))
                for name, value in applied.discarded.items()
            ]
            for name, old_json, new_json in changed:
                audit.append(
                    {
                        "at": now,
                        "user_id": user_id,
                        "device_id": device_id,
                        "collection": record.collection,
                        "record_id": record_id,
                        "version": record.version,
                        "field": name,
                        "old": old_json,
                        "new": new_json,
                        "mutation_id": mutation_id,
                    }
                )
        await self._write_records(latest)
        await self.db.insert(RecordVersion, versions, conflict="key", update=())
        await self.db.insert(AuditEntry, audit)
        # the lifecycle facts every figure is computed from, in the change's transaction
        facts = fact_rows(self.writes, self.scope_of, now)
        await self.db.insert(LifecycleFact, facts)
        # what domains keep from them on their rows (a dispute's milestones), records written
        await run_after_facts(self.writes, facts)
        await self._write_answers(now)
        await self._write_set_deltas()
        feed = []
        at = iso(now) or ""
        for key, (record, _, _) in latest.items():
            collection = key[0]
            as_dict = {**record.fields, **self.derived_columns(record)}
            scope, owner = record_scope(collection, as_dict)
            self.changes.append(
                change_event(
                    record,
                    changed_names[key],
                    created=key in created,
                    scope=scope,
                    owner=owner,
                    at=at,
                    private=private_fields(collection),
                )
            )
            keys = feed_keys(collection, self.permission_record(record))
            feed.append(
                FeedItem(collection, UUID(record.id), record.version, record.deleted, *keys)
            )
        await self.db.publish(feed)  # last: it takes the feed counter's lock (feed.py)

    async def _write_records(self, latest: dict[Key, tuple[Record, Applied, bool]]) -> None:
        inserts: dict[tuple[str, tuple[str, ...]], list[dict[str, Any]]] = defaultdict(list)
        updates: dict[tuple[str, tuple[str, ...]], list[dict[str, Any]]] = defaultdict(list)
        for (collection, _), (record, _, existed) in latest.items():
            row = record_to_row(record, self.derived_columns(record))
            (updates if existed else inserts)[(collection, tuple(row))].append(row)
        for (collection, _), rows in inserts.items():
            await self.db.insert(specs.get(collection).table, rows)
        for (collection, names), rows in updates.items():
            # Only what a sync write owns: server-only columns (deadline and reminder stamps,
            # password hashes) keep their values.
            written = [name for name in names if name != "id"]
            await self.db.insert(specs.get(collection).table, rows, conflict="id", update=written)

    async def _write_answers(self, now: datetime) -> None:
        if not self.new_answers:
            return
        device = UUID(self.device_id)
        await self.db.insert(
            DeviceAnswer,
            [
                {
                    "key": f"{self.device_id}/{r.seq}",
                    "device_id": device,
                    "seq": r.seq,
                    "mutation_id": UUID(r.id),
                    "result": _json(r.to_json()),
                    "at": now,
                }
                for r in self.new_answers
            ],
        )
        await self.db.save_device_seq(device, self._last_seq, now)

    async def _write_set_deltas(self) -> None:
        if not self._deltas_dirty:
            return
        rows = [
            {
                "key": "/".join(key),
                "deltas": _json([d.to_json() for d in self._deltas[key][-KEEP_SET_DELTAS:]]),
            }
            for key in sorted(self._deltas_dirty)
        ]
        await self.db.insert(DeviceSetDeltas, rows, conflict="key", update=("deltas",))


def mutation_keys(mutations: Iterable[Mutation]) -> set[Key]:
    return {(m.collection, m.record_id) for m in mutations}


def valid_ids(values: set[str]) -> set[str]:
    """The values that are UUIDs (a malformed id names no row, so it is not queried)."""
    out = set()
    for value in values:
        try:
            UUID(value)
        except ValueError:
            continue
        out.add(value)
    return out
