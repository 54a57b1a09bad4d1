"""The tables the `records` Piccolo app created, and the one it still owns.

The synced collections' tables moved to their domains (`server/disputes/tables.py`,
`server/dispatch/tables.py`, ...): their historical migration stays in this app's
`piccolo_migrations/` (so existing databases stay valid), and `piccolo_app.py` lists them so
Piccolo's view of this app is unchanged.  Only the attachments' metadata is still this app's own.
"""

from __future__ import annotations

from piccolo.columns import UUID, Integer, Timestamptz, Varchar
from piccolo.table import Table


class Attachment(Table, tablename="attachments"):
    """Metadata of an uploaded photo; the bytes live under DOORSTEP_DATA_DIR/attachments."""

    sha256 = Varchar(length=64, primary_key=True)
    content_type = Varchar(length=32)
    size = Integer()
    created_by = UUID(null=True, default=None)
    created_at = Timestamptz()


class AttachmentHolder(Table, tablename="attachment_holders"):
    """Who has uploaded a photo's bytes.  Photos are stored once per content hash, so a second
    person uploading the same picture (a shared icon, a forwarded photo) proves they hold it
    and may name it in their own records, though the first uploader is the one `attachments`
    remembers.  Uploading is proof of possession; naming a hash one merely saw is not."""

    key = Varchar(length=110, unique=True)  # "<sha256>/<user id>": one row per holder
    sha256 = Varchar(length=64, index=True)
    user_id = UUID(index=True)
    created_at = Timestamptz()
