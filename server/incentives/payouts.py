"""Payout batches: proposed by a community admin, approved by a street admin who is not the
proposer (two people, 双人审核), exported for the finance office, marked paid.  Each step is
one transaction with its audit events (one for the batch, one per award so the volunteer sees
it on their award)."""

from __future__ import annotations

import uuid
from typing import Any
from uuid import UUID

from server.db import write_transaction
from server.http.errors import ApiError
from server.incentives import audit, ledger
from server.incentives.tables import Award, Batch


async def get_batch(batch_id: UUID) -> dict[str, Any] | None:
    rows = await Batch.select().where(Batch.id == batch_id)
    return dict(rows[0]) if rows else None


async def awards_of(batch_id: UUID) -> list[dict[str, Any]]:
    rows = await Award.select().where(Award.batch_id == batch_id).order_by(Award.created_at)
    return [dict(r) for r in rows]


async def _step(
    action: str, actor: UUID, batch: dict[str, Any], awards: list[dict[str, Any]]
) -> None:
    await audit.record(
        action,
        actor,
        batch_id=batch["id"],
        details={"total_fen": int(batch["total_fen"]), "awards": len(awards)},
    )
    for a in awards:
        await audit.record(
            action, actor, batch_id=batch["id"], award_id=a["id"], volunteer_id=a["volunteer_id"]
        )


async def propose(org_unit_id: UUID, award_ids: list[UUID], actor: UUID) -> dict[str, Any]:
    """Put awarded (not yet batched) awards of this community into a new batch, all or none."""
    batch_id = uuid.uuid4()
    async with write_transaction():
        rows = await Award.select().where(Award.id.is_in(award_ids))
        found = {r["id"]: r for r in rows}
        missing = [str(a) for a in award_ids if a not in found]
        if missing:
            raise ApiError(
                404, "not_found", "有奖励不存在 (unknown awards)", {"award_ids": missing}
            )
        outside = [str(r["id"]) for r in rows if r["community_id"] != org_unit_id]
        if outside:
            raise ApiError(
                422,
                "wrong_community",
                "批次只能包含本社区的奖励 (a batch holds one community's awards)",
                {"award_ids": outside},
            )
        total = sum(int(r["amount_fen"]) for r in rows)
        # claim them atomically: an award already batched, paid or reversed stops the batch
        claimed = (
            await Award.update({Award.status: "batched", Award.batch_id: batch_id})
            .where(Award.id.is_in(award_ids), Award.status == "awarded")
            .returning(Award.id)
        )
        if len(claimed) != len(award_ids):
            taken = sorted(set(map(str, award_ids)) - {str(c["id"]) for c in claimed})
            raise ApiError(
                409,
                "not_available",
                "有奖励已在其他批次或已撤销 (some awards are already batched or reversed)",
                {"award_ids": taken},
            )
        await Batch.insert(
            Batch(
                id=batch_id,
                org_unit_id=org_unit_id,
                status="proposed",
                total_fen=total,
                award_count=len(award_ids),
                proposed_by=actor,
                proposed_at=audit.now_utc(),
            )
        )
        batch = await get_batch(batch_id)
        assert batch is not None
        await _step("batch_proposed", actor, batch, [dict(r) for r in rows])
    return batch


async def approve(batch_id: UUID, actor: UUID) -> dict[str, Any]:
    async with write_transaction():
        batch = await _require(batch_id)
        if batch["proposed_by"] == actor:
            raise ApiError(
                403,
                "same_person",
                "提交人不能审核自己的批次 (the proposer cannot approve their own batch)",
            )
        if batch["status"] != "proposed":
            raise _wrong_state(batch, "proposed")
        changed = (
            await Batch.update(
                {
                    Batch.status: "approved",
                    Batch.approved_by: actor,
                    Batch.approved_at: audit.now_utc(),
                }
            )
            .where(Batch.id == batch_id, Batch.status == "proposed")
            .returning(Batch.id)
        )
        if not changed:
            raise _wrong_state(batch, "proposed")
        await _step("batch_approved", actor, batch, await awards_of(batch_id))
    done = await get_batch(batch_id)
    assert done is not None
    return done


async def mark_exported(batch_id: UUID, actor: UUID) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The batch and its awards for the finance office's sheet; the export is audited."""
    async with write_transaction():
        batch = await _require(batch_id)
        if batch["status"] not in ("approved", "paid"):
            raise _wrong_state(batch, "approved")
        awards = await awards_of(batch_id)
        if batch["exported_at"] is None:
            await Batch.update({Batch.exported_at: audit.now_utc()}).where(Batch.id == batch_id)
        await _step("batch_exported", actor, batch, awards)
    return batch, awards


async def mark_paid(batch_id: UUID, actor: UUID) -> dict[str, Any]:
    async with write_transaction():
        batch = await _require(batch_id)
        if batch["status"] != "approved":
            raise _wrong_state(batch, "approved")
        if batch["exported_at"] is None:
            raise ApiError(
                409,
                "not_exported",
                "请先导出发放清单交财务 (export the sheet for the finance office first)",
            )
        changed = (
            await Batch.update(
                {Batch.status: "paid", Batch.paid_by: actor, Batch.paid_at: audit.now_utc()}
            )
            .where(Batch.id == batch_id, Batch.status == "approved")
            .returning(Batch.id)
        )
        if not changed:
            raise _wrong_state(batch, "approved")
        awards = await awards_of(batch_id)
        for a in awards:
            await ledger.record_payout(a, batch_id, actor)
        await Award.update({Award.status: "paid"}).where(Award.batch_id == batch_id)
        await _step("paid", actor, batch, awards)
    done = await get_batch(batch_id)
    assert done is not None
    return done


async def _require(batch_id: UUID) -> dict[str, Any]:
    batch = await get_batch(batch_id)
    if batch is None:
        raise ApiError(404, "not_found", "没有这个发放批次 (no such batch)")
    return batch


def _wrong_state(batch: dict[str, Any], needed: str) -> ApiError:
    return ApiError(
        409,
        "invalid_transition",
        f"批次状态为 {batch['status']}，需要 {needed} (the batch is {batch['status']})",
        {"status": batch["status"], "needed": needed},
    )


async def list_batches(unit_ids: list[UUID]) -> list[dict[str, Any]]:
    rows = (
        await Batch.select()
        .where(Batch.org_unit_id.is_in(unit_ids))
        .order_by(Batch.proposed_at, ascending=False)
    )
    return [dict(r) for r in rows]
