"""Issue 15, figures: `GET /api/command/stats` has an `agreements` section (signed, submitted,
confirmed, rejected, median days from signing to ruling, by community), computed in SQL from
the lifecycle facts on both engines.  Community B is this test's own: no other agreement test
writes there, so its figures are known exactly."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import openpyxl
import pytest

from server.org.importer import unit_id
from tests.helpers import COMMUNITY_B
from tests.server.agreements.support import (
    PARTIES,
    dispute_with_parties,
    draft_fields,
    signatures_for,
)
from tests.server.replication.support import as_user, iso, record_of

pytestmark = pytest.mark.usefixtures("database")
ROOM_B = unit_id("GM.GONGMING.C01.JC")


async def _push(session: Any, agreement_id: str, fields: dict[str, Any]) -> dict[str, Any]:
    record = await record_of(session, "agreements", agreement_id)
    result: dict[str, Any] = await session.push_one(
        "agreements", agreement_id, fields, base_version=record["version"] if record else 0
    )
    assert result["status"] in ("applied", "merged"), result
    return (await record_of(session, "agreements", agreement_id)) or {}


async def _to_the_court(admin: Any, dispute_id: str, ruling: dict[str, Any], days: int) -> None:
    agreement_id = str(uuid.uuid4())
    signatures = await signatures_for(admin, [p["name"] for p in PARTIES])
    await _push(admin, agreement_id, draft_fields(dispute_id, admin.user_id, signatures=signatures))
    signed = await _push(admin, agreement_id, {"status": "signed"})
    signed_at = datetime.fromisoformat(signed["fields"]["signed_at"].replace("Z", "+00:00"))
    await _push(
        admin,
        agreement_id,
        {
            "status": "submitted",
            "court_name": "光明区人民法院",
            "confirmation_room_id": str(ROOM_B),
        },
    )
    await _push(admin, agreement_id, {**ruling, "ruled_at": iso(signed_at + timedelta(days=days))})


async def test_the_agreements_section(client: Any) -> None:
    grid_worker = await as_user(client, "gw.b1")
    admin = await as_user(client, "admin.b")
    dispute_id = await dispute_with_parties(grid_worker, community=COMMUNITY_B)
    start = datetime.now(UTC) - timedelta(minutes=5)
    await _to_the_court(
        admin, dispute_id, {"status": "confirmed", "court_case_number": "(2026)粤0311民特1号"}, 10
    )
    await _to_the_court(
        admin, dispute_id, {"status": "rejected", "rejection_reason": "不符合受理条件"}, 20
    )
    response = await admin.get(
        "/api/command/stats",
        params={
            "org_unit_id": str(COMMUNITY_B),
            "from": iso(start),
            "to": iso(datetime.now(UTC) + timedelta(minutes=5)),
        },
    )
    assert response.status_code == 200, response.text
    figures = response.json()["agreements"]
    assert {k: figures[k] for k in ("signed", "submitted", "confirmed", "rejected")} == {
        "signed": 2,
        "submitted": 2,
        "confirmed": 1,
        "rejected": 1,
    }
    assert figures["median_days_signing_to_ruling"] == pytest.approx(15.0, abs=0.1)
    assert figures["by_community"] == [
        {
            "org_unit_id": str(COMMUNITY_B),
            "name": "公明示范社区01（演示）",
            "signed": 2,
            "submitted": 2,
            "confirmed": 1,
            "rejected": 1,
        }
    ]
    # a window before any of it counts nothing
    earlier = await admin.get(
        "/api/command/stats",
        params={
            "org_unit_id": str(COMMUNITY_B),
            "from": iso(start - timedelta(days=2)),
            "to": iso(start - timedelta(days=1)),
        },
    )
    assert earlier.json()["agreements"]["signed"] == 0
    assert earlier.json()["agreements"]["median_days_signing_to_ruling"] is None

    # ... and the monthly report's 汇总 sheet carries the same figures
    month = (datetime.now(UTC) + timedelta(hours=8)).strftime("%Y-%m")
    report = await admin.get(
        "/api/command/reports/monthly.xlsx",
        params={"org_unit_id": str(COMMUNITY_B), "month": month},
    )
    assert report.status_code == 200, report.text
    book = openpyxl.load_workbook(io.BytesIO(report.content), read_only=True)
    by_code = {row[3]: row[1] for row in book["汇总"].iter_rows(values_only=True) if row[3]}
    assert by_code["agreements.signed"] == 2
    assert by_code["agreements.confirmed"] == 1
    assert by_code["agreements.median_days_signing_to_ruling"] == pytest.approx(15.0, abs=0.1)
