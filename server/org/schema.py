"""The `org_units` collection: the organisation tree as devices see it (read-only)."""

from __future__ import annotations

from sync.schema import Field, collection, enum_field, ref_field, string_field

ORG_KINDS = "district street community station grid department room"

ORG_UNITS = collection(
    "org_units",
    [
        enum_field("kind", ORG_KINDS, "server"),
        string_field("name", "server"),
        ref_field("parent_id", "org_units", "server"),
        string_field("code", "server", max_length=64),
        Field("geo", "geo", "server"),
        string_field("address", "server"),
    ],
    device_writable=False,
)
