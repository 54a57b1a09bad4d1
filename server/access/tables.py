"""The access log: one row per online read of a record holding personal data (个人信息保护法).

Append-only, like the audit trail; `scope_org_id` is the record's scope at the time of the read,
so an admin lists the reads of their subtree without loading the records."""

from __future__ import annotations

from piccolo.columns import JSON, UUID, Timestamptz, Varchar
from piccolo.table import Table


class AccessLogEntry(Table, tablename="access_log"):
    at = Timestamptz(index=True)
    user_id = UUID(index=True)
    device_id = UUID(null=True, default=None)
    role = Varchar(length=32)
    collection = Varchar(length=64)
    record_id = UUID(index=True)
    #: the personal fields the answer held (names only, never values)
    fields = JSON()
    scope_org_id = UUID(null=True, default=None, index=True)
