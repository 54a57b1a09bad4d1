"""Psych reminders name the right day (issue 8 "Lifecycle rules"): a reminder for a session an
hour or a few hours away says today's Beijing date and time, never "明天"; one for a session
tomorrow (in Beijing) says 明天 with the right time.

The reminder job runs with a controllable clock, as tests/server/events/test_jobs.py drives it,
at fixed moments in 2033 that no other test uses; the text is read from the psychologist's
synced inbox.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from server.events import jobs
from tests.helpers import Session, login
from tests.server.replication.support import assert_ok, iso

pytestmark = pytest.mark.usefixtures("database")

BEIJING = ZoneInfo("Asia/Shanghai")


def beijing(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BEIJING).astimezone(UTC)


async def _scheduled(psy: Session, starts: datetime) -> str:
    session_id = str(uuid.uuid4())
    fields = {
        "psychologist_id": psy.user_id,
        "starts_at": iso(starts),
        "ends_at": iso(starts + timedelta(minutes=50)),
        "status": "scheduled",
        "client_ref": "来访者-11",
    }
    assert_ok(await psy.push_one("psych_sessions", session_id, fields))
    return session_id


async def _reminder_texts(psy: Session, session_id: str) -> list[str]:
    await psy.pull_all()
    return [
        f"{c['fields']['title']} {c['fields']['body']}"
        for (collection, _), c in psy.seen.items()
        if collection == "notifications"
        and not c["deleted"]
        and c["fields"].get("type") == "psych_reminder"
        and c["fields"].get("url") == f"#/psych/{session_id}"
    ]


def _says_today(text: str, local: datetime) -> bool:
    return "今天" in text or f"{local.month}月{local.day}日" in text


@pytest.mark.parametrize(
    ("day", "lead"),
    [
        (10, timedelta(minutes=65)),  # the reported case: "明天" for a session an hour away
        (11, timedelta(hours=3)),
        (12, timedelta(minutes=50)),  # the 1-hour reminder
    ],
    ids=["65 minutes", "3 hours", "50 minutes"],
)
async def test_a_reminder_for_a_session_later_today_never_says_tomorrow(
    client: Any, day: int, lead: timedelta
) -> None:
    """A session at 10:00 Beijing time; the job runs `lead` before: the reminder names today
    (今天 or the date) and 10:00, and not 明天."""
    psy = await login(client, "psy.b")
    starts = beijing(2033, 3, day, 10)
    session_id = await _scheduled(psy, starts)
    await jobs.send_reminders(starts - lead)
    [text] = await _reminder_texts(psy, session_id)
    assert "明天" not in text, text
    assert "10:00" in text, text
    assert _says_today(text, starts.astimezone(BEIJING)), text


async def test_a_session_late_today_in_beijing_is_today_even_when_utc_says_otherwise(
    client: Any,
) -> None:
    """At 00:30 Beijing (still yesterday in UTC) a session at 23:00 the same Beijing day is
    today, not tomorrow."""
    psy = await login(client, "psy.b")
    starts = beijing(2033, 3, 14, 23)
    session_id = await _scheduled(psy, starts)
    await jobs.send_reminders(beijing(2033, 3, 14, 0, 30))
    [text] = await _reminder_texts(psy, session_id)
    assert "明天" not in text and "23:00" in text, text
    assert _says_today(text, starts.astimezone(BEIJING)), text


async def test_a_reminder_for_tomorrow_morning_says_tomorrow_with_the_time(client: Any) -> None:
    """At 20:00 Beijing a session at 07:30 the next morning (the same UTC day): 明天 07:30."""
    psy = await login(client, "psy.b")
    starts = beijing(2033, 3, 17, 7, 30)
    session_id = await _scheduled(psy, starts)
    await jobs.send_reminders(beijing(2033, 3, 16, 20))
    [text] = await _reminder_texts(psy, session_id)
    assert "明天" in text and "07:30" in text, text
    assert "今天" not in text, text
