"""The storage interface the engine runs over, and an in-memory implementation.

The methods are synchronous on purpose: the server preloads a working set from its database
asynchronously (the records a push names, their snapshots, the device's answers, the sessions
and slots near a psych booking), runs the engine on that, then flushes what ``put`` and
``save_answer`` recorded in one transaction.  The engine never needs to await.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any, Protocol

from .model import Applied, Record, Result, SetDelta
from .times import parse_rfc3339

#: psych_sessions in these states hold their slot.
ACTIVE_SESSION_STATES = ("requested", "scheduled")


class Store(Protocol):
    """What the engine needs from storage."""

    def get(self, collection: str, record_id: str) -> Record | None:
        """The record at its latest version (tombstones included), or None."""
        ...

    def get_snapshot(self, collection: str, record_id: str, version: int) -> dict[str, Any] | None:
        """The record's ``fields`` as they were right after ``version`` was written."""
        ...

    def put(self, record: Record, applied: Applied) -> None:
        """Store a new version: the record, its history snapshot and a change-feed position."""
        ...

    def last_seq(self, device_id: str) -> int:
        """The highest seq answered for this device (0 before its first push)."""
        ...

    def get_answer(self, device_id: str, seq: int) -> Result | None:
        """The stored answer to that seq, if kept."""
        ...

    def save_answer(self, device_id: str, result: Result) -> None:
        """Keep the answer and advance ``last_seq`` to ``result.seq``."""
        ...

    def find_sessions(
        self,
        *,
        psychologist_id: str | None = None,
        room_id: str | None = None,
        starts_before: str,
        ends_after: str,
    ) -> list[Record]:
        """Not-deleted psych_sessions in status requested/scheduled, of that psychologist (or in
        that room), with ``starts_at < starts_before`` and ``ends_at > ends_after`` compared as
        instants."""
        ...

    def open_slots(self, psychologist_id: str, after: str) -> list[Record]:
        """Not-deleted psych_slots of the psychologist with status open starting after ``after``,
        ordered by ``starts_at`` then id."""
        ...

    def set_deltas(self, collection: str, record_id: str, device_id: str) -> list[SetDelta]:
        """The set-field deltas of this device's mutations on this record, oldest first.

        Only the ones with a version above the device's base are ever used, so a store may
        forget old ones (e.g. keep the last 50 per device and record).
        """
        ...

    def save_set_delta(
        self, collection: str, record_id: str, device_id: str, delta: SetDelta
    ) -> None:
        """Remember one delta (written with the mutation's answer, even when nothing changed)."""
        ...

    def device_user(self, device_id: str) -> str | None:
        """The user a device belongs to (for a conflict's ``theirs_by``)."""
        ...


def _instant(value: Any) -> Any:
    """Compare times as instants, never as strings (fractions of a second vary)."""
    return parse_rfc3339(value)


def overlapping_sessions(
    records: Iterable[Record | None],
    *,
    psychologist_id: str | None,
    room_id: str | None,
    starts_before: str,
    ends_after: str,
) -> list[Record]:
    """`Store.find_sessions` over records in memory (the MemoryStore's and the server's
    working set share it): active sessions of that psychologist or room overlapping the span."""
    before, after = _instant(starts_before), _instant(ends_after)
    out = []
    for rec in records:
        if rec is None or rec.collection != "psych_sessions" or rec.deleted:
            continue
        f = rec.fields
        if f.get("status") not in ACTIVE_SESSION_STATES:
            continue
        if psychologist_id is not None and f.get("psychologist_id") != psychologist_id:
            continue
        if room_id is not None and f.get("room_id") != room_id:
            continue
        start, end = _instant(f.get("starts_at")), _instant(f.get("ends_at"))
        if start is None or end is None or not (start < before and end > after):
            continue
        out.append(rec.copy())
    return sorted(out, key=lambda r: (_instant(r.fields["starts_at"]), r.id))


def open_slots_among(
    records: Iterable[Record | None], psychologist_id: str, after: str
) -> list[Record]:
    """`Store.open_slots` over records in memory: open slots starting after `after`."""
    moment = _instant(after)
    out = []
    for rec in records:
        if rec is None or rec.collection != "psych_slots" or rec.deleted:
            continue
        f = rec.fields
        if f.get("status") != "open" or f.get("psychologist_id") != psychologist_id:
            continue
        start = _instant(f.get("starts_at"))
        if start is None or _instant(f.get("ends_at")) is None or not start > moment:
            continue
        out.append(rec.copy())
    return sorted(out, key=lambda r: (_instant(r.fields["starts_at"]), r.id))


class MemoryStore:
    """A complete Store in memory, for tests and the test vectors."""

    def __init__(self) -> None:
        self.records: dict[tuple[str, str], Record] = {}
        self.history: dict[tuple[str, str], dict[int, dict[str, Any]]] = {}
        self.applied: list[Applied] = []
        self._feed: dict[tuple[str, str], int] = {}
        self._seq = 0
        self._last_seq: dict[str, int] = {}
        self._answers: dict[tuple[str, int], Result] = {}
        self._deltas: dict[tuple[str, str, str], list[SetDelta]] = {}
        self._device_users: dict[str, str] = {}

    # -- loading state (tests, vectors) -------------------------------------------------------
    def load(self, record: Record, history: dict[int, dict[str, Any]] | None = None) -> None:
        """Insert a record as it is, with optional snapshots of earlier versions."""
        key = (record.collection, record.id)
        self.records[key] = record.copy()
        snaps = self.history.setdefault(key, {})
        for version, fields in (history or {}).items():
            snaps[int(version)] = copy.deepcopy(fields)
        snaps[record.version] = copy.deepcopy(record.fields)
        self._seq += 1
        self._feed[key] = self._seq

    def register_device(self, device_id: str, user_id: str, last_seq: int = 0) -> None:
        self._device_users[device_id] = user_id
        self._last_seq[device_id] = last_seq

    # -- Store -----------------------------------------------------------------------------
    def get(self, collection: str, record_id: str) -> Record | None:
        record = self.records.get((collection, record_id))
        return None if record is None else record.copy()

    def get_snapshot(self, collection: str, record_id: str, version: int) -> dict[str, Any] | None:
        snap = self.history.get((collection, record_id), {}).get(version)
        return None if snap is None else copy.deepcopy(snap)

    def put(self, record: Record, applied: Applied) -> None:
        key = (record.collection, record.id)
        old = self.records.get(key)
        expected = 1 if old is None else old.version + 1
        if record.version != expected:
            raise AssertionError(f"version {record.version} written over {expected - 1}")
        self.records[key] = record.copy()
        self.history.setdefault(key, {})[record.version] = copy.deepcopy(record.fields)
        self._seq += 1
        self._feed[key] = self._seq
        self.applied.append(applied)
        if applied.actor is not None:
            self._device_users.setdefault(applied.actor.device_id, applied.actor.user_id)

    def last_seq(self, device_id: str) -> int:
        return self._last_seq.get(device_id, 0)

    def get_answer(self, device_id: str, seq: int) -> Result | None:
        return self._answers.get((device_id, seq))

    def save_answer(self, device_id: str, result: Result) -> None:
        self._answers[(device_id, result.seq)] = result
        self._last_seq[device_id] = max(self.last_seq(device_id), result.seq)

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
        self._deltas.setdefault((collection, record_id, device_id), []).append(delta)

    def device_user(self, device_id: str) -> str | None:
        return self._device_users.get(device_id)

    # -- pulling (tests) -------------------------------------------------------------------
    def changes_since(self, cursor: int, limit: int = 500) -> tuple[list[Record], int]:
        """Records changed after ``cursor``, each once at its latest version, oldest first;
        and the cursor to pull from next."""
        pending = sorted((seq, key) for key, seq in self._feed.items() if seq > cursor)
        page = pending[:limit]
        records = [self.records[key].copy() for _, key in page]
        return records, (page[-1][0] if page else cursor)

    def conflicts(self) -> list[Record]:
        """Every conflict record (tests)."""
        return [r.copy() for (c, _), r in sorted(self.records.items()) if c == "conflicts"]
