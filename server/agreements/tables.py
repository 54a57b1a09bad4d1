"""The agreements table.  Column names equal schema field names, plus the server-only
`community_id` (the dispute's, for scope and statistics) and the reminder stamps."""

from __future__ import annotations

from piccolo.columns import Integer
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


class Agreement(SyncedColumns, Table, tablename="agreements"):
    dispute_id = ref_column(index=True)
    parties = json_column()
    facts = text_column()
    terms = text_column()
    mediator_id = ref_column()
    signatures = json_column()
    status = enum_column()
    signed_at = when_column()
    submit_by = when_column(index=True)
    court_name = str_column()
    confirmation_room_id = ref_column()
    submitted_at = when_column()
    court_case_number = str_column(64)
    accepted_at = when_column()
    ruling = str_column(64)
    ruled_at = when_column()
    rejection_reason = text_column()
    content_sha256 = str_column(64)
    #: derived from the dispute: the agreement's scope (never sent to devices)
    community_id = ref_column(index=True)
    #: server-only: which submission reminder went out (0 none, 1 due soon, 2 overdue) and
    #: for which `submit_by` (signing again after a return to draft starts a new clock)
    reminder_level = Integer(default=0)
    reminder_for = when_column()
