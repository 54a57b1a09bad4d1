"""The notifications table (each user's inbox).  Column names equal schema field names.

Its CREATE TABLE lives in the historical migration of the `records` Piccolo app; new columns
get migrations in an `inbox` Piccolo app of their own (docs/architecture.md).
"""

from __future__ import annotations

from piccolo.columns import Boolean
from piccolo.table import Table

from server.records.columns import SyncedColumns, json_column, ref_column, str_column


class Notification(SyncedColumns, Table, tablename="notifications"):
    user_id = ref_column(index=True)
    type = str_column(64)
    title = str_column()
    body = str_column(500)
    url = str_column(500)
    read = Boolean(null=True, default=False)
    template = str_column(64)
    params = json_column()
