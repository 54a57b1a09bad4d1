"""The `volunteers` section of `GET /api/command/stats`: volunteers registered and active,
reports made and accepted, points, awarded and paid, by month and community — computed in SQL
on both engines.  The shared database holds other tests' volunteers, so the test measures the
difference its own actions make over a window around now."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.helpers import COMMUNITY_A, STREET_A
from tests.server.replication.support import as_user, assert_error, record_of
from tests.server.volunteers.support import (
    accept,
    award_body,
    new_volunteer,
    room_for,
    submit_offline_report,
)

pytestmark = pytest.mark.usefixtures("database")


def window() -> dict[str, str]:
    now = datetime.now(UTC)
    stamp = "%Y-%m-%dT%H:%M:%SZ"
    return {
        "from": (now - timedelta(days=1)).strftime(stamp),
        "to": (now + timedelta(days=1)).strftime(stamp),
    }


async def section(client: Any, unit: Any = STREET_A, user: str = "street.a") -> dict[str, Any]:
    session = await as_user(client, user)
    response = await session.get(
        "/api/command/stats", params={"org_unit_id": str(unit), **window()}
    )
    assert response.status_code == 200, response.text
    figures: dict[str, Any] = response.json()["volunteers"]
    return figures


def community_row(figures: dict[str, Any]) -> dict[str, Any]:
    return next(
        (r for r in figures["by_community"] if r["community_id"] == str(COMMUNITY_A)),
        {"reports_made": 0, "reports_accepted": 0, "points": 0, "awarded_fen": 0, "paid_fen": 0},
    )


async def test_the_section_counts_what_volunteers_did(client: Any) -> None:
    before = await section(client)
    volunteer = await new_volunteer(client)
    accepted = await submit_offline_report(volunteer)
    await submit_offline_report(volunteer)
    gw = await as_user(client, "gw.a1")
    seen = await record_of(gw, "reports", accepted)
    assert seen is not None
    await accept(gw, accepted, seen["version"])
    admin = await as_user(client, "admin.a")
    await room_for(client, 600)
    made = await admin.post(
        "/api/incentives/awards", json=award_body(volunteer.user_id, accepted, 600)
    )
    assert made.status_code == 201
    batch = await admin.post(
        "/api/incentives/batches",
        json={"org_unit_id": str(COMMUNITY_A), "award_ids": [made.json()["id"]]},
    )
    street = await as_user(client, "street.a")
    batch_id = batch.json()["id"]
    assert (await street.post(f"/api/incentives/batches/{batch_id}/approve")).status_code == 200
    assert (await street.get(f"/api/incentives/batches/{batch_id}/export.xlsx")).status_code == 200
    assert (await street.post(f"/api/incentives/batches/{batch_id}/paid")).status_code == 200

    after = await section(client)
    mine_now = await record_of(volunteer, "reports", accepted)
    assert mine_now is not None
    points = mine_now["fields"]["points"]
    assert after["registered"] == before["registered"] + 1
    assert after["active"] == before["active"] + 1
    assert after["reports_made"] == before["reports_made"] + 2
    assert after["reports_accepted"] == before["reports_accepted"] + 1
    assert after["points"] == before["points"] + points
    assert after["awarded_fen"] == before["awarded_fen"] + 600
    assert after["paid_fen"] == before["paid_fen"] + 600
    # the breakdowns add up to the totals
    for figure in ("reports_made", "reports_accepted", "points", "awarded_fen", "paid_fen"):
        assert sum(m[figure] for m in after["by_month"]) == after[figure]
        assert sum(c[figure] for c in after["by_community"]) == after[figure]
    this_month = datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")
    assert this_month in {m["month"] for m in after["by_month"]}
    row, row_before = community_row(after), community_row(before)
    assert row["reports_made"] == row_before["reports_made"] + 2
    assert row["paid_fen"] == row_before["paid_fen"] + 600
    # a community admin sees their community's section; the same figures there
    mine = await section(client, COMMUNITY_A, "admin.a")
    assert mine["reports_made"] == row["reports_made"]


async def test_the_section_is_scoped_with_the_rest(client: Any) -> None:
    admin_b = await as_user(client, "admin.b")
    response = await admin_b.get(
        "/api/command/stats", params={"org_unit_id": str(COMMUNITY_A), **window()}
    )
    assert_error(response, 403)
