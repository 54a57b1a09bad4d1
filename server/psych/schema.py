"""The `psych_slots` and `psych_sessions` collections and a session's state machine."""

from __future__ import annotations

from sync.schema import collection, datetime_field, enum_field, ref_field, string_field, text_field

SESSION_STATES: dict[str, tuple[str, ...]] = {
    "requested": ("scheduled", "cancelled"),
    "scheduled": ("completed", "cancelled", "no_show"),
    "completed": (),
    "cancelled": (),
    "no_show": (),
}
#: how a session's risk level climbs (a rise to high or critical raises a warning)
SESSION_RISK_LEVELS = ("none", "low", "medium", "high", "critical")

PSYCH_SLOTS = collection(
    "psych_slots",
    [
        ref_field("psychologist_id", "users", "immutable", required=True),
        ref_field("room_id", "org_units"),
        datetime_field("starts_at", required=True),
        datetime_field("ends_at", required=True),
        enum_field("status", "open blocked"),
    ],
)

PSYCH_SESSIONS = collection(
    "psych_sessions",
    [
        ref_field("psychologist_id", "users", "immutable", required=True),
        ref_field("room_id", "org_units"),
        datetime_field("starts_at", required=True),
        datetime_field("ends_at", required=True),
        string_field("client_ref", max_length=64),
        ref_field("dispute_id", "disputes"),
        enum_field("status", " ".join(SESSION_STATES), "state"),
        text_field("notes"),
        enum_field("risk_level", " ".join(SESSION_RISK_LEVELS), "manual"),
    ],
    states={"status": SESSION_STATES},
    initial_states={"status": "requested"},
)
