"""What an applied psych session change sets off: a session flagged high or critical raises a
warning (saying a session needs attention, never what was said in it), and a booking, move or
cancellation tells the other side."""

from __future__ import annotations

from server.inbox.notices import Notice, notify
from server.psych.schema import SESSION_RISK_LEVELS
from server.replication.reactions import Reactor
from server.warnings.rules import raise_warning, raised_to
from sync.model import Applied

#: session risk → warning level
WARNING_LEVELS = {"high": "orange", "critical": "red"}


async def warn_on_risk(reactor: Reactor, item: Applied) -> list[Applied]:
    risk = raised_to(item, "risk_level", tuple(WARNING_LEVELS), SESSION_RISK_LEVELS)
    if risk is None:
        return []
    record = item.after
    return raise_warning(
        reactor,
        level=WARNING_LEVELS[risk],
        source="psych",
        subject=record,
        org_unit_id=record.fields.get("room_id") or reactor.ws.scope_of(record),
        message="有一次心理咨询需要关注（风险提示，不含咨询内容）",
    )


async def notify_booking(reactor: Reactor, item: Applied) -> list[Applied]:
    fields = item.after.fields
    moved = {"starts_at", "ends_at", "room_id"} & set(item.changes)
    status = fields.get("status")
    if not (item.created or moved or "status" in item.changes):
        return []
    actor = item.actor.user_id if item.actor else None
    users = {str(u) for u in (fields.get("psychologist_id"), item.after.created_by) if u}
    users.discard(str(actor))
    if not users:
        return []
    what = (
        "psych_session_new"
        if item.created
        else ("psych_session_cancelled" if status == "cancelled" else "psych_session_changed")
    )
    notify(
        reactor,
        Notice(
            users=frozenset(users),
            type="psych_session",
            template=what,
            params={"starts_time": str(fields.get("starts_at") or "")},
            url=f"#/psych/{item.record_id}",
            subject=f"session/{item.record_id}/v{item.after.version}",
        ),
    )
    return []
