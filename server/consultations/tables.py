"""The consultations table.  Column names equal schema field names.

Its CREATE TABLE lives in the historical migration of the `records` Piccolo app; new columns
get migrations in a `consultations` Piccolo app of their own (docs/architecture.md).
"""

from __future__ import annotations

from piccolo.columns import Integer
from piccolo.table import Table

from server.records.columns import (
    SyncedColumns,
    enum_column,
    ref_column,
    str_column,
    text_column,
    when_column,
)


class Consultation(SyncedColumns, Table, tablename="consultations"):
    community_id = ref_column(index=True)
    consulted_at = when_column()
    client_name = str_column()
    client_phone = str_column(32)
    topic = enum_column()
    question = text_column()
    advice = text_column()
    referral = enum_column()
    duration_minutes = Integer(null=True, default=None)
    dispute_id = ref_column()
