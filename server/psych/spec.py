"""The `psych_slots` and `psych_sessions` collections as the server runs them."""

from __future__ import annotations

from server.psych.access import (
    PRIVATE_SESSION_FIELDS,
    admit_session,
    can_read_session,
    can_read_slot,
    check_session_write,
    check_slot_write,
    psych_scope,
    session_also_scope,
    session_feed_scope,
    session_on_device,
    session_start,
)
from server.psych.booking import preload_bookings, session_mutation_refs
from server.psych.jobs import send_reminders
from server.psych.rules import notify_booking, warn_on_risk
from server.psych.schema import PSYCH_SESSIONS, PSYCH_SLOTS
from server.psych.tables import PsychSession, PsychSlot
from server.specs import CollectionSpec, Job
from server.warnings.rules import close_warnings_of_deleted

PSYCH_SLOTS_SPEC = CollectionSpec(
    schema=PSYCH_SLOTS,
    table=PsychSlot,
    can_read=can_read_slot,
    check_write=check_slot_write,
    scope=psych_scope,
)

PSYCH_SESSIONS_SPEC = CollectionSpec(
    schema=PSYCH_SESSIONS,
    table=PsychSession,
    can_read=can_read_session,
    check_write=check_session_write,
    private_fields=PRIVATE_SESSION_FIELDS,
    private_to="psychologist_id",
    device_copy=session_on_device,
    rules_version=2,
    admit=admit_session,
    initial_states=session_start,
    scope=psych_scope,
    also_scope=session_also_scope,
    feed_scope=session_feed_scope,
    mutation_refs=session_mutation_refs,
    preload=preload_bookings,
    reactions=(warn_on_risk, notify_booking, close_warnings_of_deleted),
    jobs=(Job("reminders", send_reminders),),
)
