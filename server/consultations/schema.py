"""The `consultations` collection: a lawyer's log of legal consultations."""

from __future__ import annotations

from sync.schema import (
    Field,
    collection,
    datetime_field,
    enum_field,
    ref_field,
    string_field,
    text_field,
)

CONSULTATIONS = collection(
    "consultations",
    [
        ref_field("community_id", "org_units", "immutable", required=True),
        datetime_field("consulted_at"),
        string_field("client_name", personal=True),
        string_field("client_phone", max_length=32, personal=True),
        enum_field(
            "topic",
            "labour marriage_family housing_property contract_debt traffic_injury "
            "administrative criminal other",
        ),
        text_field("question"),
        text_field("advice", "manual"),
        enum_field(
            "referral",
            "none legal_aid mediation judicial_confirmation litigation arbitration",
            "manual",
        ),
        Field("duration_minutes", "integer", "lww", minimum=0, maximum=24 * 60),
        ref_field("dispute_id", "disputes"),
    ],
)
