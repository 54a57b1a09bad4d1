"""A red warning nobody acknowledged within 30 minutes is sent again one level up (unless it
closed with its subject meanwhile)."""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

from server.inbox.notices import Notice, after_commit_kick, send
from server.inbox.recipients import load_people
from server.org.tree import load_tree
from server.permissions import as_uuid
from server.replication.reactions import AfterCommit
from server.replication.store import WorkingSet
from server.scheduling.runner import clock, each, ms, now_or
from server.warnings.tables import GradedWarning

RED_ACK_WINDOW = timedelta(minutes=30)


async def resend_red_warnings(now: datetime | None = None) -> int:
    moment = now_or(now)
    rows = (
        await GradedWarning.select(GradedWarning.id, GradedWarning.acknowledged_by)
        .where(
            GradedWarning.deleted.eq(False),
            GradedWarning.level == "red",
            GradedWarning.resent_at.is_null(),
            # closed with its deleted subject: nothing left to act on (warnings/rules.py)
            GradedWarning.closed_at.is_null(),
            GradedWarning.created_at < moment - RED_ACK_WINDOW,
        )
        .output(load_json=True)
    )
    pending = [r["id"] for r in rows if not r["acknowledged_by"]]
    tree = await load_tree()

    async def handle(warning_id: UUID, ws: WorkingSet) -> list[AfterCommit]:
        loaded = await ws.load_records([("warnings", str(warning_id))])
        if not loaded or loaded[0].fields.get("acknowledged_by"):
            return []
        warning = loaded[0]
        people = await load_people(tree)
        users = people.one_level_up(as_uuid(warning.fields.get("org_unit_id")))
        await GradedWarning.update({GradedWarning.resent_at: moment}).where(
            GradedWarning.id == warning_id
        )
        notice = Notice(
            users=frozenset(users),
            type="warning",
            template="warning_red_resent",
            url=f"#/inbox/warnings/{warning.id}",
            subject=f"warning/{warning.id}/resent",
            urgency="high",
            ttl=12 * 3600,
            sms="red",
            ack=("warnings", warning.id),
        )
        deliveries = await send(ws, [notice], now_ms=ms(moment), clock=clock)
        return [after_commit_kick(deliveries)] if deliveries else []

    return await each(pending, handle)
