"""Scheduled jobs with a controllable clock (issue 5, rules 4-6): deadlines → overdue → chase →
escalation, the unacknowledged-red re-send, and psych reminders without clinical content."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from server.dispatch import jobs as dispatch_jobs
from server.psych import jobs as psych_jobs
from server.warnings import jobs as warning_jobs
from tests.helpers import COMMUNITY_A, HOUSING, ROOM_A, login, new_dispute
from tests.server.events.test_rules import inbox, iso, sessions, warnings_about

pytestmark = pytest.mark.usefixtures("database")


async def _order(admin: Any, arrive_in: timedelta, resolve_in: timedelta) -> tuple[str, datetime]:
    order_id = str(uuid.uuid4())
    now = datetime.now(UTC)
    result = await admin.push_one(
        "dispatch_orders",
        order_id,
        {
            "community_id": str(COMMUNITY_A),
            "department_id": str(HOUSING),
            "summary": "需到场处置",
            "required_leader_level": "section",
            "arrive_by": iso(now + arrive_in),
            "resolve_by": iso(now + resolve_in),
            "status": "issued",
        },
    )
    assert result["status"] == "applied", result
    return order_id, now


async def _order_fields(session: Any, order_id: str) -> dict[str, Any]:
    await session.pull_all()
    fields: dict[str, Any] = session.seen[("dispatch_orders", order_id)]["fields"]
    return fields


async def test_overdue_order_is_chased_then_escalated_street_then_district(client: Any) -> None:
    who = await sessions(client, "admin.a", "dept.housing", "street.a", "district")
    order_id, now = await _order(who["admin.a"], timedelta(minutes=30), timedelta(days=1))

    assert await dispatch_jobs.check_deadlines(now + timedelta(minutes=10)) == 0  # not late yet
    assert not (await _order_fields(who["admin.a"], order_id)).get("overdue")

    late = now + timedelta(minutes=31)
    assert await dispatch_jobs.check_deadlines(late) >= 1
    fields = await _order_fields(who["admin.a"], order_id)
    assert fields["overdue"] is True and fields["escalation_level"] == "community"
    chase = [n for n in await inbox(who["dept.housing"]) if n["type"] == "dispatch_chase"]
    assert any(n["url"] == f"#/orders/{order_id}" for n in chase)
    warned = await warnings_about(who["admin.a"], order_id)
    assert [w["source"] for w in warned] == ["dispatch_overdue"]

    # running again at the same moment changes nothing (a retried beat task)
    await dispatch_jobs.check_deadlines(late)
    assert len(await warnings_about(who["admin.a"], order_id)) == 1

    await dispatch_jobs.check_deadlines(
        late + dispatch_jobs.ESCALATION_GRACE + timedelta(minutes=1)
    )
    assert (await _order_fields(who["admin.a"], order_id))["escalation_level"] == "street"
    street = [n for n in await inbox(who["street.a"]) if n["type"] == "dispatch_escalated"]
    assert any(n["url"] == f"#/orders/{order_id}" for n in street)

    await dispatch_jobs.check_deadlines(
        late + 2 * dispatch_jobs.ESCALATION_GRACE + timedelta(minutes=1)
    )
    assert (await _order_fields(who["admin.a"], order_id))["escalation_level"] == "district"
    district = [n for n in await inbox(who["district"]) if n["type"] == "dispatch_escalated"]
    assert any(n["url"] == f"#/orders/{order_id}" for n in district)


async def test_an_order_checked_in_on_time_is_not_overdue_for_arrival(client: Any) -> None:
    who = await sessions(client, "admin.a", "dept.housing")
    order_id, now = await _order(who["admin.a"], timedelta(minutes=30), timedelta(days=1))
    dept = who["dept.housing"]
    await dept.push_one("dispatch_orders", order_id, {"status": "acknowledged"}, base_version=1)
    await dept.push_one(
        "dispatch_orders",
        order_id,
        {
            "status": "arrived",
            "arrival": {"at": iso(now), "leader_name": "李科长", "leader_level": "section"},
        },
        base_version=2,
    )
    await dispatch_jobs.check_deadlines(now + timedelta(hours=2))
    assert not (await _order_fields(who["admin.a"], order_id)).get("overdue")
    # ... but past resolve_by without resolution it is
    await dispatch_jobs.check_deadlines(now + timedelta(days=1, minutes=1))
    assert (await _order_fields(who["admin.a"], order_id))["overdue"] is True


async def test_unacknowledged_red_warning_is_resent_one_level_up(client: Any) -> None:
    who = await sessions(client, "gw.a1", "street.a", "admin.a")
    dispute_id = str(uuid.uuid4())
    await who["gw.a1"].push_one("disputes", dispute_id, new_dispute(risk_level="red"))
    warning = (await warnings_about(who["admin.a"], dispute_id))[0]
    created = datetime.fromisoformat(warning["created_at"].replace("Z", "+00:00"))

    await warning_jobs.resend_red_warnings(created + timedelta(minutes=20))
    # this warning's resend only: other tests' backdated red warnings may be resent here
    assert not [
        n
        for n in await inbox(who["street.a"])
        if n["title"] == "红色预警30分钟未确认" and n["url"].endswith(warning["id"])
    ]
    await warning_jobs.resend_red_warnings(created + timedelta(minutes=31))
    resent = [n for n in await inbox(who["street.a"]) if n["title"] == "红色预警30分钟未确认"]
    assert any(n["url"].endswith(warning["id"]) for n in resent)
    # only once
    await warning_jobs.resend_red_warnings(created + timedelta(minutes=90))
    again = [n for n in await inbox(who["street.a"]) if n["url"].endswith(warning["id"])]
    assert len([n for n in again if n["title"] == "红色预警30分钟未确认"]) == 1


async def test_an_acknowledged_red_warning_is_not_resent(client: Any) -> None:
    who = await sessions(client, "gw.a1", "street.a", "admin.a")
    dispute_id = str(uuid.uuid4())
    await who["gw.a1"].push_one("disputes", dispute_id, new_dispute(risk_level="red"))
    warning = (await warnings_about(who["admin.a"], dispute_id))[0]
    ack = await who["admin.a"].push_one(
        "warnings",
        warning["id"],
        {"acknowledged_by": [who["admin.a"].user_id]},
        base_version=warning["version"],
    )
    assert ack["status"] in ("applied", "merged"), ack
    created = datetime.fromisoformat(warning["created_at"].replace("Z", "+00:00"))
    await warning_jobs.resend_red_warnings(created + timedelta(minutes=31))
    assert not [
        n
        for n in await inbox(who["street.a"])
        if n["url"].endswith(warning["id"]) and "未确认" in n["title"]
    ]


async def test_psych_reminders_24h_and_1h_before(client: Any) -> None:
    psy = await login(client, "psy.b")
    await psy.pull_all()
    session_id = str(uuid.uuid4())
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(
        days=5, minutes=uuid.uuid4().int % 900
    )
    created = await psy.push_one(
        "psych_sessions",
        session_id,
        {
            "psychologist_id": psy.user_id,
            "starts_at": iso(start),
            "ends_at": iso(start + timedelta(minutes=50)),
            "status": "scheduled",
            "notes": "PRIVATE-NOTE",
        },
    )
    assert created["status"] == "applied", created

    def reminders(notes: list[dict[str, Any]]) -> list[str]:
        return [
            n["title"]
            for n in notes
            if n["url"] == f"#/psych/{session_id}" and n["type"] == "psych_reminder"
        ]

    await psych_jobs.send_reminders(start - timedelta(hours=30))
    assert reminders(await inbox(psy)) == []
    await psych_jobs.send_reminders(start - timedelta(hours=23))
    await psych_jobs.send_reminders(start - timedelta(hours=22))  # not twice
    # 23 h ahead is 明天 or 今天 depending on the Beijing time of day (test_reminders.py pins it)
    day = psych_jobs.day_word(start, start - timedelta(hours=23))
    assert day in ("今天", "明天")
    assert reminders(await inbox(psy)) == [f"{day}有一次心理咨询"]
    await psych_jobs.send_reminders(start - timedelta(minutes=50))
    notes = await inbox(psy)
    assert sorted(reminders(notes)) == sorted([f"{day}有一次心理咨询", "1小时后有一次心理咨询"])
    assert "PRIVATE" not in str(notes)
    _ = ROOM_A


async def test_a_red_warning_closed_with_its_deleted_dispute_is_not_resent(client: Any) -> None:
    """The dispute is deleted (by an admin) before anyone acknowledged its red warning: the
    warning closed with it, so there is nothing to chase one level up."""
    who = await sessions(client, "gw.a1", "street.a", "admin.a")
    dispute_id = str(uuid.uuid4())
    await who["gw.a1"].push_one("disputes", dispute_id, new_dispute(risk_level="red"))
    warning = (await warnings_about(who["admin.a"], dispute_id))[0]
    gone = await who["admin.a"].push_one("disputes", dispute_id, op="delete", base_version=1)
    assert gone["status"] == "applied", gone
    created = datetime.fromisoformat(warning["created_at"].replace("Z", "+00:00"))
    await warning_jobs.resend_red_warnings(created + timedelta(minutes=31))
    assert not [
        n
        for n in await inbox(who["street.a"])
        if n["url"].endswith(warning["id"]) and "未确认" in n["title"]
    ]
