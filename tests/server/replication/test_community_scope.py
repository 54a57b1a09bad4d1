"""A record that belongs to a community must name a community, not a grid or a street."""

from __future__ import annotations

from typing import Any

import pytest

from server.org.importer import unit_id
from tests.helpers import COMMUNITY_A, STREET_A, login, new_dispute

pytestmark = pytest.mark.usefixtures("database")


@pytest.mark.parametrize("unit", [unit_id("GM.GUANGMING.C01.G1"), STREET_A])
async def test_dispute_in_a_grid_or_street_is_a_validation_error(client: Any, unit: Any) -> None:
    admin = await login(client, "district")
    result = await admin.push_one("disputes", None, new_dispute(community=unit))
    assert result["status"] == "rejected"
    assert result["error"]["code"] == "validation"
    assert result["error"]["details"]["field"] == "community_id"


async def test_dispute_in_a_community_is_accepted(client: Any) -> None:
    worker = await login(client, "gw.a1")
    result = await worker.push_one("disputes", None, new_dispute(community=COMMUNITY_A))
    assert result["status"] == "applied"


async def test_a_referral_may_cite_only_a_dispute_its_author_can_see(client: Any) -> None:
    from datetime import UTC, datetime, timedelta

    author = await login(client, "gw.a1")
    dispute = await author.push_one("disputes", None, new_dispute())
    assert dispute["status"] == "applied"
    disputes = [c for c in await author.pull_all() if c["collection"] == "disputes"]
    dispute_id = disputes[-1]["record_id"]
    psy = await login(client, "psy.b")
    start = datetime.now(UTC) + timedelta(days=40, minutes=7)

    def referral() -> dict[str, Any]:
        return {
            "psychologist_id": psy.user_id,
            "starts_at": start.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "ends_at": (start + timedelta(minutes=50)).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "status": "requested",
            "dispute_id": dispute_id,
        }

    outsider = await login(client, "gw.b1")
    refused = await outsider.push_one("psych_sessions", None, referral())
    assert refused["status"] == "rejected" and refused["error"]["code"] == "forbidden"
    allowed = await author.push_one("psych_sessions", None, referral())
    assert allowed["status"] == "applied", allowed
