"""Psych session reminders, 24 h and 1 h before, to the psychologist, with no clinical content."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from server.inbox.notices import SHANGHAI, Notice, after_commit_kick, send
from server.psych.tables import PsychSession
from server.replication.reactions import AfterCommit
from server.replication.store import WorkingSet
from server.scheduling.runner import aware, clock, each, ms, now_or


def day_word(starts: datetime, now: datetime) -> str:
    """The day of `starts` as a psychologist in the district says it at `now`: 今天, 明天 or the
    date.  Both are taken in Beijing time: a session at 23:00 seen at 00:30 is today even
    though UTC still says yesterday, and one 65 minutes away is never tomorrow."""
    day: date = starts.astimezone(SHANGHAI).date()
    today = now.astimezone(SHANGHAI).date()
    if day == today:
        return "今天"
    if day == today + timedelta(days=1):
        return "明天"
    return f"{day.month}月{day.day}日"


def day_key(starts: datetime, now: datetime) -> str:
    """`day_word` as a template variant: today, tomorrow or date (templates.json)."""
    word = day_word(starts, now)
    return {"今天": "today", "明天": "tomorrow"}.get(word, "date")


async def send_reminders(now: datetime | None = None) -> int:
    moment = now_or(now)
    rows = await PsychSession.select(
        PsychSession.id,
        PsychSession.starts_at,
        PsychSession.psychologist_id,
        PsychSession.reminded_24h_at,
        PsychSession.reminded_1h_at,
    ).where(
        PsychSession.deleted.eq(False),
        PsychSession.status == "scheduled",
        PsychSession.starts_at > moment,
        PsychSession.starts_at <= moment + timedelta(hours=24),
    )
    due: list[tuple[UUID, str, str, Any]] = []
    for row in rows:
        starts = aware(row["starts_at"])
        if starts - moment <= timedelta(hours=1) and row["reminded_1h_at"] is None:
            due.append((row["id"], "1h", str(row["psychologist_id"]), starts))
        elif row["reminded_24h_at"] is None and starts - moment > timedelta(hours=1):
            due.append((row["id"], "24h", str(row["psychologist_id"]), starts))
    by_id = {d[0]: d for d in due}

    async def handle(session_id: UUID, ws: WorkingSet) -> list[AfterCommit]:
        _, which, psychologist, starts = by_id[session_id]
        column = PsychSession.reminded_1h_at if which == "1h" else PsychSession.reminded_24h_at
        # Claim the reminder first: a second run of this job finds it taken.
        claimed = (
            await PsychSession.update({column: moment})
            .where(PsychSession.id == session_id, column.is_null())
            .returning(PsychSession.id)
        )
        if not claimed:
            return []
        when = "1h" if which == "1h" else day_key(starts, moment)
        notice = Notice(
            users=frozenset({psychologist}),
            type="psych_reminder",
            template=f"psych_reminder_{when}",
            params={"starts_time": starts.isoformat(), "starts_date": starts.isoformat()},
            url=f"#/psych/{session_id}",
            subject=f"session/{session_id}/reminder/{which}",
            ttl=3600 if which == "1h" else 12 * 3600,
        )
        deliveries = await send(ws, [notice], now_ms=ms(moment), clock=clock)
        return [after_commit_kick(deliveries)] if deliveries else []

    return await each(list(by_id), handle)
