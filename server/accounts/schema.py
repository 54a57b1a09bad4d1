"""The `users` collection: the people of the directory as devices see them (read-only)."""

from __future__ import annotations

from sync.schema import ROLES, collection, enum_field, ref_field, string_field

USERS = collection(
    "users",
    [
        string_field("username", "server", max_length=64),
        string_field("display_name", "server"),
        enum_field("role", ROLES, "server"),
        ref_field("org_unit_id", "org_units", "server"),
    ],
    device_writable=False,
)
