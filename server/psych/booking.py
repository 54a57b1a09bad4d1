"""What a push must preload for a psych booking: the sessions that could clash with it and the
psychologist's open slots, so the engine's overlap check and slot suggestions (sync/sessions.py)
answer from memory."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from server.psych.tables import PsychSession, PsychSlot
from server.replication.store import WorkingSet, valid_ids
from sync.model import Mutation
from sync.store import ACTIVE_SESSION_STATES

_SESSIONS_LOADED = "psych.sessions_loaded"
_SLOTS_LOADED = "psych.slots_loaded"


def session_mutation_refs(m: Mutation) -> list[tuple[str, str]]:
    """A referral's cited dispute decides whether its author may cite it; the psychologist's
    user record, whether the referrer may book them (where they work)."""
    refs: list[tuple[str, str]] = []
    for collection, name in (("disputes", "dispute_id"), ("users", "psychologist_id")):
        value = m.fields.get(name)
        if isinstance(value, str):
            refs.append((collection, value))
    return refs


async def preload_bookings(ws: WorkingSet, pending: list[Mutation]) -> None:
    """Load the neighbours of every session this push books or moves."""
    psychologists: set[str] = set()
    rooms: set[str] = set()
    for m in pending:
        if m.collection != "psych_sessions":
            continue
        current = ws.records.get((m.collection, m.record_id))
        for source in (m.fields, current.fields if current else {}):
            if isinstance(source.get("psychologist_id"), str):
                psychologists.add(source["psychologist_id"])
            if isinstance(source.get("room_id"), str):
                rooms.add(source["room_id"])
    await load_neighbours(ws, valid_ids(psychologists), valid_ids(rooms))


async def load_neighbours(ws: WorkingSet, psychologists: set[str], rooms: set[str]) -> None:
    """Active sessions of these psychologists and rooms, and the psychologists' open slots."""
    sessions_loaded: set[str] = ws.memo.setdefault(_SESSIONS_LOADED, set())
    slots_loaded: set[str] = ws.memo.setdefault(_SLOTS_LOADED, set())
    people = [UUID(p) for p in psychologists - sessions_loaded]
    places = [UUID(r) for r in rooms - sessions_loaded]
    if people or places:
        condition = PsychSession.status.is_in(list(ACTIVE_SESSION_STATES)) & (
            PsychSession.deleted.eq(False)
        )
        who: Any = None
        if people:
            who = PsychSession.psychologist_id.is_in(people)
        if places:
            where_room = PsychSession.room_id.is_in(places)
            who = where_room if who is None else (who | where_room)
        assert who is not None
        rows = await PsychSession.select().where(condition & who).output(load_json=True)
        ws.adopt_rows("psych_sessions", rows)
        sessions_loaded |= psychologists | rooms
    slot_people = [UUID(p) for p in psychologists - slots_loaded]
    if slot_people:
        rows = (
            await PsychSlot.select()
            .where(PsychSlot.psychologist_id.is_in(slot_people), PsychSlot.deleted.eq(False))
            .output(load_json=True)
        )
        ws.adopt_rows("psych_slots", rows)
        slots_loaded |= psychologists
