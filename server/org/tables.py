"""The organisation tree ("1+6+31+N"): district, streets, communities, stations, grids,
departments and psych rooms.  It is data, loaded by `doorstep import-org`."""

from __future__ import annotations

from piccolo.columns import JSON, UUID, Varchar
from piccolo.table import Table

from server.records.columns import SyncedColumns


class OrgUnit(SyncedColumns, Table, tablename="org_units"):
    kind = Varchar(length=32)
    name = Varchar(length=200)
    parent_id = UUID(null=True, default=None, index=True)
    code = Varchar(length=64, unique=True)
    geo = JSON(null=True, default=None)
    address = Varchar(length=200, null=True, default=None)
    #: opening hours, for units people visit (confirmation rooms, stations)
    hours = Varchar(length=200, null=True, default=None)
    #: "/<district id>/<street id>/.../<own id>/": subtree checks are a prefix match
    path = Varchar(length=1000, index=True, default="")
