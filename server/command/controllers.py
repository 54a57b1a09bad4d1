"""HTTP of the command view (COMMAND_API.md "Command view").  Thin: every handler builds the
scope-checked window (`window.stats_window`: 400 for a bad unit or time, 403 outside the
caller's subtree) and hands it to the module that computes the answer."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get
from litestar.datastructures import State
from litestar.params import QueryParameter

from server.accounts.principal import Principal
from server.command.stats import command_stats
from server.command.window import parse_time, stats_window
from server.http.openapi import BEARER, errors

AuthRequest = Request[Principal, str, State]

UnitParam = Annotated[
    str | None,
    QueryParameter(max_length=64, description="an org unit: district, street or community"),
]
FromParam = Annotated[
    str | None,
    QueryParameter(name="from", max_length=40, description="window start, RFC 3339 UTC"),
]
ToParam = Annotated[
    str | None,
    QueryParameter(name="to", max_length=40, description="window end (exclusive), RFC 3339 UTC"),
]


class CommandController(Controller):
    path = "/api/command"
    tags = ["command"]
    security = BEARER

    @get("/stats", responses=errors(400, 401, 403))
    async def stats(
        self,
        request: AuthRequest,
        org_unit_id: UnitParam = None,
        from_: FromParam = None,
        to: ToParam = None,
    ) -> dict[str, Any]:
        """Every figure of the command view for the unit's subtree over `[from, to)`, computed
        in SQL from the lifecycle facts and the records (definitions: docs/command.md)."""
        window = await stats_window(
            request.user, org_unit_id, parse_time(from_, "from"), parse_time(to, "to")
        )
        return await command_stats(window)
