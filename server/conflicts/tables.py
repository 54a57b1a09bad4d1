"""The conflicts table.  Column names equal the schema's (sync/conflicts.py `CONFLICTS`).

Its CREATE TABLE lives in the historical migration of the `records` Piccolo app; new columns
get migrations in a `conflicts` Piccolo app of their own (docs/architecture.md).
"""

from __future__ import annotations

from piccolo.table import Table

from server.records.columns import (
    SyncedColumns,
    enum_column,
    json_column,
    ref_column,
    str_column,
)


class Conflict(SyncedColumns, Table, tablename="conflicts"):
    target_collection = str_column(64)
    target_id = ref_column(index=True)
    field = str_column(64)
    kind = enum_column()
    base = json_column()
    theirs = json_column()
    yours = json_column()
    theirs_by = ref_column()
    yours_by = ref_column()
    status = enum_column()
    resolution = json_column()
    resolved_by = ref_column()
    #: the target's scope, so the admins of that scope see the conflict
    scope_org_id = ref_column(index=True)
