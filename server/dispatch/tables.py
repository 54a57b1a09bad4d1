"""The dispatch orders table.  Column names equal schema field names.

Its CREATE TABLE lives in the historical migration of the `records` Piccolo app; new columns
(check-in evidence, say) get migrations in a `dispatch` Piccolo app of their own
(docs/architecture.md).
"""

from __future__ import annotations

from piccolo.columns import Boolean, Integer
from piccolo.table import Table

from server.records.columns import (
    SyncedColumns,
    enum_column,
    json_column,
    ref_column,
    text_column,
    when_column,
)


class DispatchOrder(SyncedColumns, Table, tablename="dispatch_orders"):
    community_id = ref_column(index=True)
    dispute_id = ref_column()
    department_id = ref_column(index=True)
    summary = text_column()
    required_leader_level = enum_column()
    arrive_by = when_column(index=True)
    resolve_by = when_column(index=True)
    status = enum_column()
    arrival = json_column()
    resolution_note = text_column()
    overdue = Boolean(null=True, default=False)
    escalation_level = enum_column()
    community_rating = Integer(null=True, default=None)
    department_rating = Integer(null=True, default=None)
    #: check-in evidence, server-written on receipt of `arrival` (server/dispatch/checkin.py)
    arrival_received_at = when_column()
    arrival_distance_m = Integer(null=True, default=None)
    checkin_status = enum_column()
    last_chased_at = when_column()
    #: server-only: when the deadline checker first found it overdue (drives escalation)
    overdue_since = when_column()
