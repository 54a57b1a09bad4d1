"""`GET /api/records/{collection}/{id}`: the whole record read online, inside scope only, and
each read of personal data in the access log (`GET /api/admin/access-log`)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.helpers import COMMUNITY_B
from tests.server.replication.support import (
    as_user,
    assert_error,
    create,
    create_dispute,
    new_consultation,
    new_session,
    table_counts,
)

pytestmark = pytest.mark.usefixtures("database")

PARTIES = [{"name": "赵六", "phone": "13600000006", "role": "applicant"}]


async def _log(session: Any, record_id: str) -> list[dict[str, Any]]:
    response = await session.get("/api/admin/access-log", params={"record_id": record_id})
    assert response.status_code == 200, response.text
    entries: list[dict[str, Any]] = response.json()["entries"]
    return entries


async def test_a_supervisor_reads_the_whole_dispute_online_and_the_read_is_logged(
    client: Any,
) -> None:
    gw = await as_user(client, "gw.a1")
    dispute = await create_dispute(gw, risk_level="blue", parties=PARTIES)
    district = await as_user(client, "district")
    response = await district.get(f"/api/records/disputes/{dispute}")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["collection"] == "disputes" and body["record_id"] == dispute
    assert body["deleted"] is False and body["version"] == 1
    assert body["fields"]["parties"] == PARTIES  # whole: the phone too
    entries = await _log(await as_user(client, "admin.a"), dispute)
    assert len(entries) == 1
    entry = entries[0]
    assert entry["user_id"] == district.user_id and entry["role"] == "district_admin"
    assert entry["collection"] == "disputes" and entry["fields"] == ["parties"]
    assert entry["device_id"] == district.device_id
    # the district admin lists the reads of their subtree without naming a record
    everything = await district.get("/api/admin/access-log", params={"limit": 1000})
    assert any(e["record_id"] == dispute for e in everything.json()["entries"])
    # admins of another community see none of it
    other = await as_user(client, "admin.b")
    listed = await other.get("/api/admin/access-log", params={"limit": 1000})
    assert not any(e["record_id"] == dispute for e in listed.json()["entries"])


async def test_a_read_without_personal_data_is_not_logged(client: Any) -> None:
    dispute = await create_dispute(await as_user(client, "gw.a1"))  # no parties
    street = await as_user(client, "street.a")
    response = await street.get(f"/api/records/disputes/{dispute}")
    assert response.status_code == 200, response.text
    assert await _log(await as_user(client, "district"), dispute) == []


async def test_consultation_client_fields_are_read_online_and_logged(client: Any) -> None:
    consultation = await create(
        await as_user(client, "lawyer.a"),
        "consultations",
        {**new_consultation(), "client_phone": "13512345678"},
    )
    street = await as_user(client, "street.a")
    body = (await street.get(f"/api/records/consultations/{consultation}")).json()
    assert body["fields"]["client_phone"] == "13512345678"
    [entry] = await _log(street, consultation)
    assert entry["fields"] == ["client_name", "client_phone"]


async def test_outside_scope_is_403_and_leaves_no_log(client: Any) -> None:
    dispute = await create_dispute(await as_user(client, "gw.a1"), parties=PARTIES)
    outsiders = [await as_user(client, u) for u in ("gw.b1", "admin.b", "dept.housing", "psy.a")]
    before = await table_counts()
    for session in outsiders:
        assert_error(await session.get(f"/api/records/disputes/{dispute}"), 403, "forbidden")
    assert await table_counts() == before
    # the access log of a record outside one's scope is refused too
    district = await as_user(client, "district")
    assert (await district.get(f"/api/records/disputes/{dispute}")).status_code == 200
    other = await as_user(client, "admin.b")
    response = await other.get("/api/admin/access-log", params={"record_id": dispute})
    assert_error(response, 403, "forbidden")


async def test_private_fields_stay_private_online(client: Any) -> None:
    psy = await as_user(client, "psy.a")
    session_id = await create(psy, "psych_sessions", new_session(psy.user_id, notes="保密"))
    admin = await as_user(client, "admin.a")
    body = (await admin.get(f"/api/records/psych_sessions/{session_id}")).json()
    assert "notes" not in body["fields"] and body["fields"]["client_ref"] == "来访者-07"
    own = (await psy.get(f"/api/records/psych_sessions/{session_id}")).json()
    assert own["fields"]["notes"] == "保密"


async def test_bad_input(client: Any) -> None:
    district = await as_user(client, "district")
    gw = await as_user(client, "gw.a1")
    assert_error(await district.get(f"/api/records/nonsense/{uuid.uuid4()}"), 404, "not_found")
    assert_error(await district.get(f"/api/records/disputes/{uuid.uuid4()}"), 404, "not_found")
    bad_id = await district.get("/api/records/disputes/not-a-uuid")
    assert 400 <= bad_id.status_code < 500
    assert_error(await district.get("/api/admin/access-log", params={"limit": 0}), 400)
    assert_error(await district.get("/api/admin/access-log", params={"limit": 5000}), 400)
    assert_error(await district.get("/api/admin/access-log", params={"record_id": "x"}), 400)
    assert_error(await gw.get("/api/admin/access-log"), 403, "forbidden")
    unauthenticated = await client.get(f"/api/records/disputes/{uuid.uuid4()}")
    assert unauthenticated.status_code == 401
    # a record of community B, read by community B's admin: fine
    in_b = await create_dispute(await as_user(client, "gw.b1"), community=COMMUNITY_B)
    ok = await (await as_user(client, "admin.b")).get(f"/api/records/disputes/{in_b}")
    assert ok.status_code == 200
