"""HTTP for the incentive fund (COMMAND_API.md "Volunteers and the incentive fund").  Thin:
scope checks in `access.py`, money in `ledger.py`, batches in `payouts.py`."""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeVar
from uuid import UUID

import msgspec
from litestar import Controller, Request, Response, get, post, put
from litestar.datastructures import State
from litestar.params import FromPath, FromQuery, HeaderParameter, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from server.accounts.principal import Principal
from server.http.errors import ApiError
from server.http.openapi import BEARER, errors
from server.incentives import access, audit, ledger, payouts
from server.incentives.export import XLSX_MIME, batch_workbook
from server.incentives.schemas import (
    AwardIn,
    AwardOut,
    BatchDetailOut,
    BatchIn,
    BatchOut,
    BatchStep,
    BudgetIn,
    FundOut,
    ReverseIn,
)
from server.incentives.services import award_out, award_request, batch_out
from server.incentives.tables import Award
from server.org.tree import load_tree
from server.volunteers.directory import names

AuthRequest = Request[Principal, str, State]
T = TypeVar("T")
AwardStatus = Literal["awarded", "batched", "paid", "reversed"]
IdempotencyKey = Annotated[
    str | None,
    HeaderParameter(
        name="Idempotency-Key",
        required=False,
        max_length=200,
        description="a client-chosen key: a retried award with the same key pays once",
    ),
]


async def strictly(request: AuthRequest, kind: type[T]) -> T:
    """The body decoded again in msgspec's strict mode: Litestar's decoder turns "500" into
    500, and an amount of money must arrive as a JSON integer, not as text that looks like one."""
    try:
        return msgspec.json.decode(await request.body(), type=kind, strict=True)
    except msgspec.ValidationError as exc:
        raise ApiError(400, "validation", f"请求内容无效 (invalid request): {exc}") from exc


class IncentivesController(Controller):
    path = "/api/incentives"
    tags = ["incentives"]
    security = BEARER

    # -- the fund ----------------------------------------------------------------------------
    @get("/fund", responses=errors(400, 401, 403, 404))
    async def fund(
        self, request: AuthRequest, org_unit_id: FromQuery[UUID], year: FromQuery[int | None] = None
    ) -> FundOut:
        """A fund's budget, awarded, paid and balance, in fen (year: this year by default)."""
        tree = await load_tree()
        access.may_read_fund(request.user, tree, org_unit_id)
        year = year if year is not None else ledger.current_year()
        if not 2000 <= year <= 2100:
            raise ApiError(
                400, "validation", "year 超出范围 (year out of range)", {"field": "year"}
            )
        found = await ledger.find_fund(org_unit_id, year)
        return FundOut(**ledger.figures(found, org_unit_id, year))

    @put("/fund", responses=errors(400, 401, 403, 404, 409, 413))
    async def set_budget(self, request: AuthRequest, data: JSONBody[BudgetIn]) -> FundOut:
        """Set a fund's budget for a year (street and district admins); it is a ledger entry."""
        tree = await load_tree()
        data = await strictly(request, BudgetIn)
        access.may_set_budget(request.user, tree, data.org_unit_id)
        figures = await ledger.set_budget(
            data.org_unit_id, data.year, data.budget_fen, request.user.user_id
        )
        return FundOut(**figures)

    # -- awards ------------------------------------------------------------------------------
    @post("/awards", status_code=HTTP_201_CREATED, responses=errors(400, 401, 403, 409, 413, 422))
    async def award(
        self,
        request: AuthRequest,
        data: JSONBody[AwardIn],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[AwardOut]:
        """Award cash to a volunteer from the fund above their community; 409 `budget_exceeded`
        when the balance cannot cover it.  Send `Idempotency-Key`: a retry pays once."""
        tree = await load_tree()
        data = await strictly(request, AwardIn)
        key = idempotency_key or data.idempotency_key
        made = await award_request(request.user, tree, data, key)
        row, created = await ledger.award(tree, made)
        headers = {} if created else {"Idempotent-Replayed": "true"}
        return Response(award_out(row), status_code=HTTP_201_CREATED, headers=headers)

    @get("/awards", responses=errors(400, 401, 403))
    async def awards(
        self,
        request: AuthRequest,
        org_unit_id: FromQuery[UUID],
        status: FromQuery[AwardStatus | None] = None,
    ) -> list[AwardOut]:
        """The awards of volunteers in a unit's subtree, newest first."""
        tree = await load_tree()
        access.may_work_in(request.user, tree, org_unit_id)
        communities = [u for u in tree.units if tree.is_within(u, org_unit_id)]
        query = Award.select().where(Award.community_id.is_in(communities))
        if status is not None:
            query = query.where(Award.status == status)
        rows = await query.order_by(Award.created_at, ascending=False).limit(1000)
        return [award_out(r) for r in rows]

    @post(
        "/awards/{award_id:uuid}/reverse",
        status_code=HTTP_200_OK,
        responses=errors(400, 401, 403, 404, 409, 413),
    )
    async def reverse(
        self, request: AuthRequest, award_id: FromPath[UUID], data: JSONBody[ReverseIn]
    ) -> AwardOut:
        """Undo an award not yet batched: a reversing ledger entry (nothing is deleted)."""
        tree = await load_tree()
        current = await ledger.get_award(award_id)
        if current is None:
            raise ApiError(404, "not_found", "没有这笔奖励 (no such award)")
        access.may_work_in(request.user, tree, current["community_id"])
        return award_out(await ledger.reverse(award_id, request.user.user_id, data.reason))

    # -- payout batches ----------------------------------------------------------------------
    @post(
        "/batches",
        status_code=HTTP_201_CREATED,
        responses=errors(400, 401, 403, 404, 409, 413, 422),
    )
    async def propose(self, request: AuthRequest, data: JSONBody[BatchIn]) -> BatchOut:
        """A community admin proposes a batch of the community's awards for payout."""
        tree = await load_tree()
        access.may_propose(request.user, tree, data.org_unit_id)
        if len(set(data.award_ids)) != len(data.award_ids):
            raise ApiError(422, "validation", "award_ids 有重复 (award_ids repeat)")
        return batch_out(
            await payouts.propose(data.org_unit_id, data.award_ids, request.user.user_id)
        )

    @get("/batches", responses=errors(400, 401, 403))
    async def batches(self, request: AuthRequest, org_unit_id: FromQuery[UUID]) -> list[BatchOut]:
        tree = await load_tree()
        access.may_work_in(request.user, tree, org_unit_id)
        units = [u for u in tree.units if tree.is_within(u, org_unit_id)]
        return [batch_out(b) for b in await payouts.list_batches(units)]

    @get("/batches/{batch_id:uuid}", responses=errors(401, 403, 404))
    async def batch(self, request: AuthRequest, batch_id: FromPath[UUID]) -> BatchDetailOut:
        """A batch, its awards and its steps (who proposed, approved, exported, paid; when)."""
        batch = await self._batch_in_scope(request, batch_id)
        return BatchDetailOut(
            batch=batch_out(batch),
            awards=[award_out(a) for a in await payouts.awards_of(batch_id)],
            events=[BatchStep(**e) for e in await audit.events_of_batch(batch_id)],
        )

    @post(
        "/batches/{batch_id:uuid}/approve",
        status_code=HTTP_200_OK,
        responses=errors(401, 403, 404, 409),
    )
    async def approve(self, request: AuthRequest, batch_id: FromPath[UUID]) -> BatchOut:
        """A street admin approves; the proposer never approves their own batch (403)."""
        tree = await load_tree()
        batch = await self._batch_in_scope(request, batch_id)
        if batch["proposed_by"] == request.user.user_id:
            raise ApiError(
                403,
                "same_person",
                "提交人不能审核自己的批次 (the proposer cannot approve their own batch)",
            )
        access.may_approve(request.user, tree, batch["org_unit_id"])
        return batch_out(await payouts.approve(batch_id, request.user.user_id))

    @get(
        "/batches/{batch_id:uuid}/export.xlsx",
        responses=errors(401, 403, 404, 409),
        media_type=XLSX_MIME,
    )
    async def export(self, request: AuthRequest, batch_id: FromPath[UUID]) -> Response[bytes]:
        """The finance office's sheet of an approved batch (name, amount in yuan, reason, source)."""
        tree = await load_tree()
        await self._batch_in_scope(request, batch_id)
        batch, awards = await payouts.mark_exported(batch_id, request.user.user_id)
        people = await names(sorted({a["volunteer_id"] for a in awards}))
        unit = tree.get(batch["org_unit_id"])
        body = batch_workbook(batch, awards, people, unit.name if unit else "")
        return Response(
            body,
            media_type=XLSX_MIME,
            headers={
                "Content-Disposition": f'attachment; filename="payout-{batch_id}.xlsx"',
                "Cache-Control": "no-store",
            },
        )

    @post(
        "/batches/{batch_id:uuid}/paid",
        status_code=HTTP_200_OK,
        responses=errors(401, 403, 404, 409),
    )
    async def paid(self, request: AuthRequest, batch_id: FromPath[UUID]) -> BatchOut:
        """Mark an approved, exported batch paid: payout entries in the ledger."""
        tree = await load_tree()
        batch = await self._batch_in_scope(request, batch_id)
        access.may_approve(request.user, tree, batch["org_unit_id"])
        return batch_out(await payouts.mark_paid(batch_id, request.user.user_id))

    async def _batch_in_scope(self, request: AuthRequest, batch_id: UUID) -> dict[str, Any]:
        tree = await load_tree()
        batch = await payouts.get_batch(batch_id)
        if batch is None:
            raise ApiError(404, "not_found", "没有这个发放批次 (no such batch)")
        access.may_work_in(request.user, tree, batch["org_unit_id"])
        return batch
