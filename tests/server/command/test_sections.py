"""The stats section registry: a domain's section appears in `/api/command/stats` under its
name, computed for the caller's window; names of the answer itself are refused."""

from __future__ import annotations

from typing import Any

import pytest

from server.command import sections, sql
from server.command.window import StatsWindow
from tests.server.command import dataset as ds
from tests.server.replication.support import as_user

pytestmark = pytest.mark.usefixtures("database")


async def visits_section(w: StatsWindow) -> dict[str, Any]:
    among, args = sql.among("v.community_id", w.communities)
    rows = await sql.fetch(
        f"SELECT COUNT(*) AS n FROM visits v WHERE v.created_at >= {{}} AND v.created_at < {{}} "
        f"AND {among}",
        w.start,
        w.end,
        *args,
    )
    return {"visits": int(rows[0]["n"]), "unit": str(w.org_unit_id)}


async def test_a_registered_section_is_answered(client: Any) -> None:
    await ds.build()
    sections.register_section("test_visits", visits_section)
    sections.register_section("test_visits", visits_section)  # again: harmless
    try:
        district = await as_user(client, "district")
        body = (
            await district.get(
                "/api/command/stats",
                params={
                    "org_unit_id": str(ds.DISTRICT),
                    "from": "2019-03-01T00:00:00Z",
                    "to": "2019-04-01T00:00:00Z",
                },
            )
        ).json()
        assert body["test_visits"] == {"visits": 1, "unit": str(ds.DISTRICT)}
        street = await as_user(client, "street.a")
        body = (
            await street.get(
                "/api/command/stats",
                params={
                    "org_unit_id": str(ds.GUANGMING),
                    "from": "2019-04-01T00:00:00Z",
                    "to": "2019-05-01T00:00:00Z",
                },
            )
        ).json()
        assert body["test_visits"]["visits"] == 0
    finally:
        sections._SECTIONS.pop("test_visits", None)


def test_names_are_checked() -> None:
    with pytest.raises(ValueError, match="figure of the stats answer"):
        sections.register_section("orders", visits_section)

    async def other(w: StatsWindow) -> int:
        return 0

    sections.register_section("test_once", visits_section)
    try:
        with pytest.raises(ValueError, match="already registered"):
            sections.register_section("test_once", other)
    finally:
        sections._SECTIONS.pop("test_once", None)
