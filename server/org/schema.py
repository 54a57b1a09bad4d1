"""The `org_units` collection: the organisation tree as devices see it (read-only)."""

from __future__ import annotations

from sync.schema import Field, collection, enum_field, ref_field, string_field

#: `confirmation_room`: an online judicial confirmation room (司法确认室), where a mediation
#: agreement is submitted to the court (server/agreements/)
ORG_KINDS = "district street community station grid department room confirmation_room"

ORG_UNITS = collection(
    "org_units",
    [
        enum_field("kind", ORG_KINDS, "server"),
        string_field("name", "server"),
        ref_field("parent_id", "org_units", "server"),
        string_field("code", "server", max_length=64),
        Field("geo", "geo", "server"),
        string_field("address", "server"),
        #: opening hours as people read them ("周一至周五 9:00-12:00, 14:00-18:00")
        string_field("hours", "server"),
    ],
    device_writable=False,
)
