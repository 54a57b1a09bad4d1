"""HTTP of the command map: `/api/command/map`, `/api/command/boundaries`,
`/api/command/map-config` (COMMAND_API.md "Command view").  For community, street and district
admins, about units inside their subtree (server/live/access.py)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get
from litestar.datastructures import State
from litestar.params import Parameter, QueryParameter

from server.accounts.principal import Principal
from server.geo.boundaries import child_outlines
from server.geo.config import map_config
from server.geo.features import map_features
from server.geo.filters import parse_filters
from server.http.errors import ApiError
from server.http.openapi import BEARER, errors
from server.live.access import command_unit
from server.org.tree import load_tree
from server.permissions import ADMIN_ROLES
from server.settings import Settings

AuthRequest = Request[Principal, str, State]
Text = Annotated[str | None, Parameter(max_length=200)]


class MapController(Controller):
    path = "/api/command"
    tags = ["command"]
    security = BEARER

    @get("/map", responses=errors(400, 401, 403, 404))
    async def map(
        self,
        request: AuthRequest,
        org_unit_id: Annotated[str | None, Parameter(max_length=64)] = None,
        levels: Text = None,
        status: Text = None,
        start: Annotated[str | None, QueryParameter(name="from", max_length=64)] = None,
        end: Annotated[str | None, QueryParameter(name="to", max_length=64)] = None,
        service_type: Text = None,
        limit: Annotated[int | None, QueryParameter()] = None,
    ) -> dict[str, Any]:
        """Disputes, warnings and open dispatch orders of the unit's subtree as a GeoJSON
        FeatureCollection (`levels=orange,red`, `status=open` or states, `from`/`to` on the
        creation time, `service_type`; newest first, at most `limit` of each kind)."""
        tree = await load_tree()
        unit = command_unit(request.user, tree, org_unit_id)
        filters = parse_filters(levels, status, start, end, service_type, limit)
        return await map_features(tree, unit, filters)

    @get("/boundaries", responses=errors(400, 401, 403, 404))
    async def boundaries(
        self,
        request: AuthRequest,
        org_unit_id: Annotated[str | None, Parameter(max_length=64)] = None,
    ) -> dict[str, Any]:
        """The outlines of the unit's children as GeoJSON polygons (and the unit's own, in
        `unit`), for drawing the map without a tile server."""
        tree = await load_tree()
        unit = command_unit(request.user, tree, org_unit_id)
        return await child_outlines(tree, unit)

    @get("/map-config", responses=errors(401, 403))
    async def config(self, request: AuthRequest) -> dict[str, Any]:
        """The base map's tile URL template and datum (DOORSTEP_MAP_TILE_URL, DOORSTEP_MAP_CRS)."""
        if request.user.role not in ADMIN_ROLES:
            raise ApiError(
                403,
                "forbidden",
                "只有社区、街道和区级管理员可以查看指挥视图 (only community, street and district "
                "admins see the command view)",
            )
        settings: Settings = request.app.state["settings"]
        return map_config(settings)
