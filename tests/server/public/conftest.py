"""Shared by the residents' door tests: public counters start afresh for every test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

STATION_A = "GM.GUANGMING.C01.S1"


@pytest.fixture(autouse=True)
async def _fresh_public_counters(request: pytest.FixtureRequest) -> AsyncIterator[None]:
    yield
    if "database" in request.fixturenames:
        from server.public.tables import PublicThrottle

        await PublicThrottle.delete(force=True)


def appeal(**fields: Any) -> dict[str, Any]:
    return {
        "station_code": STATION_A,
        "service_type": "dispute",
        "title": "楼道堆放杂物",
        "description": "三楼楼道长期堆放杂物，存在消防隐患。",
        **fields,
    }
