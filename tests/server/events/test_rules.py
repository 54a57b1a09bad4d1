"""Graded warnings, their routing, and dispatch-order notices, over HTTP (issue 5, rules 1, 4, 5).

Every notice lands in the recipient's synced inbox (`notifications`), whether or not the user has
a push subscription; these tests read the inboxes by pulling as each user.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.helpers import COMMUNITY_A, HOUSING, ROOM_A, Session, login, new_dispute

pytestmark = pytest.mark.usefixtures("database")


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


async def inbox(session: Session) -> list[dict[str, Any]]:
    await session.pull_all()
    return [
        c["fields"]
        for (collection, _), c in session.seen.items()
        if collection == "notifications" and not c["deleted"]
    ]


async def warnings_about(session: Session, subject_id: str) -> list[dict[str, Any]]:
    await session.pull_all()
    return [
        c["fields"]
        for (collection, _), c in session.seen.items()
        if collection == "warnings" and c["fields"].get("subject_id") == subject_id
    ]


async def sessions(client: Any, *names: str) -> dict[str, Session]:
    out = {}
    for name in names:
        out[name] = await login(client, name)
        await out[name].pull_all()  # start each inbox from now
    return out


async def test_red_dispute_raises_a_warning_routed_up_to_the_district(client: Any) -> None:
    who = await sessions(
        client, "gw.a1", "gw.a2", "admin.a", "street.a", "district", "admin.b", "gw.b1"
    )
    dispute_id = str(uuid.uuid4())
    created = await who["gw.a1"].push_one("disputes", dispute_id, new_dispute(risk_level="yellow"))
    assert created["status"] == "applied"
    raised = await who["gw.a1"].push_one(
        "disputes", dispute_id, {"risk_level": "red"}, base_version=1
    )
    assert raised["status"] == "applied", raised

    warnings = await warnings_about(who["admin.a"], dispute_id)
    assert len(warnings) == 1
    assert warnings[0]["level"] == "red" and warnings[0]["source"] == "dispute"
    assert warnings[0]["org_unit_id"] == str(COMMUNITY_A)

    for name in ("admin.a", "gw.a2", "street.a", "district"):
        notes = [n for n in await inbox(who[name]) if n["type"] == "warning"]
        assert any(n["title"] == "红色预警" for n in notes), name
    for name in ("admin.b", "gw.b1"):
        assert not await warnings_about(who[name], dispute_id), name
        assert not [n for n in await inbox(who[name]) if n["url"].endswith(dispute_id)]


async def test_orange_reaches_the_street_but_not_the_district(client: Any) -> None:
    who = await sessions(client, "gw.a1", "street.a", "district")
    dispute_id = str(uuid.uuid4())
    await who["gw.a1"].push_one("disputes", dispute_id, new_dispute(risk_level="orange"))
    street = [n for n in await inbox(who["street.a"]) if n["type"] == "warning"]
    district = [n for n in await inbox(who["district"]) if n["type"] == "warning"]
    assert any(n["title"] == "橙色预警" for n in street)
    assert not any(n["title"] == "橙色预警" for n in district)


async def test_lowering_or_staying_blue_raises_nothing(client: Any) -> None:
    who = await sessions(client, "gw.a1", "admin.a")
    dispute_id = str(uuid.uuid4())
    await who["gw.a1"].push_one("disputes", dispute_id, new_dispute(risk_level="blue"))
    await who["gw.a1"].push_one("disputes", dispute_id, {"title": "改名"}, base_version=1)
    assert not await warnings_about(who["admin.a"], dispute_id)


async def test_psych_high_risk_warning_never_reveals_notes(client: Any) -> None:
    who = await sessions(client, "psy.a", "admin.a")
    session_id = str(uuid.uuid4())
    start = datetime.now(UTC) + timedelta(days=3, hours=uuid.uuid4().int % 500)
    result = await who["psy.a"].push_one(
        "psych_sessions",
        session_id,
        {
            "psychologist_id": who["psy.a"].user_id,
            "room_id": str(ROOM_A),
            "starts_at": iso(start),
            "ends_at": iso(start + timedelta(minutes=50)),
            "status": "scheduled",
            "notes": "SECRET-CLINICAL-DETAIL",
            "risk_level": "critical",
        },
    )
    assert result["status"] == "applied", result
    warnings = await warnings_about(who["admin.a"], session_id)
    assert len(warnings) == 1 and warnings[0]["level"] == "red"
    assert "SECRET" not in str(warnings) and "SECRET" not in str(await inbox(who["admin.a"]))


async def test_order_lifecycle_notifies_each_side(client: Any) -> None:
    who = await sessions(client, "admin.a", "dept.housing")
    order_id = str(uuid.uuid4())
    now = datetime.now(UTC)
    issued = await who["admin.a"].push_one(
        "dispatch_orders",
        order_id,
        {
            "community_id": str(COMMUNITY_A),
            "department_id": str(HOUSING),
            "summary": "楼道漏水，需住建部门到场",
            "required_leader_level": "section",
            "arrive_by": iso(now + timedelta(hours=2)),
            "resolve_by": iso(now + timedelta(days=2)),
            "status": "issued",
        },
    )
    assert issued["status"] == "applied", issued
    dept_inbox = [n for n in await inbox(who["dept.housing"]) if n["url"] == f"#/orders/{order_id}"]
    assert [n["title"] for n in dept_inbox] == ["新派单：请按时到场"]

    ack = await who["dept.housing"].push_one(
        "dispatch_orders", order_id, {"status": "acknowledged"}, base_version=1
    )
    assert ack["status"] == "applied", ack
    arrive = await who["dept.housing"].push_one(
        "dispatch_orders",
        order_id,
        {
            "status": "arrived",
            "arrival": {"at": iso(now), "leader_name": "王科员", "leader_level": "staff"},
        },
        base_version=2,
    )
    assert arrive["status"] == "applied", arrive
    admin_titles = [
        n["title"] for n in await inbox(who["admin.a"]) if n["url"] == f"#/orders/{order_id}"
    ]
    assert "派单已签收" in admin_titles
    assert "派单已到场" in admin_titles
    assert "到场领导级别低于要求" in admin_titles


async def test_a_conflict_notifies_both_editors(client: Any) -> None:
    who = await sessions(client, "gw.a1", "gw.a2")
    dispute_id = str(uuid.uuid4())
    await who["gw.a1"].push_one("disputes", dispute_id, new_dispute())
    first = await who["gw.a1"].push_one(
        "disputes", dispute_id, {"risk_level": "yellow"}, base_version=1
    )
    second = await who["gw.a2"].push_one(
        "disputes", dispute_id, {"risk_level": "orange"}, base_version=1
    )
    assert first["status"] == "applied"
    assert second["status"] == "conflict", second
    conflict_id = second["conflict_ids"][0]
    for name in ("gw.a1", "gw.a2"):
        assert any(n["url"] == f"#/conflicts/{conflict_id}" for n in await inbox(who[name])), name
