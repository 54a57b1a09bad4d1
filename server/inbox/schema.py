"""The `notifications` collection: each user's inbox, written by the server only."""

from __future__ import annotations

from sync.schema import Field, collection, ref_field, string_field

NOTIFICATIONS = collection(
    "notifications",
    [
        ref_field("user_id", "users", "server"),
        string_field("type", "server", max_length=64),
        string_field("title", "server"),
        string_field("body", "server", max_length=500),
        string_field("url", "server", max_length=500),
        Field("read", "boolean", "lww"),
    ],
    server_created=True,
)
