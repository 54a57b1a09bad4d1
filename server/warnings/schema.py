"""The `warnings` collection: graded warnings (blue, yellow, orange, red)."""

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

WARNING_SOURCES = "dispute psych dispatch_overdue manual"

WARNINGS = collection(
    "warnings",
    [
        # Written by the server's rules; an admin's manual warning sets them at creation
        # (source "manual"), so on devices they behave as `immutable`.
        enum_field("level", RISK_LEVELS, "immutable", required=True),
        enum_field("source", WARNING_SOURCES, "immutable"),
        string_field("subject_collection", "immutable", max_length=64),
        ref_field("subject_id", "disputes", "immutable"),
        ref_field("org_unit_id", "org_units", "immutable", required=True),
        text_field("message", "immutable"),
        Field("acknowledged_by", "list", "set", items="string"),
        # Server-written: a warning closes with its subject (a deleted dispute), and stays
        # counted among the warnings raised.  Absent (older warnings) means open.
        enum_field("status", "open closed", "server"),
        datetime_field("closed_at", "server"),
    ],
)
