"""The submission deadline: an application for judicial confirmation is due within 30 days of
signing (`submit_by`).  Every minute this job reminds the lawyer following a signed agreement
once when a week is left and once when the deadline has passed; taking the agreement back to
draft and signing again starts a new clock, and new reminders."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from server.agreements.tables import Agreement
from server.inbox.notices import Notice, after_commit_kick, local_time, send
from server.replication.reactions import AfterCommit
from server.replication.store import WorkingSet
from server.scheduling.runner import aware, clock, each, ms, now_or

#: the first reminder goes out this long before `submit_by`
DUE_SOON = timedelta(days=7)
DUE_SOON_LEVEL, OVERDUE_LEVEL = 1, 2


def level_due(submit_by: datetime, moment: datetime) -> int:
    if submit_by <= moment:
        return OVERDUE_LEVEL
    if submit_by - moment <= DUE_SOON:
        return DUE_SOON_LEVEL
    return 0


async def remind_submission(now: datetime | None = None) -> int:
    moment = now_or(now)
    rows = await Agreement.select(
        Agreement.id,
        Agreement.submit_by,
        Agreement.mediator_id,
        Agreement.created_by,
        Agreement.reminder_level,
        Agreement.reminder_for,
    ).where(
        Agreement.deleted.eq(False),
        Agreement.status == "signed",
        Agreement.submit_by.is_not_null(),
        Agreement.submit_by <= moment + DUE_SOON,
    )
    due: dict[UUID, tuple[int, datetime, str | None]] = {}
    for row in rows:
        submit_by = aware(row["submit_by"])
        # a reminder sent for an earlier signing (before a return to draft) does not count
        sent = row["reminder_level"] if _same(row["reminder_for"], submit_by) else 0
        level = level_due(submit_by, moment)
        lawyer = row["mediator_id"] or row["created_by"]
        if level > (sent or 0) and lawyer is not None:
            due[row["id"]] = (level, submit_by, str(lawyer))

    async def handle(agreement_id: UUID, ws: WorkingSet) -> list[AfterCommit]:
        level, submit_by, lawyer = due[agreement_id]
        claimed = (
            await Agreement.update(
                {Agreement.reminder_level: level, Agreement.reminder_for: submit_by}
            )
            .where(
                Agreement.id == agreement_id,
                Agreement.status == "signed",
                Agreement.submit_by == submit_by,
            )
            .returning(Agreement.id)
        )
        if not claimed or lawyer is None:
            return []
        overdue = level == OVERDUE_LEVEL
        notice = Notice(
            users=frozenset({lawyer}),
            type="agreement_deadline",
            title="司法确认申请已逾期" if overdue else "司法确认申请即将到期",
            body=f"调解协议应于 {local_time(submit_by.isoformat())} 前申请司法确认"
            + ("，已超过30日期限" if overdue else "，请尽快提交"),
            url=f"#/agreements/{agreement_id}",
            subject=f"agreement/{agreement_id}/deadline/{submit_by.isoformat()}/{level}",
            urgency="high" if overdue else "normal",
        )
        deliveries = await send(ws, [notice], now_ms=ms(moment), clock=clock)
        return [after_commit_kick(deliveries)] if deliveries else []

    return await each(list(due), handle)


def _same(stamp: Any, submit_by: datetime) -> bool:
    return isinstance(stamp, datetime) and aware(stamp) == submit_by
