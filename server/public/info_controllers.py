"""HTTP of the residents' door's information pages (no account): the 500 m circle, its
coverage figure, the public figures and the station posters."""

from __future__ import annotations

import asyncio
import json
from typing import Annotated, Any

from litestar import Controller, Request, Response, get
from litestar.datastructures import State
from litestar.params import FromPath, Parameter

from server.http.errors import ApiError
from server.http.openapi import PUBLIC, errors
from server.org.tree import load_tree
from server.permissions import as_uuid
from server.public import coverage, nearby, overview, places, poster
from server.public.controllers import page_base

AnyRequest = Request[Any, Any, State]


def _centre(
    points: list[places.Point], lat: float | None, lng: float | None, community: str | None
) -> tuple[float, float]:
    if lat is not None and lng is not None:
        return lat, lng
    if community is not None:
        where = places.community_centre(points, as_uuid(community))
        if where is None:
            raise ApiError(404, "not_found", "没有这个社区 (no such community)")
        return where
    raise ApiError(
        400,
        "invalid_request",
        "请提供位置或选择社区 (send lat and lng, or org_unit_id of a community)",
        {"field": "lat"},
    )


class PublicInfoController(Controller):
    path = "/api/public"
    tags = ["residents' door"]
    security = PUBLIC

    @get("/communities")
    async def communities(self) -> list[dict[str, Any]]:
        """Communities and their stations, for a resident choosing where an appeal belongs."""
        tree = await load_tree()
        out = []
        for unit in sorted(tree.of_kind("community"), key=lambda u: u.code):
            street = tree.get(unit.parent_id)
            stations = sorted(
                (s for s in tree.of_kind("station") if tree.is_within(s.id, unit.id)),
                key=lambda s: s.code,
            )
            out.append(
                {
                    "id": str(unit.id),
                    "code": unit.code,
                    "name": unit.name,
                    "street": street.name if street else "",
                    "stations": [{"code": s.code, "name": s.name} for s in stations],
                }
            )
        return out

    @get("/nearby", responses=errors(400, 404))
    async def nearby(
        self,
        lat: Annotated[float | None, Parameter(ge=-90, le=90)] = None,
        lng: Annotated[float | None, Parameter(ge=-180, le=180)] = None,
        org_unit_id: Annotated[str | None, Parameter(max_length=64)] = None,
        radius_m: Annotated[float, Parameter(gt=0, le=5000)] = 500,
    ) -> dict[str, Any]:
        """Service points within the radius (500米服务圈), nearest first, with distance_m and
        hours; from the resident's location or a chosen community's hall."""
        points = await places.service_points()
        centre = _centre(points, lat, lng, org_unit_id)
        return {
            "lat": centre[0],
            "lng": centre[1],
            "radius_m": radius_m,
            "points": nearby.within(points, centre[0], centre[1], radius_m),
        }

    @get("/coverage", responses=errors(400))
    async def coverage(
        self, org_unit_id: Annotated[str | None, Parameter(max_length=64)] = None
    ) -> dict[str, Any]:
        """For supervisors: the share of residential sample points (demo) inside the unit's
        boundaries within 500 m of each kind of service point."""
        tree = await load_tree()
        unit = (
            tree.get(as_uuid(org_unit_id))
            if org_unit_id
            else next((u for u in tree.units.values() if u.kind == "district"), None)
        )
        if unit is None or unit.kind not in ("district", "street", "community"):
            raise ApiError(
                400,
                "invalid_request",
                "请选择区、街道或社区 (org_unit_id must name a district, street or community)",
                {"field": "org_unit_id"},
            )
        codes = tuple(
            sorted(
                u.code
                for u in tree.units.values()
                if u.kind == "community" and tree.is_within(u.id, unit.id)
            )
        )
        points = tuple(await places.service_points())
        answer = json.loads(await asyncio.to_thread(coverage.cached, points, codes))
        return {"org_unit_id": str(unit.id), "name": unit.name, **answer}

    @get("/overview", responses=errors(400))
    async def overview(
        self,
        request: AnyRequest,
        org_unit_id: Annotated[str | None, Parameter(max_length=64)] = None,
    ) -> Response[bytes]:
        """Public figures (一体化公开): the last 12 months by month and per child unit."""
        body, etag = await overview.overview(org_unit_id)
        headers = {
            "ETag": etag,
            "Cache-Control": f"public, max-age={overview.FRESH_SECONDS}",
        }
        if etag in [t.strip() for t in request.headers.get("if-none-match", "").split(",")]:
            return Response(b"", status_code=304, headers=headers)
        return Response(body, media_type="application/json", headers=headers)

    @get("/stations/{station_code:str}/poster.pdf", responses=errors(404, 503))
    async def poster(self, request: AnyRequest, station_code: FromPath[str]) -> Response[bytes]:
        """An A4 poster: the station's name and a QR code opening its appeal form."""
        pdf = await poster.poster(await load_tree(), station_code, page_base(request))
        return Response(
            pdf,
            media_type="application/pdf",
            headers={
                "Content-Disposition": 'inline; filename="poster.pdf"',
                "Cache-Control": "public, max-age=3600",
            },
        )
