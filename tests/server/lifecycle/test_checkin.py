"""Check-in evidence (issue 8 "Lifecycle rules", COMMAND_API.md "Lifecycle facts").

A department's device writes `arrival.at` itself, so a check-in backdated by two hours at 0,0 was
accepted and the order never became overdue.  The server keeps the reported time and also
records its receipt time and the distance from the dispute's location (else the community's
centre); a check-in reported more than 15 minutes before its receipt, or more than 500 m away,
is flagged "待核实" until the community verifies it, and the overdue job then uses the receipt.

The names of the new fields are not decided yet: every test reads and writes them through
`CHECKIN` and `evidence` below (proposed names), so renaming is a one-place edit.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from server.events import jobs
from tests.helpers import COMMUNITY_A, HOUSING, new_dispute
from tests.server.replication.support import (
    as_user,
    assert_ok,
    assert_rejected,
    iso,
    record_of,
)

pytestmark = pytest.mark.usefixtures("database")

# ---- the one place that names the check-in evidence (proposed names) -------------------------
CHECKIN = {
    "received_at": "arrival_received_at",  # server: when the check-in reached the server
    "distance_m": "arrival_distance_m",  # server: metres from the dispute / community centre
    "status": "checkin_status",  # state: ok | pending_verification → verified
}
CHECKIN_OK, CHECKIN_FLAGGED, CHECKIN_VERIFIED = "ok", "pending_verification", "verified"


@dataclass
class Evidence:
    reported_at: datetime
    received_at: datetime
    distance_m: float | None
    flagged: bool
    verified: bool


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def evidence(fields: dict[str, Any]) -> Evidence:
    """The check-in evidence of an order as pulled (fails clearly while it is missing)."""
    missing = [name for name in CHECKIN.values() if name not in fields]
    assert not missing, f"the order shows no check-in evidence {missing}: {sorted(fields)}"
    distance = fields[CHECKIN["distance_m"]]
    return Evidence(
        reported_at=_time(fields["arrival"]["at"]),
        received_at=_time(fields[CHECKIN["received_at"]]),
        distance_m=None if distance is None else float(distance),
        flagged=fields[CHECKIN["status"]] == CHECKIN_FLAGGED,
        verified=fields[CHECKIN["status"]] == CHECKIN_VERIFIED,
    )


def verification() -> dict[str, Any]:
    """The fields a community admin pushes to verify a flagged check-in."""
    return {CHECKIN["status"]: CHECKIN_VERIFIED}


# ---- places (the demo org file: community A's centre is 22.783, 113.909) ---------------------
CENTRE_A = {"lat": 22.783, "lng": 113.909, "accuracy_m": 10}
NEAR_CENTRE_A = {"lat": 22.7835, "lng": 113.909, "accuracy_m": 10}  # ~56 m north
SITE = {"lat": 22.790, "lng": 113.909, "accuracy_m": 10}  # ~778 m north of the centre
NULL_ISLAND = {"lat": 0.0, "lng": 0.0, "accuracy_m": 10}


async def _order(client: Any, *, site: dict[str, Any] | None, arrive_in: timedelta) -> str:
    """An order issued by admin.a (about a dispute at `site` if given), acknowledged by the
    housing department: version 2, ready for the check-in."""
    admin, dept = await as_user(client, "admin.a"), await as_user(client, "dept.housing")
    now = datetime.now(UTC)
    fields: dict[str, Any] = {
        "community_id": str(COMMUNITY_A),
        "department_id": str(HOUSING),
        "summary": "需到场处置",
        "required_leader_level": "section",
        "arrive_by": iso(now + arrive_in),
        "resolve_by": iso(now + arrive_in + timedelta(days=1)),
        "status": "issued",
    }
    if site is not None:
        dispute_id = str(uuid.uuid4())
        gw = await as_user(client, "gw.a1")
        assert_ok(await gw.push_one("disputes", dispute_id, new_dispute(location=site)))
        fields["dispute_id"] = dispute_id
    order_id = str(uuid.uuid4())
    assert_ok(await admin.push_one("dispatch_orders", order_id, fields))
    assert_ok(
        await dept.push_one("dispatch_orders", order_id, {"status": "acknowledged"}, base_version=1)
    )
    return order_id


async def _check_in(
    client: Any, order_id: str, *, reported: datetime, where: dict[str, Any]
) -> tuple[dict[str, Any], datetime, datetime]:
    """The department checks in (version 3); returns the order as admin.a pulls it and the
    bounds of the moment the server received the check-in."""
    dept = await as_user(client, "dept.housing")
    arrival = {
        "at": iso(reported),
        "leader_name": "李科长",
        "leader_level": "section",
        "location": where,
    }
    before = datetime.now(UTC) - timedelta(seconds=2)
    assert_ok(
        await dept.push_one(
            "dispatch_orders", order_id, {"status": "arrived", "arrival": arrival}, base_version=2
        )
    )
    after = datetime.now(UTC) + timedelta(seconds=2)
    record = await record_of(await as_user(client, "admin.a"), "dispatch_orders", order_id)
    assert record is not None
    return record["fields"], before, after


async def test_an_honest_checkin_keeps_the_reported_time_and_shows_receipt_and_distance(
    client: Any,
) -> None:
    """A check-in a few minutes old near the community centre (the order has no dispute): the
    order shows the reported time unchanged, the receipt time and the distance; not flagged."""
    order_id = await _order(client, site=None, arrive_in=timedelta(hours=2))
    reported = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=3)
    fields, before, after = await _check_in(
        client, order_id, reported=reported, where=NEAR_CENTRE_A
    )
    seen = evidence(fields)
    assert seen.reported_at == reported
    assert before <= seen.received_at <= after
    assert seen.distance_m is not None and 30 <= seen.distance_m <= 90, seen
    assert not seen.flagged and not seen.verified


async def test_the_distance_is_from_the_disputes_location(client: Any) -> None:
    """An order about a dispute measures from the dispute's location, not the community's."""
    order_id = await _order(client, site=SITE, arrive_in=timedelta(hours=2))
    fields, _, _ = await _check_in(client, order_id, reported=datetime.now(UTC), where=SITE)
    seen = evidence(fields)
    assert seen.distance_m is not None and seen.distance_m <= 20, seen
    assert not seen.flagged


async def test_a_checkin_more_than_500_m_away_is_flagged(client: Any) -> None:
    """Checking in at the community centre for a dispute ~780 m away: flagged 待核实."""
    order_id = await _order(client, site=SITE, arrive_in=timedelta(hours=2))
    fields, _, _ = await _check_in(client, order_id, reported=datetime.now(UTC), where=CENTRE_A)
    seen = evidence(fields)
    assert seen.distance_m is not None and 700 <= seen.distance_m <= 860, seen
    assert seen.flagged


async def test_a_checkin_backdated_two_hours_at_null_island_is_flagged(client: Any) -> None:
    """The probe's case: reported two hours before receipt at lat/lng 0,0."""
    order_id = await _order(client, site=SITE, arrive_in=timedelta(hours=2))
    reported = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    fields, before, _ = await _check_in(client, order_id, reported=reported, where=NULL_ISLAND)
    seen = evidence(fields)
    assert seen.reported_at == reported  # kept as reported, shown side by side
    assert seen.received_at >= before
    assert seen.distance_m is not None and seen.distance_m > 1_000_000
    assert seen.flagged


async def test_a_checkin_reported_20_minutes_before_receipt_is_flagged(client: Any) -> None:
    order_id = await _order(client, site=SITE, arrive_in=timedelta(hours=2))
    reported = datetime.now(UTC) - timedelta(minutes=20)
    fields, _, _ = await _check_in(client, order_id, reported=reported, where=SITE)
    assert evidence(fields).flagged


async def test_a_checkin_10_minutes_old_on_site_is_not_flagged(client: Any) -> None:
    """Within 15 minutes and 500 m: a phone that was briefly offline is not suspected."""
    order_id = await _order(client, site=SITE, arrive_in=timedelta(hours=2))
    reported = datetime.now(UTC) - timedelta(minutes=10)
    fields, _, _ = await _check_in(client, order_id, reported=reported, where=SITE)
    assert not evidence(fields).flagged


async def test_the_community_verifies_a_flagged_checkin(client: Any) -> None:
    """Only the issuing community verifies a flag; the department cannot clear its own."""
    order_id = await _order(client, site=SITE, arrive_in=timedelta(hours=2))
    reported = datetime.now(UTC) - timedelta(hours=1)
    fields, _, _ = await _check_in(client, order_id, reported=reported, where=CENTRE_A)
    assert evidence(fields).flagged
    dept = await as_user(client, "dept.housing")
    assert_rejected(
        await dept.push_one("dispatch_orders", order_id, verification(), base_version=3),
        "forbidden",
    )
    gw = await as_user(client, "gw.a1")
    assert_rejected(
        await gw.push_one("dispatch_orders", order_id, verification(), base_version=3), "forbidden"
    )
    admin = await as_user(client, "admin.a")
    assert_ok(await admin.push_one("dispatch_orders", order_id, verification(), base_version=3))
    record = await record_of(admin, "dispatch_orders", order_id)
    assert record is not None
    seen = evidence(record["fields"])
    assert seen.verified and not seen.flagged


async def test_a_device_cannot_write_the_evidence_itself(client: Any) -> None:
    """Receipt time and distance are the server's: a device writing them is `read_only_field`."""
    order_id = await _order(client, site=SITE, arrive_in=timedelta(hours=2))
    dept = await as_user(client, "dept.housing")
    for name, value in (
        (CHECKIN["received_at"], iso(datetime.now(UTC))),
        (CHECKIN["distance_m"], 0),
    ):
        assert_rejected(
            await dept.push_one("dispatch_orders", order_id, {name: value}, base_version=2),
            "read_only_field",
        )


async def test_a_backdated_checkin_does_not_escape_overdue(client: Any) -> None:
    """The check-in arrives after `arrive_by` but claims a time before it: while flagged, the
    deadline job judges by the receipt time, so the order becomes overdue."""
    order_id = await _order(client, site=SITE, arrive_in=timedelta(seconds=3))
    admin = await as_user(client, "admin.a")
    order = await record_of(admin, "dispatch_orders", order_id)
    assert order is not None
    arrive_by = _time(order["fields"]["arrive_by"])
    # the check-in must really reach the server after arrive_by (a short wait, no assertion)
    wait = (arrive_by + timedelta(seconds=1) - datetime.now(UTC)).total_seconds()
    await asyncio.sleep(max(wait, 0))
    fields, _, _ = await _check_in(
        client, order_id, reported=arrive_by - timedelta(minutes=20), where=SITE
    )
    await jobs.check_deadlines(datetime.now(UTC) + timedelta(minutes=1))
    record = await record_of(admin, "dispatch_orders", order_id)
    assert record is not None
    assert record["fields"].get("overdue") is True, record["fields"]
    assert evidence(fields).flagged
