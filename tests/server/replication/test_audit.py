"""The audit trail over HTTP: every field change with who, device, old and new; admins only,
within their scope; a psychologist's notes never appear."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.helpers import ROOM_A, login, new_dispute

pytestmark = pytest.mark.usefixtures("database")


async def test_admin_reads_who_changed_what(client: Any) -> None:
    worker = await login(client, "gw.a1")
    dispute_id = str(uuid.uuid4())
    await worker.push_one("disputes", dispute_id, new_dispute(title="初次登记"))
    await worker.push_one("disputes", dispute_id, {"title": "改后的标题"}, base_version=1)
    admin = await login(client, "admin.a")
    answer = await admin.get(f"/api/admin/audit/disputes/{dispute_id}")
    assert answer.status_code == 200, answer.text
    titles = [e for e in answer.json() if e["field"] == "title"]
    assert [(e["version"], e["old"], e["new"]) for e in titles] == [
        (1, None, "初次登记"),
        (2, "初次登记", "改后的标题"),
    ]
    assert {e["user_id"] for e in titles} == {worker.user_id}
    assert {e["device_id"] for e in titles} == {worker.device_id}
    assert all(e["mutation_id"] and e["at"].endswith("Z") for e in titles)
    # a value that looks like JSON stays the string it was
    await worker.push_one("disputes", dispute_id, {"title": "2026"}, base_version=2)
    last = (await admin.get(f"/api/admin/audit/disputes/{dispute_id}")).json()[-1]
    assert (last["field"], last["new"]) == ("title", "2026")


async def test_outside_scope_and_non_admins_are_refused(client: Any) -> None:
    worker = await login(client, "gw.a1")
    dispute_id = str(uuid.uuid4())
    await worker.push_one("disputes", dispute_id, new_dispute())
    other = await login(client, "admin.b")
    assert (await other.get(f"/api/admin/audit/disputes/{dispute_id}")).status_code == 404
    assert (await worker.get(f"/api/admin/audit/disputes/{dispute_id}")).status_code == 403
    street = await login(client, "street.a")
    assert (await street.get(f"/api/admin/audit/disputes/{dispute_id}")).status_code == 200
    bad = await street.get(f"/api/admin/audit/nothing/{dispute_id}")
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_request"


async def test_psych_notes_never_appear_in_the_trail(client: Any) -> None:
    psy = await login(client, "psy.a")
    session_id = str(uuid.uuid4())
    start = datetime.now(UTC) + timedelta(days=60, minutes=uuid.uuid4().int % 600)
    await psy.push_one(
        "psych_sessions",
        session_id,
        {
            "psychologist_id": psy.user_id,
            "room_id": str(ROOM_A),
            "starts_at": start.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "ends_at": (start + timedelta(minutes=50)).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "status": "scheduled",
            "notes": "CONFIDENTIAL-NOTE",
        },
    )
    admin = await login(client, "admin.a")
    answer = await admin.get(f"/api/admin/audit/psych_sessions/{session_id}")
    assert answer.status_code == 200, answer.text
    assert {e["field"] for e in answer.json()} >= {"status", "starts_at"}
    assert "CONFIDENTIAL" not in answer.text and "notes" not in {e["field"] for e in answer.json()}
