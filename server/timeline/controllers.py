"""HTTP of the case history.  Thin: see history.py."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.datastructures import State
from litestar.params import FromPath

from server.accounts.principal import Principal
from server.http.openapi import BEARER, errors
from server.timeline.history import case_history
from server.timeline.words import language


class TimelineController(Controller):
    path = "/api/records"
    tags = ["records"]
    security = BEARER

    @get("/{collection:str}/{record_id:str}/timeline", responses=errors(400, 401, 403, 404))
    async def timeline(
        self,
        request: Request[Principal, str, State],
        collection: FromPath[str],
        record_id: FromPath[str],
    ) -> dict[str, Any]:
        """The record's case history in words, oldest first (zh-CN; English when
        Accept-Language prefers it): who did what when, from the audit trail and the lifecycle
        facts, with the records that point at it (visits, orders, warnings).  Read like the
        record itself: 404 unknown, 403 outside your scope."""
        lang = language(request.headers.get("accept-language"))
        return await case_history(request.user, collection, record_id, lang)
