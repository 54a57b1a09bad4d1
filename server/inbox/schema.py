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
        # the language-neutral notice (server/notify/templates.json): the app renders it in
        # the viewer's language; title/body above hold the Chinese text for older apps
        string_field("template", "server", max_length=64),
        Field("params", "object", "server"),
    ],
    server_created=True,
)
