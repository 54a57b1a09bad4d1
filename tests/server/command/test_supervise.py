"""督办: the overdue list, chase and escalate (permission-checked, audited, with notices)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from server.dispatch.jobs import check_deadlines
from server.replication.tables import AuditEntry, LifecycleFact
from tests.helpers import COMMUNITY_A, STREET_A
from tests.server.replication.support import (
    as_user,
    assert_error,
    assert_ok,
    new_order,
    pull_new,
)

pytestmark = pytest.mark.usefixtures("database")


async def overdue_order(client: Any) -> str:
    """An order of community A made overdue by the deadline job (run an hour past arrive_by)."""
    admin = await as_user(client, "admin.a")
    order_id = str(uuid.uuid4())
    fields = new_order()
    assert_ok(await admin.push_one("dispatch_orders", order_id, fields))
    arrive_by = datetime.fromisoformat(fields["arrive_by"].replace("Z", "+00:00"))
    await check_deadlines(arrive_by + timedelta(minutes=1))
    return order_id


async def test_the_overdue_list_chase_and_escalate(client: Any) -> None:
    order_id = await overdue_order(client)
    street = await as_user(client, "street.a")
    listed = await street.get("/api/command/overdue", params={"org_unit_id": str(STREET_A)})
    assert listed.status_code == 200, listed.text
    items = {i["id"]: i for i in listed.json()["items"]}
    assert order_id in items
    assert items[order_id]["escalation_level"] == "community"
    assert items[order_id]["next_level"] == "street"
    assert items[order_id]["overdue"] is True

    dept = await as_user(client, "dept.housing")
    await pull_new(dept)
    response = await street.post(f"/api/command/orders/{order_id}/chase")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["notified"] >= 1
    assert body["last_chased_at"]
    # the department's inbox holds the chase
    changes = await pull_new(dept)
    notices = [c for (coll, _), c in changes.items() if coll == "notifications"]
    assert any(
        n["fields"]["type"] == "dispatch_chase" and order_id in n["fields"]["url"] for n in notices
    )
    # once per ten minutes
    assert_error(await street.post(f"/api/command/orders/{order_id}/chase"), 409, "chased_recently")

    response = await street.post(f"/api/command/orders/{order_id}/escalate")
    assert response.status_code == 200, response.text
    assert response.json() == {
        "order_id": order_id,
        "escalation_level": "street",
        "next_level": "district",
    }
    district = await as_user(client, "district")
    response = await district.post(f"/api/command/orders/{order_id}/escalate")
    assert response.json()["escalation_level"] == "district"
    assert_error(
        await district.post(f"/api/command/orders/{order_id}/escalate"), 409, "already_at_top"
    )

    # audited: who chased and who escalated, as audit rows and lifecycle facts
    audit = await AuditEntry.select().where(AuditEntry.record_id == uuid.UUID(order_id))
    by_field = {(a["field"], str(a["user_id"])) for a in audit}
    assert ("last_chased_at", street.user_id) in by_field
    assert ("escalation_level", street.user_id) in by_field
    assert ("escalation_level", district.user_id) in by_field
    facts = (
        await LifecycleFact.select()
        .where(
            LifecycleFact.record_id == uuid.UUID(order_id),
            LifecycleFact.field == "escalation_level",
        )
        .order_by(LifecycleFact._meta.primary_key)
    )
    assert [(f["from_value"], f["to_value"]) for f in facts] == [
        (None, "community"),
        ("community", "street"),
        ("street", "district"),
    ]


async def test_who_may_supervise(client: Any) -> None:
    order_id = await overdue_order(client)
    for user in ("gw.a1", "dept.housing", "admin.b"):
        session = await as_user(client, user)
        assert_error(await session.post(f"/api/command/orders/{order_id}/chase"), 403, "forbidden")
        assert_error(
            await session.post(f"/api/command/orders/{order_id}/escalate"), 403, "forbidden"
        )
    admin = await as_user(client, "admin.a")
    assert (await admin.post(f"/api/command/orders/{order_id}/escalate")).status_code == 200
    missing = uuid.uuid4()
    assert_error(await admin.post(f"/api/command/orders/{missing}/chase"), 404, "not_found")
    # not an id: no such route (the envelope all the same)
    assert_error(await admin.post("/api/command/orders/not-a-uuid/chase"), 404)
    other = await as_user(client, "admin.b")
    assert_error(
        await other.get("/api/command/overdue", params={"org_unit_id": str(COMMUNITY_A)}),
        403,
        "forbidden",
    )


async def test_a_resolved_order_is_not_chased(client: Any) -> None:
    admin = await as_user(client, "admin.a")
    dept = await as_user(client, "dept.housing")
    order_id = str(uuid.uuid4())
    assert_ok(await admin.push_one("dispatch_orders", order_id, new_order()))
    for version, status in enumerate(("acknowledged",), start=1):
        assert_ok(
            await dept.push_one(
                "dispatch_orders", order_id, {"status": status}, base_version=version
            )
        )
    arrival = {
        "at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "leader_level": "section",
        "location": {"lat": 22.78, "lng": 113.93},
    }
    assert_ok(
        await dept.push_one(
            "dispatch_orders", order_id, {"status": "arrived", "arrival": arrival}, base_version=2
        )
    )
    result = await dept.push_one(
        "dispatch_orders", order_id, {"status": "resolved"}, base_version=4
    )
    assert result["status"] == "applied", result
    assert_error(await admin.post(f"/api/command/orders/{order_id}/chase"), 409, "order_closed")
