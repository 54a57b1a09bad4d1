"""HTTP for the online read of a whole record and the access log.  Thin: see services.py."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, get
from litestar.datastructures import State
from litestar.params import FromPath, FromQuery, Parameter

from server.access import services
from server.accounts.principal import Principal
from server.http.openapi import BEARER, errors

AuthRequest = Request[Principal, str, State]


class RecordController(Controller):
    path = "/api/records"
    tags = ["records"]
    security = BEARER

    @get("/{collection:str}/{record_id:uuid}", responses=errors(400, 401, 403, 404))
    async def read(
        self, request: AuthRequest, collection: FromPath[str], record_id: FromPath[UUID]
    ) -> dict[str, Any]:
        """The whole record as you may read it (private fields absent), shaped like a pull's
        change: what a supervisor's device holds reduced.  Reads of personal data are logged."""
        return await services.read_record(request.user, collection, record_id)


class AccessLogController(Controller):
    path = "/api/admin/access-log"
    tags = ["administration"]
    security = BEARER

    @get("/", responses=errors(400, 401, 403, 404))
    async def list_reads(
        self,
        request: AuthRequest,
        record_id: FromQuery[UUID | None] = None,
        limit: Annotated[int, Parameter(ge=1, le=services.MAX_ENTRIES)] = 200,
    ) -> dict[str, Any]:
        """Who read personal data online, newest first (admins, within their scope)."""
        return {"entries": await services.access_log(request.user, record_id, limit)}
