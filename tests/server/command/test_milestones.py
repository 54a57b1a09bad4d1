"""A dispute's server-only milestones (server/disputes/milestones.py): kept by the push path in
the transaction of the fact, visit or order that moves them; never on a device; no push can
write them.  The figures read them (test_stats.py holds the figures to known answers)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from server.disputes.milestones import refresh
from server.disputes.tables import Dispute
from server.replication.tables import LifecycleFact
from tests.helpers import new_dispute
from tests.server.replication.support import (
    as_user,
    assert_ok,
    assert_rejected,
    new_order,
    pull_new,
)

pytestmark = pytest.mark.usefixtures("database")

MILESTONES = ("first_action_at", "resolved_at", "rated_at", "first_rated_at", "last_rating")


async def milestones(dispute_id: str) -> dict[str, Any]:
    row = (
        await Dispute.select(*(getattr(Dispute, name) for name in MILESTONES), Dispute.created_at)
        .where(Dispute.id == uuid.UUID(dispute_id))
        .first()
    )
    assert row is not None
    return row


async def fact_time(dispute_id: str, field: str, to_value: str) -> Any:
    row = (
        await LifecycleFact.select(LifecycleFact.at)
        .where(
            LifecycleFact.record_id == uuid.UUID(dispute_id),
            LifecycleFact.field == field,
            LifecycleFact.to_value == to_value,
        )
        .first()
    )
    assert row is not None
    return row["at"]


async def created_at(table: Any, record_id: str) -> Any:
    row = await table.select(table.created_at).where(table.id == uuid.UUID(record_id)).first()
    assert row is not None
    return row["created_at"]


async def test_a_dispute_and_its_visit_in_one_push(client: Any) -> None:
    """The batch creates the dispute and its first visit together: the visit is its first
    action (the milestones are kept after the flush has written both)."""
    from server.disputes.tables import Visit

    gw = await as_user(client, "gw.a1")
    dispute_id, visit_id = str(uuid.uuid4()), str(uuid.uuid4())
    response = await gw.push(
        gw.mutation("disputes", dispute_id, new_dispute(title="里程碑 同批")),
        gw.mutation("visits", visit_id, {"dispute_id": dispute_id, "kind": "visit"}),
    )
    assert response.status_code == 200, response.text
    for result in response.json()["results"]:
        assert_ok(result)
    row = await milestones(dispute_id)
    assert row["first_action_at"] == await created_at(Visit, visit_id)
    assert (row["resolved_at"], row["rated_at"], row["last_rating"]) == (None, None, None)


async def test_milestones_follow_the_dispute_s_life(client: Any) -> None:
    from server.dispatch.tables import DispatchOrder
    from server.disputes.tables import Visit

    gw = await as_user(client, "gw.a1")
    admin = await as_user(client, "admin.a")
    dispute_id = str(uuid.uuid4())
    assert_ok(await gw.push_one("disputes", dispute_id, new_dispute(title="里程碑")))
    # registered and nothing done yet: no milestone (an appeal's create moves nothing)
    assert await milestones(dispute_id) == {
        **dict.fromkeys(MILESTONES),
        "created_at": await created_at(Dispute, dispute_id),
    }

    # a visit, then an order citing it, then the status leaves `registered`
    visit_id = str(uuid.uuid4())
    assert_ok(await gw.push_one("visits", visit_id, {"dispute_id": dispute_id, "kind": "visit"}))
    visited = await created_at(Visit, visit_id)
    assert (await milestones(dispute_id))["first_action_at"] == visited
    order_id = str(uuid.uuid4())
    assert_ok(
        await admin.push_one("dispatch_orders", order_id, {**new_order(), "dispute_id": dispute_id})
    )
    ordered = await created_at(DispatchOrder, order_id)
    assert_ok(await gw.push_one("disputes", dispute_id, {"status": "mediating"}, base_version=1))
    mediating = await fact_time(dispute_id, "status", "mediating")
    assert (await milestones(dispute_id))["first_action_at"] == visited

    # the visit was made in error: the next action becomes the first
    assert_ok(await admin.push_one("visits", visit_id, op="delete", base_version=1))
    assert (await milestones(dispute_id))["first_action_at"] == min(ordered, mediating)

    # resolved, rated, reopened by an unsatisfied callback, resolved and rated again: the
    # first resolution stays; the rating is the last
    assert_ok(await gw.push_one("disputes", dispute_id, {"status": "resolved"}, base_version=2))
    resolved = await fact_time(dispute_id, "status", "resolved")
    assert_ok(
        await admin.push_one("disputes", dispute_id, {"satisfaction": "satisfied"}, base_version=3)
    )
    row = await milestones(dispute_id)
    assert row["resolved_at"] == resolved
    assert row["last_rating"] == "satisfied"
    assert row["rated_at"] == await fact_time(dispute_id, "satisfaction", "satisfied")
    assert_ok(await gw.push_one("disputes", dispute_id, {"status": "mediating"}, base_version=4))
    assert_ok(await gw.push_one("disputes", dispute_id, {"status": "resolved"}, base_version=5))
    assert_ok(
        await admin.push_one(
            "disputes", dispute_id, {"satisfaction": "basically_satisfied"}, base_version=6
        )
    )
    row = await milestones(dispute_id)
    assert row["resolved_at"] == resolved
    assert row["last_rating"] == "basically_satisfied"
    # rated twice: the first rating's time stays, the last is the second's
    assert row["first_rated_at"] == await fact_time(dispute_id, "satisfaction", "satisfied")
    assert row["rated_at"] == await fact_time(dispute_id, "satisfaction", "basically_satisfied")
    assert row["first_rated_at"] < row["rated_at"]

    # recomputing from the source rows (what the migration did for old disputes) agrees
    await refresh([dispute_id])
    assert await milestones(dispute_id) == row


async def test_milestones_never_travel_and_no_push_writes_them(client: Any) -> None:
    gw = await as_user(client, "gw.a1")
    dispute_id = str(uuid.uuid4())
    assert_ok(await gw.push_one("disputes", dispute_id, new_dispute(title="里程碑 不外传")))
    assert_ok(await gw.push_one("disputes", dispute_id, {"status": "mediating"}, base_version=1))
    before = await milestones(dispute_id)
    assert before["first_action_at"] is not None

    # on a device: the pull carries none of them
    change = (await pull_new(gw))[("disputes", dispute_id)]
    assert not set(MILESTONES) & set(change["fields"])
    # online read of the whole record: none either
    response = await gw.get(f"/api/records/disputes/{dispute_id}")
    assert response.status_code == 200, response.text
    assert not set(MILESTONES) & set(response.json().get("fields", response.json()))

    # a push naming one is refused and changes nothing
    for name, value in (("resolved_at", "2020-01-01T00:00:00.000Z"), ("last_rating", "satisfied")):
        result = await gw.push_one("disputes", dispute_id, {name: value}, base_version=2)
        assert_rejected(result, "unknown_field")
    assert await milestones(dispute_id) == before
