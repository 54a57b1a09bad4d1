"""HTTP of the command view (COMMAND_API.md "Command view").  Thin: every handler builds the
scope-checked window (`window.stats_window`: 400 for a bad unit or time, 403 outside the
caller's subtree) and hands it to the module that computes the answer."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import quote
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, QueryParameter
from litestar.response import Stream
from litestar.status_codes import HTTP_200_OK, HTTP_202_ACCEPTED

from server.accounts.principal import Principal
from server.command import archive, export, report, supervise
from server.command.drill import drill_down
from server.command.sheets import LISTINGS
from server.command.stats import command_stats
from server.command.window import parse_month, parse_time, stats_window
from server.http.errors import ApiError
from server.http.openapi import BEARER, errors
from server.replication.rows import iso

AuthRequest = Request[Principal, str, State]

UnitParam = Annotated[
    str | None,
    QueryParameter(max_length=64, description="an org unit: district, street or community"),
]
FromParam = Annotated[
    str | None,
    QueryParameter(name="from", max_length=40, description="window start, RFC 3339 UTC"),
]
LimitParam = Annotated[int, QueryParameter(ge=1, le=500)]
OffsetParam = Annotated[int, QueryParameter(ge=0, le=1_000_000)]
FigureParam = Annotated[
    str | None,
    QueryParameter(
        max_length=64,
        description="the figure: `<section>.<figure>` (appeals.received, orders.overdue, ...)",
    ),
]
ValueParam = Annotated[
    str | None,
    QueryParameter(
        max_length=64,
        description="for a breakdown its value, for an order figure a department id, for "
        "warnings.raised a level",
    ),
]
MonthParam = Annotated[
    str | None, QueryParameter(max_length=7, description="the month, YYYY-MM (Beijing time)")
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

    @get("/records", responses=errors(400, 401, 403))
    async def records(
        self,
        request: AuthRequest,
        org_unit_id: UnitParam = None,
        from_: FromParam = None,
        to: ToParam = None,
        figure: FigureParam = None,
        value: ValueParam = None,
        limit: LimitParam = 100,
        offset: OffsetParam = 0,
    ) -> dict[str, Any]:
        """The records behind one figure of `/api/command/stats` (drill-down): `count` equals
        the figure; items carry no party names or phones."""
        window = await stats_window(
            request.user, org_unit_id, parse_time(from_, "from"), parse_time(to, "to")
        )
        return await drill_down(window, figure or "", value, limit, offset)

    @get("/overdue", responses=errors(400, 401, 403))
    async def overdue(
        self,
        request: AuthRequest,
        org_unit_id: UnitParam = None,
        limit: LimitParam = 100,
        offset: OffsetParam = 0,
    ) -> dict[str, Any]:
        """Open overdue dispatch orders of the unit's subtree, under supervision (督办)."""
        now = datetime.now(UTC)
        # what is late now: the scope check of a window, whose times the list does not use
        window = await stats_window(request.user, org_unit_id, now - timedelta(days=1), now)
        return await supervise.overdue_orders(window, limit, offset)

    @post(
        "/orders/{order_id:uuid}/chase",
        status_code=HTTP_200_OK,
        responses=errors(401, 403, 404, 409),
    )
    async def chase(self, request: AuthRequest, order_id: FromPath[UUID]) -> dict[str, Any]:
        """催办: remind the order's department (inbox + push); once per 10 minutes."""
        return await supervise.chase(request.user, order_id)

    @post(
        "/orders/{order_id:uuid}/escalate",
        status_code=HTTP_200_OK,
        responses=errors(401, 403, 404, 409),
    )
    async def escalate(self, request: AuthRequest, order_id: FromPath[UUID]) -> dict[str, Any]:
        """升级督办: one step up the ladder (community → street → district), as the deadline
        job does, with a notice to that level's admins."""
        return await supervise.escalate_by_hand(request.user, order_id)

    @get(
        "/reports/monthly.xlsx",
        responses={
            HTTP_200_OK: ResponseSpec(
                data_container=bytes,
                media_type=report.MIME,
                description="the workbook: sheets 汇总, 分单位, 派单, 预警, 纠纷; "
                "`X-Report-Built-At` says when it was built, `X-Report-Current: false` that "
                "the month's data changed since and a rebuild is queued",
            ),
            HTTP_202_ACCEPTED: ResponseSpec(
                data_container=dict[str, Any],
                description="a district-sized month is being built (no stored workbook yet): "
                "`{status: building, started_at, rows_written, rows_total}`; ask again after "
                "`Retry-After` seconds",
            ),
            **errors(400, 401, 403),
        },
        media_type=report.MIME,
    )
    async def monthly_report(
        self, request: AuthRequest, org_unit_id: UnitParam = None, month: MonthParam = None
    ) -> Response[Any]:
        """The month's report as an .xlsx workbook (no party phones, no psych data).  A
        district month is a stored document built once (docs/command.md "Monthly report")."""
        start, end = parse_month(month)
        window = await stats_window(request.user, org_unit_id, start, end)
        result = await archive.serve(window, month or "")
        if isinstance(result, archive.Building):
            return Response(
                {
                    "status": "building",
                    "started_at": result.started_at,
                    "rows_written": result.rows_written,
                    "rows_total": result.rows_total,
                },
                status_code=HTTP_202_ACCEPTED,
                media_type="application/json",
                headers={"Retry-After": str(archive.RETRY_AFTER_SECONDS)},
            )
        body = await asyncio.to_thread(result.path.read_bytes)
        return Response(
            body,
            media_type=report.MIME,
            headers={
                "Content-Disposition": _attachment(f"{window.unit.name}-{month}.xlsx"),
                "X-Report-Built-At": iso(result.built_at) or "",
                "X-Report-Current": "true" if result.current else "false",
            },
        )

    @get(
        "/export/{filename:str}",
        responses={
            HTTP_200_OK: ResponseSpec(
                data_container=str, media_type=export.MIME, description="the list as CSV"
            ),
            **errors(400, 401, 403, 404),
        },
        media_type=export.MIME,
    )
    async def export_csv(
        self,
        request: AuthRequest,
        filename: FromPath[str],
        org_unit_id: UnitParam = None,
        from_: FromParam = None,
        to: ToParam = None,
    ) -> Stream:
        """One list of the window as CSV: `disputes.csv`, `dispatch_orders.csv` or
        `warnings.csv` (the monthly workbook's columns)."""
        listing = LISTINGS.get(filename.removesuffix(".csv")) if filename.endswith(".csv") else None
        if listing is None:
            raise ApiError(
                404,
                "not_found",
                f"无此导出 / no such export; one of: {', '.join(f'{n}.csv' for n in LISTINGS)}",
            )
        window = await stats_window(
            request.user, org_unit_id, parse_time(from_, "from"), parse_time(to, "to")
        )
        return Stream(
            export.csv_rows(listing, window),
            media_type=export.MIME,
            headers={"Content-Disposition": _attachment(f"{window.unit.name}-{filename}")},
        )


def _attachment(name: str) -> str:
    """A download's Content-Disposition with a Chinese file name (RFC 6266 / 5987)."""
    return (
        f"attachment; filename=\"export{name[name.rfind('.') :]}\"; filename*=UTF-8''{quote(name)}"
    )
