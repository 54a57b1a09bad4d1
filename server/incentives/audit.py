"""The incentive fund's audit trail: every step (budget set, award, reversal, batch proposed,
approved, exported, paid) is one append-only `incentive_events` row, written in the
transaction of the step itself.  A volunteer reads the events of their own awards."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from server.incentives.tables import Event
from server.times import utc_iso

#: what a volunteer's screen says for each step (zh first; the PWA has the English)
ACTION_NAMES = {
    "fund_budget": "设定预算",
    "award": "发放奖励",
    "reverse": "冲正撤销",
    "batch_proposed": "社区提交发放批次",
    "batch_approved": "街道审核通过",
    "batch_exported": "导出发放清单",
    "paid": "已发放",
}


def now_utc() -> datetime:
    return datetime.now(UTC)


async def record(
    action: str,
    actor: UUID | None,
    *,
    fund_id: UUID | None = None,
    award_id: UUID | None = None,
    batch_id: UUID | None = None,
    volunteer_id: UUID | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    await Event.insert(
        Event(
            at=now_utc(),
            actor_id=actor,
            action=action,
            fund_id=fund_id,
            award_id=award_id,
            batch_id=batch_id,
            volunteer_id=volunteer_id,
            details=details or {},
        )
    )


async def events_of_awards(award_ids: list[UUID]) -> dict[str, list[dict[str, Any]]]:
    """Each award's steps in order (its own events and those of the batch it is in)."""
    if not award_ids:
        return {}
    rows = await Event.select().where(Event.award_id.is_in(award_ids)).order_by(Event.id)
    out: dict[str, list[dict[str, Any]]] = {str(a): [] for a in award_ids}
    for r in rows:
        out[str(r["award_id"])].append(
            {"at": iso(r["at"]), "action": r["action"], "what": ACTION_NAMES.get(r["action"], "")}
        )
    return out


async def events_of_batch(batch_id: UUID) -> list[dict[str, Any]]:
    rows = (
        await Event.select()
        .where(Event.batch_id == batch_id, Event.award_id.is_null())
        .order_by(Event.id)
    )
    return [
        {
            "at": iso(r["at"]),
            "action": r["action"],
            "actor_id": str(r["actor_id"]) if r["actor_id"] else None,
            "what": ACTION_NAMES.get(r["action"], ""),
        }
        for r in rows
    ]


def iso(value: Any) -> str | None:
    return utc_iso(value, "milliseconds")
