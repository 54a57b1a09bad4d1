"""Bad input against the new lifecycle fields: each is refused with a clear error and changes
nothing (the rules themselves are pinned by the other files of this folder)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from server.dispatch.checkin import distance_m, flagged
from tests.server.replication.support import (
    as_user,
    assert_ok,
    assert_rejected,
    create_dispute,
    new_order,
    new_warning,
    random_uuid,
    record_of,
)

pytestmark = pytest.mark.usefixtures("database")


@pytest.mark.parametrize(
    ("value", "code"),
    [("verified", "forbidden"), ("ok", "forbidden"), ("pending_verification", "forbidden")],
)
async def test_the_community_cannot_set_a_checkin_status_nobody_flagged(
    client: Any, value: str, code: str
) -> None:
    """Without a flagged check-in there is nothing to verify (nor may anyone flag or clear a
    check-in by hand): refused, and the order keeps no check-in status."""
    admin = await as_user(client, "admin.a")
    order_id = random_uuid()
    assert_ok(await admin.push_one("dispatch_orders", order_id, new_order()))
    result = await admin.push_one(
        "dispatch_orders", order_id, {"checkin_status": value}, base_version=1
    )
    assert_rejected(result, code)
    record = await record_of(admin, "dispatch_orders", order_id)
    assert record is not None and record["version"] == 1
    assert "checkin_status" not in record["fields"] or record["fields"]["checkin_status"] is None


async def test_an_unknown_checkin_status_is_validation(client: Any) -> None:
    admin = await as_user(client, "admin.a")
    order_id = random_uuid()
    assert_ok(await admin.push_one("dispatch_orders", order_id, new_order()))
    result = await admin.push_one(
        "dispatch_orders", order_id, {"checkin_status": "trust_me"}, base_version=1
    )
    assert_rejected(result, "validation")


@pytest.mark.parametrize(
    ("name", "value"), [("status", "closed"), ("closed_at", "2033-01-01T00:00:00Z")]
)
async def test_a_device_cannot_close_a_warning_itself(client: Any, name: str, value: str) -> None:
    """Warnings close with their subject, written by the server: `read_only_field`."""
    admin = await as_user(client, "admin.a")
    warning_id = random_uuid()
    assert_ok(await admin.push_one("warnings", warning_id, new_warning()))
    assert_rejected(
        await admin.push_one("warnings", warning_id, {name: value}, base_version=1),
        "read_only_field",
    )


async def test_a_dispute_cannot_be_created_with_a_malformed_grid(client: Any) -> None:
    gw = await as_user(client, "gw.a1")
    dispute_id = await create_dispute(gw)
    assert_rejected(
        await gw.push_one("disputes", dispute_id, {"grid_id": "not-a-uuid"}, base_version=1),
        "validation",
    )


def test_distance_and_flag_rules() -> None:
    """The geodesic distance (about 111 km per degree of latitude) and the flag's bounds."""
    one_degree = distance_m({"lat": 0, "lng": 0}, {"lat": 1, "lng": 0})
    assert one_degree is not None and 110_000 < one_degree < 111_500
    assert distance_m(None, {"lat": 0, "lng": 0}) is None
    assert distance_m({"lat": "x", "lng": 0}, {"lat": 0, "lng": 0}) is None
    now = datetime(2033, 1, 1, tzinfo=UTC)
    assert not flagged(now, now, 500)
    assert flagged(now, now, 501)
    assert flagged(None, now, 0) and flagged(now, now, None)
