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
