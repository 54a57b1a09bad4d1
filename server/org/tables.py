"""The organisation tree ("1+6+31+N"): district, streets, communities, stations, grids,
departments and psych rooms.  It is data, loaded by `doorstep import-org`."""

from __future__ import annotations

from piccolo.columns import JSON, UUID, Boolean, Timestamptz, Varchar
from piccolo.table import Table

from server.records.columns import SyncedColumns


class OrgUnit(SyncedColumns, Table, tablename="org_units"):
    kind = Varchar(length=32)
    name = Varchar(length=200)
    parent_id = UUID(null=True, default=None, index=True)
    code = Varchar(length=64, unique=True)
    geo = JSON(null=True, default=None)
    address = Varchar(length=200, null=True, default=None)
    #: "/<district id>/<street id>/.../<own id>/": subtree checks are a prefix match
    path = Varchar(length=1000, index=True, default="")


class OrgBoundary(Table, tablename="org_boundaries"):
    """A unit's outline for the command map: a GeoJSON Polygon or MultiPolygon (WGS-84
    longitude/latitude), from the org file (`boundary`, or its `boundaries` GeoJSON file).
    Kept beside the directory, not in it: outlines are large, and no device needs them offline
    except on the map screen, which asks `/api/command/boundaries`."""

    org_unit_id = UUID(unique=True)
    code = Varchar(length=64)
    geometry = JSON()
    #: drawn for the demo, not surveyed (the demo data says so on screen)
    demo = Boolean(default=False)
    updated_at = Timestamptz()
