"""Initial states (issue 8 "Lifecycle rules", COMMAND_API.md "Initial states"): every state field
gets its initial state on create, a create naming another state is `invalid_transition`, and a
psych session that gets `scheduled` implicitly still takes part in the overlap check.

Written before the rule exists, over HTTP only, so the tests hold whatever the server's layout.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.helpers import new_dispute
from tests.server.replication.support import (
    as_user,
    assert_rejected,
    create,
    create_dispute,
    new_order,
    new_session,
    record_of,
)

pytestmark = pytest.mark.usefixtures("database")


def without_status(fields: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in fields.items() if k != "status"}


async def assert_never_created(client: Any, collection: str, record_id: str) -> None:
    """Nothing was written under that id: the district admin's edit of it is `not_found`."""
    district = await as_user(client, "district")
    probe = await district.push_one(collection, record_id, {"summary": "x"}, base_version=1)
    assert_rejected(probe, "not_found")


# ---- disputes --------------------------------------------------------------------------------


async def test_a_dispute_created_without_status_is_registered(client: Any) -> None:
    """A dispute created without `status` is `registered`, and everyone who pulls it sees so."""
    gw = await as_user(client, "gw.a1")
    record_id = await create(gw, "disputes", without_status(new_dispute()))
    for username in ("gw.a1", "admin.a"):
        record = await record_of(await as_user(client, username), "disputes", record_id)
        assert record is not None
        assert record["fields"].get("status") == "registered", record["fields"]


async def test_a_dispute_created_as_registered_is_applied(client: Any) -> None:
    """Naming the initial state explicitly stays allowed."""
    gw = await as_user(client, "gw.a1")
    record_id = await create_dispute(gw, status="registered")
    record = await record_of(gw, "disputes", record_id)
    assert record is not None and record["fields"]["status"] == "registered"


@pytest.mark.parametrize("status", ["mediating", "escalated", "resolved", "closed", "withdrawn"])
async def test_a_dispute_created_in_a_later_state_is_invalid_transition(
    client: Any, status: str
) -> None:
    """A create naming any state but `registered` is rejected `invalid_transition` (a device once
    created a dispute directly as `closed`)."""
    gw = await as_user(client, "gw.a1")
    record_id = str(uuid.uuid4())
    details = assert_rejected(
        await gw.push_one("disputes", record_id, new_dispute(status=status)), "invalid_transition"
    )
    assert details.get("field") == "status", details
    district = await as_user(client, "district")
    assert_rejected(
        await district.push_one("disputes", record_id, {"title": "x"}, base_version=1),
        "not_found",
    )


# ---- dispatch orders -------------------------------------------------------------------------


async def test_an_order_created_without_status_is_issued(client: Any) -> None:
    """A dispatch order created without `status` is `issued` (for the issuer and the department)."""
    admin = await as_user(client, "admin.a")
    order_id = await create(admin, "dispatch_orders", without_status(new_order()))
    for username in ("admin.a", "dept.housing"):
        record = await record_of(await as_user(client, username), "dispatch_orders", order_id)
        assert record is not None
        assert record["fields"].get("status") == "issued", record["fields"]


@pytest.mark.parametrize("status", ["acknowledged", "arrived", "resolved", "verified", "reopened"])
async def test_an_order_created_in_a_later_state_is_invalid_transition(
    client: Any, status: str
) -> None:
    """A create naming any state but `issued` is rejected `invalid_transition`."""
    admin = await as_user(client, "admin.a")
    order_id = str(uuid.uuid4())
    fields = {**new_order(), "status": status}
    assert_rejected(await admin.push_one("dispatch_orders", order_id, fields), "invalid_transition")
    await assert_never_created(client, "dispatch_orders", order_id)


# ---- psych sessions --------------------------------------------------------------------------


async def test_a_referral_created_without_status_is_requested(client: Any) -> None:
    """A session created by someone other than its psychologist (a grid worker's referral)
    without `status` is `requested`."""
    gw, psy = await as_user(client, "gw.a1"), await as_user(client, "psy.a")
    session_id = await create(gw, "psych_sessions", without_status(new_session(psy.user_id)))
    record = await record_of(psy, "psych_sessions", session_id)
    assert record is not None
    assert record["fields"].get("status") == "requested", record["fields"]


async def test_a_session_its_psychologist_creates_without_status_is_scheduled(
    client: Any,
) -> None:
    """A session created by its own psychologist without `status` is `scheduled`."""
    psy = await as_user(client, "psy.a")
    session_id = await create(psy, "psych_sessions", without_status(new_session(psy.user_id)))
    record = await record_of(psy, "psych_sessions", session_id)
    assert record is not None
    assert record["fields"].get("status") == "scheduled", record["fields"]


@pytest.mark.parametrize("status", ["completed", "cancelled", "no_show"])
async def test_a_session_created_in_a_later_state_is_invalid_transition(
    client: Any, status: str
) -> None:
    """Even its psychologist cannot create a session as completed / cancelled / no-show."""
    psy = await as_user(client, "psy.a")
    fields = new_session(psy.user_id, status=status)
    assert_rejected(await psy.push_one("psych_sessions", None, fields), "invalid_transition")


async def test_a_referral_cannot_be_created_scheduled(client: Any) -> None:
    """Only the psychologist schedules: a grid worker creating a `scheduled` session is rejected
    (`invalid_transition`, or `forbidden` as today)."""
    gw, psy = await as_user(client, "gw.a1"), await as_user(client, "psy.a")
    result = await gw.push_one("psych_sessions", None, new_session(psy.user_id))
    assert result["status"] == "rejected", result
    assert result["error"]["code"] in ("invalid_transition", "forbidden"), result


async def test_an_implicitly_scheduled_session_blocks_an_overlapping_booking(
    client: Any,
) -> None:
    """A session created by its psychologist without `status` takes part in the overlap check:
    a second booking over it is `slot_taken` (today the second one was applied on top)."""
    psy = await as_user(client, "psy.a")
    first = without_status(new_session(psy.user_id))
    first_id = await create(psy, "psych_sessions", first)
    clash = {**first, "status": "scheduled", "client_ref": "来访者-08"}
    details = assert_rejected(await psy.push_one("psych_sessions", None, clash), "slot_taken")
    assert details["conflicting_session_id"] == first_id
    # an implicit second booking is caught the same way
    details = assert_rejected(
        await psy.push_one("psych_sessions", None, without_status(clash)), "slot_taken"
    )
    assert details["conflicting_session_id"] == first_id


async def test_an_implicit_referral_blocks_the_room(client: Any) -> None:
    """A referral created without `status` (so `requested`) blocks its psychologist's time."""
    gw, psy = await as_user(client, "gw.a1"), await as_user(client, "psy.a")
    referral = without_status(new_session(psy.user_id))
    referral_id = await create(gw, "psych_sessions", referral)
    details = assert_rejected(
        await psy.push_one("psych_sessions", None, {**referral, "status": "scheduled"}),
        "slot_taken",
    )
    assert details["conflicting_session_id"] == referral_id
