"""Tables of the disputes domain.  Column names equal schema field names.

Their CREATE TABLE lives in the historical migration of the `records` Piccolo app
(server/records/piccolo_migrations/), which this domain must not rewrite; new columns of these
tables get migrations in a `disputes` Piccolo app of their own (docs/architecture.md).
"""

from __future__ import annotations

from piccolo.columns import Timestamptz, Varchar
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


class Dispute(SyncedColumns, Table, tablename="disputes"):
    community_id = ref_column(index=True)
    grid_id = ref_column()
    service_type = enum_column()
    channel = enum_column()
    category = enum_column()
    title = str_column()
    description = text_column()
    parties = json_column()
    location = json_column()
    address = str_column()
    photos = json_column()
    tags = json_column()
    risk_level = enum_column()
    status = enum_column()
    assignee_id = ref_column()
    follow_up_at = when_column()
    resolution_summary = text_column()
    satisfaction = enum_column()
    # -- server-only milestones (server/disputes/milestones.py): not schema fields, so they
    # are never pulled by a device and no push can write them; kept by the flush that writes
    # the fact, visit or order setting them, for the command figures (docs/command.md)
    #: the first action after registration: a status change out of `registered`, a visit, a
    #: dispatch order citing it (deleted visits and orders do not count)
    first_action_at = Timestamptz(null=True, default=None)
    #: the first time it reached `resolved` or `closed`
    resolved_at = Timestamptz(null=True, default=None)
    #: the last satisfaction fact: when, and the value it set (None: cleared)
    rated_at = Timestamptz(null=True, default=None)
    #: the first satisfaction fact's time: rated only after a window's end means no rating
    #: before it, with no fact lookup (server/command/appeals.py `rating_by_end`)
    first_rated_at = Timestamptz(null=True, default=None)
    last_rating = Varchar(length=32, null=True, default=None)


class Visit(SyncedColumns, Table, tablename="visits"):
    dispute_id = ref_column(index=True)
    visited_at = when_column()
    kind = enum_column()
    notes = text_column()
    location = json_column()
    photos = json_column()
    outcome = enum_column()
    #: copied from the dispute at creation: a visit's scope is its dispute's
    community_id = ref_column(index=True)
