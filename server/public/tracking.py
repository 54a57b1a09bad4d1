"""Tracking by code and the resident's rating (回访).

A lookup answers only what the resident needs: the status, the service type, when it arrived,
the public timeline in words (roles, never names) and whether a rating is possible.  Unknown
codes are 404 and lookups are rate-limited per client address (controllers), so codes cannot be
enumerated.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from server.db import write_transaction
from server.disputes.tables import Dispute
from server.http.errors import ApiError
from server.org.tree import load_tree
from server.public import codes
from server.public.reactions import REOPENABLE
from server.public.residents import in_words
from server.public.schemas import AppealStatus, RatingIn, RatingOut, TimelineEntry
from server.public.tables import PublicAppeal, PublicAppealEvent
from server.replication.reactions import Reactor
from server.replication.store import WorkingSet
from server.scheduling.runner import SERVER, clock
from sync.engine import server_write

NOT_FOUND = ApiError(404, "not_found", "没有找到这个查询码 (no appeal has this tracking code)")


def _stamp(value: Any) -> str:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    moment: datetime = value if value.tzinfo else value.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


async def find(secret: str, code: str) -> dict[str, Any]:
    normal = codes.normalize(code)
    if normal is None:
        raise NOT_FOUND
    row = (
        await PublicAppeal.select()
        .where(PublicAppeal.code_hash == codes.code_hash(secret, normal))
        .first()
    )
    if row is None:
        raise NOT_FOUND
    return row


async def _dispute(appeal: dict[str, Any]) -> dict[str, Any] | None:
    row: dict[str, Any] | None = (
        await Dispute.select(Dispute.status, Dispute.deleted, Dispute.satisfaction)
        .where(Dispute.id == appeal["dispute_id"])
        .first()
    )
    return row


def public_status(appeal: dict[str, Any], dispute: dict[str, Any] | None) -> str:
    if appeal["triage"] == "rejected":
        return "rejected"
    if dispute is None or dispute["deleted"]:
        return "withdrawn"
    return str(dispute["status"] or "registered")


def may_rate(appeal: dict[str, Any], status: str) -> bool:
    return appeal["rated_at"] is None and appeal["triage"] != "rejected" and status in REOPENABLE


async def status_of(secret: str, code: str) -> AppealStatus:
    appeal = await find(secret, code)
    dispute = await _dispute(appeal)
    status = public_status(appeal, dispute)
    events = (
        await PublicAppealEvent.select()
        .where(PublicAppealEvent.appeal_id == appeal["id"])
        .order_by(PublicAppealEvent.at)
        .order_by(PublicAppealEvent._meta.primary_key)
    )
    return AppealStatus(
        status=status,
        service_type=str(appeal["service_type"]),
        received_at=_stamp(appeal["created_at"]),
        timeline=[
            TimelineEntry(
                at=_stamp(e["at"]), what=in_words(e["what"], e["role"], e["detail"]), code=e["what"]
            )
            for e in events
        ],
        can_rate=may_rate(appeal, status),
        triage=str(appeal["triage"]),
        satisfaction=appeal["satisfaction"],
        reject_reason=appeal["reject_reason"],
    )


async def rate(secret: str, code: str, data: RatingIn) -> RatingOut:
    """The resident's answer to "has it been solved?": once, and only once resolved.  Writes
    the dispute's `satisfaction`; `unsatisfied` reopens it (server/public/reactions.py)."""
    appeal = await find(secret, code)
    tree = await load_tree()
    now = datetime.now(UTC)
    now_ms = int(now.timestamp() * 1000)
    async with write_transaction():
        # Claim the rating first: of two concurrent ratings exactly one updates the row.
        claimed = (
            await PublicAppeal.update(
                {
                    PublicAppeal.rated_at: now,
                    PublicAppeal.satisfaction: data.satisfaction,
                    PublicAppeal.rating_comment: data.comment.strip() or None,
                }
            )
            .where(PublicAppeal.id == appeal["id"], PublicAppeal.rated_at.is_null())
            .returning(PublicAppeal.id)
        )
        if not claimed:
            raise ApiError(409, "already_rated", "您已评价过 (this appeal has already been rated)")
        ws = WorkingSet(SERVER, SERVER)
        dispute_id = str(appeal["dispute_id"])
        loaded = await ws.load_records([("disputes", dispute_id)])
        dispute = loaded[0] if loaded else None
        status = public_status(
            appeal,
            None
            if dispute is None
            else {"deleted": dispute.deleted, "status": dispute.fields.get("status")},
        )
        if dispute is None or not may_rate(appeal, status):
            raise ApiError(
                409,
                "not_resolved",
                "办结后才能评价 (an appeal can be rated once it is resolved)",
                {"status": status},
            )
        applied = server_write(
            ws,
            "disputes",
            dispute_id,
            {"satisfaction": data.satisfaction},
            now_ms=now_ms,
            clock=clock,
        )
        after_commit = await Reactor(ws, tree, now_ms, clock).run([applied])
        await ws.flush()
        final = ws.get("disputes", dispute_id)
    for callback in after_commit:
        callback()
    return RatingOut(
        satisfaction=data.satisfaction,
        status=str(final.fields.get("status")) if final else status,
    )
