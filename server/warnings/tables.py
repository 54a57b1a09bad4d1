"""The graded warnings table.  Column names equal schema field names.

Its CREATE TABLE lives in the historical migration of the `records` Piccolo app; new columns
get migrations in a `warnings` Piccolo app of their own (docs/architecture.md).
"""

from __future__ import annotations

from piccolo.table import Table

from server.records.columns import (
    SyncedColumns,
    enum_column,
    json_column,
    ref_column,
    str_column,
    text_column,
    when_column,
)


class GradedWarning(SyncedColumns, Table, tablename="warnings"):
    level = enum_column()
    source = enum_column()
    subject_collection = str_column(64)
    subject_id = ref_column()
    org_unit_id = ref_column(index=True)
    message = text_column()
    acknowledged_by = json_column()
    #: server-written: open / closed (NULL: open), and when it closed with its subject
    status = enum_column()
    closed_at = when_column()
    #: server-only: when an unacknowledged red warning was sent again one level up
    resent_at = when_column()
