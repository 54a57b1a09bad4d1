"""Tables of the psych domain.  Column names equal schema field names.

Their CREATE TABLE lives in the historical migration of the `records` Piccolo app; new columns
get migrations in a `psych` Piccolo app of their own (docs/architecture.md).
"""

from __future__ import annotations

from piccolo.table import Table

from server.records.columns import (
    SyncedColumns,
    enum_column,
    ref_column,
    str_column,
    text_column,
    when_column,
)


class PsychSlot(SyncedColumns, Table, tablename="psych_slots"):
    psychologist_id = ref_column(index=True)
    room_id = ref_column()
    starts_at = when_column(index=True)
    ends_at = when_column()
    status = enum_column()


class PsychSession(SyncedColumns, Table, tablename="psych_sessions"):
    psychologist_id = ref_column(index=True)
    room_id = ref_column(index=True)
    starts_at = when_column(index=True)
    ends_at = when_column()
    client_ref = str_column(64)
    dispute_id = ref_column()
    status = enum_column()
    notes = text_column()
    risk_level = enum_column()
    #: server-only: when the 24 h and 1 h reminders went out (never synced)
    reminded_24h_at = when_column()
    reminded_1h_at = when_column()
