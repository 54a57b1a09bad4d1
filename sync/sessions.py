"""Booking rules for psych_sessions: no double booking of a psychologist or a room.

Checked on the record as it will be after the merge, so that two devices booking overlapping
times offline cannot both win: the second push is rejected ``slot_taken`` with alternatives.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .model import Record, reject
from .store import ACTIVE_SESSION_STATES, Store
from .times import parse_rfc3339

MAX_SUGGESTIONS = 5
_BOOKING_FIELDS = frozenset({"starts_at", "ends_at", "room_id", "status", "psychologist_id"})


def check_time_order(collection: str, fields: dict[str, Any]) -> None:
    """``ends_at`` must be after ``starts_at`` (sessions and slots)."""
    if collection not in ("psych_sessions", "psych_slots"):
        return
    start, end = parse_rfc3339(fields.get("starts_at")), parse_rfc3339(fields.get("ends_at"))
    if start is not None and end is not None and not end > start:
        raise reject(
            "validation",
            f"{collection}.ends_at must be after starts_at",
            field="ends_at",
            problem="must be after starts_at",
            type="datetime",
        )


def _start(record: Record) -> tuple[datetime, str]:
    moment = parse_rfc3339(record.fields.get("starts_at"))
    assert moment is not None  # the store only returns sessions with valid times
    return moment, record.id


def overlapping(store: Store, fields: dict[str, Any], exclude: str) -> list[Record]:
    """Active sessions that clash with a session having ``fields`` (earliest first)."""
    starts, ends = fields["starts_at"], fields["ends_at"]
    found: dict[str, Record] = {}
    psychologist = fields.get("psychologist_id")
    if psychologist is not None:
        for rec in store.find_sessions(
            psychologist_id=psychologist, starts_before=ends, ends_after=starts
        ):
            found[rec.id] = rec
    room = fields.get("room_id")
    if room is not None:
        for rec in store.find_sessions(room_id=room, starts_before=ends, ends_after=starts):
            found[rec.id] = rec
    found.pop(exclude, None)
    return sorted(found.values(), key=_start)


def suggested_slots(
    store: Store, psychologist_id: str, now: str, exclude: str
) -> list[dict[str, Any]]:
    """Up to five open slots of the psychologist after ``now`` that nothing overlaps."""
    out: list[dict[str, Any]] = []
    for slot in store.open_slots(psychologist_id, now):
        f = slot.fields
        probe = {
            "starts_at": f["starts_at"],
            "ends_at": f["ends_at"],
            "psychologist_id": psychologist_id,
            "room_id": f.get("room_id"),
        }
        if overlapping(store, probe, exclude):
            continue
        out.append(
            {
                "slot_id": slot.id,
                "starts_at": f["starts_at"],
                "ends_at": f["ends_at"],
                "room_id": f.get("room_id"),
            }
        )
        if len(out) == MAX_SUGGESTIONS:
            break
    return out


def check_booking(store: Store, record: Record, changed: set[str], created: bool, now: str) -> None:
    """Reject ``slot_taken`` when the session (as it will be) clashes with another one.

    Only checked when the write creates the session or touches its time, room or status, so an
    edit of the notes of a session booked before this rule existed is not blocked.
    """
    if record.collection != "psych_sessions" or record.deleted:
        return
    f = record.fields
    if f.get("status") not in ACTIVE_SESSION_STATES:
        return
    if not created and not (changed & _BOOKING_FIELDS):
        return
    if parse_rfc3339(f.get("starts_at")) is None or parse_rfc3339(f.get("ends_at")) is None:
        return
    clashes = overlapping(store, f, record.id)
    if not clashes:
        return
    psychologist = f.get("psychologist_id")
    suggestions = (
        suggested_slots(store, psychologist, now, record.id)
        if isinstance(psychologist, str)
        else []
    )
    raise reject(
        "slot_taken",
        "the psychologist or the room is already booked at that time",
        conflicting_session_id=clashes[0].id,
        suggested_slots=suggestions,
    )
