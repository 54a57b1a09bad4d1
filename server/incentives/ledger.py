"""Funds, awards and reversals: the money path.  The only code that writes the ledger.

Concurrency (docs/incentives.md): every change of a fund's figures happens in one transaction
that first locks the fund's row — `SELECT ... FOR UPDATE` on PostgreSQL; on SQLite the write
transaction is `BEGIN IMMEDIATE`, so there is one writer at a time anyway.  Under that lock the
award re-reads the key it was sent, checks `awarded + amount <= budget`, then writes the award,
its ledger entry, the fund's new totals and the audit event, and commits.  Two app servers
awarding from one fund therefore queue on that row: the 21st award of a budget that fits 20
sees the 20 before it and is refused, and no retry loop is needed (a serialisable transaction
would abort and retry the losers of every race on the hot row instead).

The fund row's totals are a cache of the ledger: `budget = Σ budget entries`, `awarded =
Σ award + Σ reversal entries`, `paid = Σ payout entries`; `tests/server/incentives` checks they
agree after concurrent awards.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from piccolo.engine.postgres import PostgresEngine

from server.db import engine, write_transaction
from server.http.errors import ApiError
from server.incentives import audit
from server.incentives.tables import Award, Fund, LedgerEntry
from server.org.tree import OrgTree

SHANGHAI = ZoneInfo("Asia/Shanghai")
#: ¥10,000,000 in fen: a budget or award above it is a typo, not a policy
MAX_FEN = 1_000_000_000


def current_year() -> int:
    """The fund year an award made now belongs to (the district's calendar year)."""
    return datetime.now(SHANGHAI).year


def figures(fund: dict[str, Any] | None, org_unit_id: UUID, year: int) -> dict[str, Any]:
    budget = int(fund["budget_fen"]) if fund else 0
    awarded = int(fund["awarded_fen"]) if fund else 0
    paid = int(fund["paid_fen"]) if fund else 0
    return {
        "org_unit_id": str(org_unit_id),
        "year": year,
        "currency": "CNY",
        "unit": "fen",
        "budget": budget,
        "awarded": awarded,
        "paid": paid,
        "balance": budget - awarded,
    }


async def find_fund(org_unit_id: UUID, year: int) -> dict[str, Any] | None:
    rows = await Fund.select().where(Fund.org_unit_id == org_unit_id, Fund.year == year)
    return rows[0] if rows else None


async def fund_for(tree: OrgTree, community_id: UUID, year: int) -> dict[str, Any] | None:
    """The fund an award in this community draws from: its own, else the nearest above it."""
    for unit_id in tree.ancestors(community_id):
        fund = await find_fund(unit_id, year)
        if fund is not None:
            return fund
    return None


async def _lock(fund_id: UUID) -> dict[str, Any]:
    """The fund's row, locked until the transaction ends (PostgreSQL).  SQLite's IMMEDIATE
    transaction already excludes every other writer."""
    if isinstance(engine(), PostgresEngine):
        rows = await Fund.raw("SELECT * FROM incentive_funds WHERE id = {} FOR UPDATE", fund_id)
    else:
        rows = await Fund.select().where(Fund.id == fund_id)
    return dict(rows[0])


async def _entry(
    fund_id: UUID,
    kind: str,
    amount: int,
    actor: UUID | None,
    *,
    award_id: UUID | None = None,
    batch_id: UUID | None = None,
    note: str | None = None,
) -> None:
    await LedgerEntry.insert(
        LedgerEntry(
            fund_id=fund_id,
            kind=kind,
            amount_fen=amount,
            award_id=award_id,
            batch_id=batch_id,
            actor_id=actor,
            note=(note or "")[:500] or None,
            created_at=audit.now_utc(),
        )
    )


async def set_budget(org_unit_id: UUID, year: int, budget_fen: int, actor: UUID) -> dict[str, Any]:
    """Set a fund's budget; the change is a ledger entry of the difference."""
    async with write_transaction():
        await Fund.raw(
            "INSERT INTO incentive_funds (id, org_unit_id, year, budget_fen, awarded_fen,"
            " paid_fen, updated_at) VALUES ({}, {}, {}, 0, 0, 0, {})"
            " ON CONFLICT (org_unit_id, year) DO NOTHING",
            uuid.uuid4(),
            org_unit_id,
            year,
            audit.now_utc(),
        )
        found = await find_fund(org_unit_id, year)
        assert found is not None
        fund = await _lock(found["id"])
        if budget_fen < int(fund["awarded_fen"]):
            raise ApiError(
                409,
                "budget_below_awarded",
                "预算不能低于已发放的奖励 (the budget cannot be less than what was awarded)",
                {"awarded": int(fund["awarded_fen"])},
            )
        delta = budget_fen - int(fund["budget_fen"])
        if delta:
            await _entry(found["id"], "budget", delta, actor, note=f"budget {budget_fen}")
            await Fund.update(
                {Fund.budget_fen: budget_fen, Fund.updated_at: audit.now_utc()}
            ).where(Fund.id == found["id"])
            await audit.record(
                "fund_budget",
                actor,
                fund_id=found["id"],
                details={"budget_fen": budget_fen, "delta_fen": delta, "year": year},
            )
        return figures({**fund, "budget_fen": budget_fen}, org_unit_id, year)


@dataclass(frozen=True, slots=True)
class AwardRequest:
    volunteer_id: UUID
    community_id: UUID
    amount_fen: int
    reason: str
    source_collection: str
    source_id: UUID
    approved_by: UUID
    idempotency_key: str | None

    def digest(self) -> str:
        """What a replay with the same key must repeat exactly."""
        body = {
            "volunteer_id": str(self.volunteer_id),
            "amount_fen": self.amount_fen,
            "reason": self.reason,
            "source_collection": self.source_collection,
            "source_id": str(self.source_id),
        }
        return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


async def _by_key(request: AwardRequest) -> dict[str, Any] | None:
    if request.idempotency_key is None:
        return None
    rows = await Award.select().where(
        Award.approved_by == request.approved_by,
        Award.idempotency_key == request.idempotency_key,
    )
    if not rows:
        return None
    if rows[0]["request_digest"] != request.digest():
        raise ApiError(
            422,
            "idempotency_key_reused",
            "这个幂等键已用于另一笔奖励 (this Idempotency-Key was used for a different award)",
            {"award_id": str(rows[0]["id"])},
        )
    return dict(rows[0])


async def award(tree: OrgTree, request: AwardRequest) -> tuple[dict[str, Any], bool]:
    """Award cash from the fund above the volunteer's community; returns (award, created).

    A request whose key was seen before returns the award it made (created=False) and pays
    nothing again; a budget it would overdraw is refused with 409 `budget_exceeded`."""
    replay = await _by_key(request)
    if replay is not None:
        return replay, False
    year = current_year()
    fund = await fund_for(tree, request.community_id, year)
    if fund is None:
        raise _exceeded(0, request.amount_fen, "本年度没有可用的奖励基金 (no fund for this year)")
    try:
        async with write_transaction():
            locked = await _lock(fund["id"])
            # under the lock: a concurrent twin with the same key has committed by now
            replay = await _by_key(request)
            if replay is not None:
                return replay, False
            balance = int(locked["budget_fen"]) - int(locked["awarded_fen"])
            if request.amount_fen > balance:
                raise _exceeded(balance, request.amount_fen, "奖励基金余额不足 (budget exceeded)")
            award_id = uuid.uuid4()
            row = Award(
                id=award_id,
                fund_id=fund["id"],
                volunteer_id=request.volunteer_id,
                community_id=request.community_id,
                amount_fen=request.amount_fen,
                reason=request.reason,
                source_collection=request.source_collection,
                source_id=request.source_id,
                approved_by=request.approved_by,
                idempotency_key=request.idempotency_key,
                request_digest=request.digest(),
                status="awarded",
                created_at=audit.now_utc(),
            )
            await Award.insert(row)
            await _entry(
                fund["id"], "award", request.amount_fen, request.approved_by, award_id=award_id
            )
            await Fund.update(
                {
                    Fund.awarded_fen: int(locked["awarded_fen"]) + request.amount_fen,
                    Fund.updated_at: audit.now_utc(),
                }
            ).where(Fund.id == fund["id"])
            await audit.record(
                "award",
                request.approved_by,
                fund_id=fund["id"],
                award_id=award_id,
                volunteer_id=request.volunteer_id,
                details={"amount_fen": request.amount_fen},
            )
    except ApiError:
        raise
    except Exception as exc:
        # two requests with one key for different funds: the unique index let one in
        if request.idempotency_key is None or not _is_unique_violation(exc):
            raise
        replay = await _by_key(request)
        if replay is None:
            raise
        return replay, False
    created = await get_award(award_id)
    assert created is not None
    return created, True


def _exceeded(balance: int, amount: int, message: str) -> ApiError:
    return ApiError(409, "budget_exceeded", message, {"balance": balance, "amount_fen": amount})


def _is_unique_violation(exc: Exception) -> bool:
    text = f"{type(exc).__name__} {exc}".lower()
    return "unique" in text


async def get_award(award_id: UUID) -> dict[str, Any] | None:
    rows = await Award.select().where(Award.id == award_id)
    return dict(rows[0]) if rows else None


async def reverse(award_id: UUID, actor: UUID, reason: str) -> dict[str, Any]:
    """Undo an award not yet in a batch: a reversing ledger entry, never a deleted one."""
    async with write_transaction():
        current = await get_award(award_id)
        if current is None:
            raise ApiError(404, "not_found", "没有这笔奖励 (no such award)")
        await _lock(current["fund_id"])
        # re-read under the lock: a batch may have taken it meanwhile
        current = await get_award(award_id)
        assert current is not None
        if current["status"] != "awarded":
            raise ApiError(
                409,
                "not_reversible",
                "只有尚未进入发放批次的奖励可以冲正 (only awards not in a batch can be reversed)",
                {"status": current["status"]},
            )
        amount = int(current["amount_fen"])
        await _entry(current["fund_id"], "reversal", -amount, actor, award_id=award_id, note=reason)
        await Fund.update(
            {Fund.awarded_fen: Fund.awarded_fen - amount, Fund.updated_at: audit.now_utc()}
        ).where(Fund.id == current["fund_id"])
        await Award.update({Award.status: "reversed"}).where(Award.id == award_id)
        await audit.record(
            "reverse",
            actor,
            fund_id=current["fund_id"],
            award_id=award_id,
            volunteer_id=current["volunteer_id"],
            details={"amount_fen": amount, "reason": reason},
        )
    done = await get_award(award_id)
    assert done is not None
    return done


async def record_payout(award: dict[str, Any], batch_id: UUID, actor: UUID) -> None:
    """Inside the caller's transaction: one payout entry per award, the fund's paid total."""
    await _lock(award["fund_id"])
    amount = int(award["amount_fen"])
    await _entry(award["fund_id"], "payout", amount, actor, award_id=award["id"], batch_id=batch_id)
    await Fund.update(
        {Fund.paid_fen: Fund.paid_fen + amount, Fund.updated_at: audit.now_utc()}
    ).where(Fund.id == award["fund_id"])


async def ledger_sums(fund_id: UUID) -> dict[str, int]:
    """The fund's figures recomputed from its ledger (for checks and the command view)."""
    rows = await LedgerEntry.raw(
        "SELECT kind, COALESCE(SUM(amount_fen), 0) AS total, COUNT(*) AS n"
        " FROM incentive_ledger WHERE fund_id = {} GROUP BY kind",
        fund_id,
    )
    by_kind = {r["kind"]: int(r["total"]) for r in rows}
    return {
        "budget": by_kind.get("budget", 0),
        "awarded": by_kind.get("award", 0) + by_kind.get("reversal", 0),
        "paid": by_kind.get("payout", 0),
    }
