"""The `disputes` and `visits` collections, field by field, and a dispute's state machine."""

from __future__ import annotations

from sync.schema import (
    RISK_LEVELS,
    Field,
    collection,
    datetime_field,
    enum_field,
    ref_field,
    string_field,
    text_field,
)

SATISFACTION_LEVELS = "satisfied basically_satisfied unsatisfied"

DISPUTE_STATES: dict[str, tuple[str, ...]] = {
    "registered": ("mediating", "escalated", "withdrawn"),
    "mediating": ("resolved", "escalated"),
    "escalated": ("mediating", "resolved"),
    "resolved": ("closed", "mediating"),
    "closed": ("mediating",),
    "withdrawn": (),
}

DISPUTES = collection(
    "disputes",
    [
        ref_field("community_id", "org_units", "immutable", required=True),
        ref_field("grid_id", "org_units"),
        enum_field("service_type", "dispute legal psych complaint assistance"),
        enum_field("channel", "door_to_door hall station app hotline", "immutable"),
        enum_field(
            "category",
            "neighbour family labour_wages property_rental land_demolition consumer "
            "traffic environment other",
        ),
        string_field("title", required=True),
        text_field("description"),
        Field("parties", "list", "set", items="party", personal=True),
        Field("location", "geo", "lww"),
        string_field("address"),
        Field("photos", "list", "set", items="attachment"),
        Field("tags", "list", "set", items="string"),
        enum_field("risk_level", RISK_LEVELS, "manual", required=True),
        enum_field("status", " ".join(DISPUTE_STATES), "state"),
        ref_field("assignee_id", "users"),
        datetime_field("follow_up_at"),
        text_field("resolution_summary", "manual"),
        # the resident's answer to the callback (回访) once resolved: null until rated; the
        # community hall records a phone callback, the residents' door a public rating
        enum_field("satisfaction", SATISFACTION_LEVELS),
    ],
    states={"status": DISPUTE_STATES},
    initial_states={"status": "registered"},
)

VISITS = collection(
    "visits",
    [
        ref_field("dispute_id", "disputes", "immutable", required=True),
        datetime_field("visited_at"),
        enum_field("kind", "visit mediation phone referral"),
        text_field("notes"),
        Field("location", "geo", "lww"),
        Field("photos", "list", "set", items="attachment"),
        enum_field("outcome", "none agreement_reached no_agreement referred"),
    ],
)
