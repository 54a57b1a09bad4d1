"""Lifecycle facts (COMMAND_API.md "Lifecycle facts"): each applied change of a state field or
of a spec's `fact_fields` is one `lifecycle_facts` row, written with the change; a create is a
change from null; a refused write leaves none.  And the dispute's `satisfaction` field: the
community hall records it (回访), a grid worker may not."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from server.replication.tables import LifecycleFact
from tests.helpers import COMMUNITY_A, new_dispute
from tests.server.replication.support import (
    as_user,
    assert_ok,
    assert_rejected,
    iso,
    new_order,
)

pytestmark = pytest.mark.usefixtures("database")


async def facts_of(record_id: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = (
        await LifecycleFact.select()
        .where(LifecycleFact.record_id == uuid.UUID(record_id))
        .order_by(LifecycleFact._meta.primary_key)
    )
    return rows


def summary(rows: list[dict[str, Any]]) -> list[tuple[str, str | None, str | None]]:
    return [(r["field"], r["from_value"], r["to_value"]) for r in rows]


async def test_a_dispute_s_life_is_kept_as_facts(client: Any) -> None:
    gw = await as_user(client, "gw.a1")
    admin = await as_user(client, "admin.a")
    dispute_id = str(uuid.uuid4())
    before = datetime.now(UTC) - timedelta(seconds=1)
    assert_ok(await gw.push_one("disputes", dispute_id, new_dispute(title="事实测试")))
    created = await facts_of(dispute_id)
    # a create is a change from null, of the state field and of the risk level; nothing else
    assert sorted(summary(created)) == [
        ("risk_level", None, "blue"),
        ("status", None, "registered"),
    ]
    first = created[0]
    assert first["collection"] == "disputes"
    assert str(first["by_user"]) == gw.user_id
    assert str(first["by_device"]) == gw.device_id
    assert str(first["scope_org_id"]) == str(COMMUNITY_A)
    assert first["record_version"] == 1
    assert before <= first["at"] <= datetime.now(UTC) + timedelta(seconds=1)
    assert first["record_created_at"] == first["at"]

    # a title edit is no fact; a status and a risk change are, with their from and to
    assert_ok(await gw.push_one("disputes", dispute_id, {"title": "改名"}, base_version=1))
    assert len(await facts_of(dispute_id)) == 2
    assert_ok(
        await gw.push_one(
            "disputes", dispute_id, {"status": "mediating", "risk_level": "yellow"}, base_version=2
        )
    )
    later = summary(await facts_of(dispute_id))[2:]
    assert sorted(later) == [
        ("risk_level", "blue", "yellow"),
        ("status", "registered", "mediating"),
    ]

    # the hall records the callback; a grid worker may not (and a refusal writes no fact)
    assert_ok(await gw.push_one("disputes", dispute_id, {"status": "resolved"}, base_version=3))
    assert_rejected(
        await gw.push_one("disputes", dispute_id, {"satisfaction": "satisfied"}, base_version=4),
        "forbidden",
    )
    assert len(await facts_of(dispute_id)) == 5
    assert_ok(
        await admin.push_one(
            "disputes", dispute_id, {"satisfaction": "basically_satisfied"}, base_version=4
        )
    )
    last = (await facts_of(dispute_id))[-1]
    assert (last["field"], last["from_value"], last["to_value"]) == (
        "satisfaction",
        None,
        "basically_satisfied",
    )
    assert str(last["by_user"]) == admin.user_id
    # a value not in the enum is refused like any bad value
    assert_rejected(
        await admin.push_one("disputes", dispute_id, {"satisfaction": "meh"}, base_version=5),
        "validation",
    )


async def test_a_hall_admin_of_another_community_may_not_rate(client: Any) -> None:
    gw = await as_user(client, "gw.a1")
    dispute_id = str(uuid.uuid4())
    assert_ok(await gw.push_one("disputes", dispute_id, new_dispute()))
    other = await as_user(client, "admin.b")
    result = await other.push_one(
        "disputes", dispute_id, {"satisfaction": "unsatisfied"}, base_version=1
    )
    assert result["status"] == "rejected"
    assert [f for f in await facts_of(dispute_id) if f["field"] == "satisfaction"] == []


async def test_server_writes_and_checkins_are_facts_too(client: Any) -> None:
    """An order's check-in flag is written by the server on receipt: a fact with no user."""
    admin = await as_user(client, "admin.a")
    dept = await as_user(client, "dept.housing")
    order_id = str(uuid.uuid4())
    assert_ok(await admin.push_one("dispatch_orders", order_id, new_order()))
    assert_ok(
        await dept.push_one("dispatch_orders", order_id, {"status": "acknowledged"}, base_version=1)
    )
    arrival = {
        "at": iso(datetime.now(UTC) - timedelta(hours=3)),
        "leader_name": "李科长",
        "leader_level": "section",
        "location": {"lat": 0.0, "lng": 0.0},
    }
    assert_ok(
        await dept.push_one(
            "dispatch_orders", order_id, {"status": "arrived", "arrival": arrival}, base_version=2
        )
    )
    rows = await facts_of(order_id)
    assert summary(rows) == [
        ("status", None, "issued"),
        ("status", "issued", "acknowledged"),
        ("status", "acknowledged", "arrived"),
        ("checkin_status", None, "pending_verification"),
    ]
    assert str(rows[2]["by_user"]) == dept.user_id
    assert rows[3]["by_user"] is None  # the server's own write
    assert str(rows[3]["scope_org_id"]) == str(COMMUNITY_A)
