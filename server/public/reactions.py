"""The residents' door's reactions to dispute changes (registered on the disputes spec):

- a satisfaction callback (回访) answered `unsatisfied` — by the resident on the tracking page or
  recorded by hall staff after a phone call — reopens a resolved or closed dispute to
  `mediating` and raises a yellow warning to its community (回访不满意重新办理);
- every status change and rating of a dispute that residents follow becomes a step of their
  public timeline and a Web Push to their browsers.

Both run in the transaction of the change, so a reopening commits with the rating or not at all.
"""

from __future__ import annotations

from uuid import UUID

from server.inbox.recipients import people_of
from server.public import residents
from server.public.tables import PublicAppeal
from server.replication.reactions import AfterCommit, Reactor
from server.warnings.rules import raise_warning
from sync.engine import server_write
from sync.model import Applied

REOPENABLE = ("resolved", "closed")
_KICKS = "public.resident_pushes"


async def reopen_when_unsatisfied(reactor: Reactor, item: Applied) -> list[Applied]:
    change = item.changes.get("satisfaction")
    if change is None or change[1] != "unsatisfied" or item.after.deleted:
        return []
    record = item.after
    out: list[Applied] = []
    if record.fields.get("status") in REOPENABLE:
        reopened = server_write(
            reactor.ws,
            "disputes",
            record.id,
            {"status": "mediating"},
            now_ms=reactor.now_ms,
            clock=reactor.clock,
        )
        out.append(reopened)
        record = reopened.after
    out += raise_warning(
        reactor,
        level="yellow",
        source="dispute",
        subject=record,
        org_unit_id=record.fields.get("community_id"),
        message=f"回访不满意，重新办理：{record.fields.get('title') or ''}",
    )
    return out


async def tell_residents(reactor: Reactor, item: Applied) -> list[Applied]:
    if item.created or item.after.deleted:
        return []
    status = item.changes.get("status")
    rating = item.changes.get("satisfaction")
    if status is None and (rating is None or not rating[1]):
        return []
    rows = await PublicAppeal.select(PublicAppeal.id).where(
        PublicAppeal.dispute_id == UUID(item.record_id), PublicAppeal.triage != "rejected"
    )
    if not rows:
        return []
    appeals = [row["id"] for row in rows]
    role = None
    if item.actor is not None:
        people = await people_of(reactor)
        role = next((p.role for p in people.people if p.id == item.actor.user_id), None)
    deliveries: list[int] = []
    if rating is not None and rating[1]:
        deliveries += await residents.record(appeals, "rated", detail=str(rating[1]))
    if status is not None:
        old, new = status
        what = "reopened" if new == "mediating" and old in REOPENABLE else str(new)
        deliveries += await residents.record(appeals, what, role=role)
    if deliveries:
        reactor.memo.setdefault(_KICKS, []).extend(deliveries)
        reactor.before_flush(_KICKS, _kick_after_commit)
    return []


async def _kick_after_commit(reactor: Reactor) -> list[AfterCommit]:
    from server.inbox.notices import after_commit_kick

    deliveries: list[int] = reactor.memo.get(_KICKS, [])
    return [after_commit_kick(deliveries)] if deliveries else []


PUBLIC_DISPUTE_REACTIONS = (reopen_when_unsatisfied, tell_residents)
