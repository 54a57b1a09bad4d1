"""GET /api/sync/pull over HTTP (SYNC_PROTOCOL.md "Pull")."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import pytest

from tests.helpers import COMMUNITY_A, COMMUNITY_B, login
from tests.server.replication.support import (
    as_user,
    assert_error,
    assert_ok,
    assert_rejected,
    caught_up,
    create,
    create_dispute,
    new_session,
    pull_new,
    record_of,
)

pytestmark = pytest.mark.usefixtures("database")


async def test_pull_response_shape(client: Any) -> None:
    gw = await as_user(client, "gw.a1")
    response = await gw.get("/api/sync/pull", params={"limit": 5})
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"server_time", "cursor", "has_more", "reset", "changes", "evict"}
    datetime.fromisoformat(body["server_time"].replace("Z", "+00:00"))
    assert isinstance(body["cursor"], str) and body["cursor"]
    assert body["reset"] is False and body["evict"] == []
    assert 0 < len(body["changes"]) <= 5 and body["has_more"] is True
    for change in body["changes"]:
        assert set(change) == {"collection", "record_id", "version", "deleted", "fields"}
        assert change["fields"]["id"] == change["record_id"]
        assert change["fields"]["version"] == change["version"]


async def test_the_directory_is_pulled_from_the_beginning(client: Any) -> None:
    session = await login(client, "dept.housing")
    changes = await session.pull_all(limit=1000)
    collections = {c["collection"] for c in changes}
    assert {"org_units", "users"} <= collections
    community = session.seen[("org_units", str(COMMUNITY_A))]
    assert community["fields"]["kind"] == "community"
    users = [c["fields"] for c in changes if c["collection"] == "users"]
    assert {u["username"] for u in users} >= {"gw.a1", "district"}
    for user in users:
        assert not {"password_hash", "password", "active", "scope_epoch"} & set(user)


async def test_a_record_comes_once_per_page_at_its_latest_version(client: Any) -> None:
    gw = await caught_up(await as_user(client, "gw.a1"))
    record_id = await create_dispute(gw)
    for version in (1, 2, 3):
        assert_ok(
            await gw.push_one(
                "disputes", record_id, {"title": f"v{version + 1}"}, base_version=version
            )
        )
    changes = await pull_new(gw)  # asserts no duplicates within a page
    change = changes[("disputes", record_id)]
    assert change["version"] == 4 and change["fields"]["title"] == "v4"
    assert await pull_new(gw) == {}, "nothing new: an empty page"


async def test_tombstones_are_pulled_as_deleted(client: Any) -> None:
    gw, admin = await as_user(client, "gw.a1"), await as_user(client, "admin.a")
    record_id = await create_dispute(gw)
    assert await record_of(admin, "disputes", record_id) is not None
    assert_ok(await admin.push_one("disputes", record_id, op="delete", base_version=1))
    change = (await pull_new(admin))[("disputes", record_id)]
    assert change["deleted"] is True and change["version"] == 2
    assert set(change["fields"]) <= {"id", "version", "created_at", "updated_at", "created_by"}


async def test_paging_with_small_limits_returns_everything_once(client: Any) -> None:
    gw = await caught_up(await login(client, "gw.a2"))
    writer = await as_user(client, "gw.a1")
    created = [await create_dispute(writer) for _ in range(7)]
    seen: list[str] = []
    pages = 0
    while True:
        response = await gw.get("/api/sync/pull", params={"limit": 2, "cursor": gw.cursor})
        assert response.status_code == 200, response.text
        body = response.json()
        assert len(body["changes"]) <= 2
        seen += [c["record_id"] for c in body["changes"] if c["collection"] == "disputes"]
        gw.cursor = body["cursor"]
        pages += 1
        if not body["has_more"]:
            break
    assert pages >= 4
    assert sorted(seen) == sorted(created)
    # the last cursor is at the head
    body = (await gw.get("/api/sync/pull", params={"cursor": gw.cursor})).json()
    assert body["changes"] == [] and body["has_more"] is False


async def test_a_cursor_is_reusable(client: Any) -> None:
    """Pulling twice from the same cursor (a lost response) gives the same records."""
    gw = await caught_up(await login(client, "gw.a2"))
    start = gw.cursor
    record_id = await create_dispute(await as_user(client, "gw.a1"))
    first = (await gw.get("/api/sync/pull", params={"cursor": start})).json()
    again = (await gw.get("/api/sync/pull", params={"cursor": start})).json()
    assert [c["record_id"] for c in first["changes"]] == [c["record_id"] for c in again["changes"]]
    assert record_id in {c["record_id"] for c in first["changes"]}


@pytest.mark.parametrize("limit", ["0", "1001", "-1", "ten", "1.5", ""])
async def test_limit_out_of_bounds_is_400(client: Any, limit: str) -> None:
    gw = await as_user(client, "gw.a1")
    assert_error(await gw.get("/api/sync/pull", params={"limit": limit}), 400, "invalid_request")


@pytest.mark.parametrize("limit", [1, 1000])
async def test_limit_bounds_are_inclusive(client: Any, limit: int) -> None:
    gw = await as_user(client, "gw.a1")
    response = await gw.get("/api/sync/pull", params={"limit": limit})
    assert response.status_code == 200 and len(response.json()["changes"]) <= limit


@pytest.mark.parametrize(
    "cursor",
    ["garbage", "!!!", "W10", "WyJhIiwxLCJ4IixudWxsXQ", "x" * 401, "WzEsMV0", "bnVsbA"],
    ids=["text", "symbols", "empty-list", "wrong-types", "too-long", "short-list", "null"],
)
async def test_a_bad_cursor_is_400(client: Any, cursor: str) -> None:
    gw = await as_user(client, "gw.a1")
    response = await gw.get("/api/sync/pull", params={"cursor": cursor})
    assert_error(response, 400, "invalid_request")


async def test_pull_needs_a_token(client: Any) -> None:
    assert_error(await client.get("/api/sync/pull"), 401)


# ---- what each user is sent -------------------------------------------------------------------


async def test_psych_notes_are_absent_for_everyone_but_the_psychologist(client: Any) -> None:
    psy = await as_user(client, "psy.a")
    session_id = await create(
        psy, "psych_sessions", new_session(psy.user_id, notes="来访者自述失眠", risk_level="low")
    )
    own = await record_of(psy, "psych_sessions", session_id)
    assert own is not None and own["fields"]["notes"] == "来访者自述失眠"
    for username in ("admin.a", "street.a", "district"):
        admin = await as_user(client, username)
        if username == "admin.a":
            seen = await record_of(admin, "psych_sessions", session_id)
        else:  # supervisors read sessions online only (COMMAND_API.md)
            response = await admin.get(f"/api/records/psych_sessions/{session_id}")
            assert response.status_code == 200, response.text
            seen = response.json()
        assert seen is not None, username
        assert "notes" not in seen["fields"], username
        assert seen["fields"]["risk_level"] == "low"
    for username in ("gw.a1", "lawyer.a", "psy.b", "admin.b", "gw.b1", "dept.housing"):
        assert (
            await record_of(await as_user(client, username), "psych_sessions", session_id) is None
        )


async def test_a_referral_is_seen_by_its_author_without_notes(client: Any) -> None:
    gw, psy = await as_user(client, "gw.a1"), await as_user(client, "psy.a")
    referral = new_session(psy.user_id, status="requested")
    session_id = await create(gw, "psych_sessions", referral)
    assert_ok(await psy.push_one("psych_sessions", session_id, {"notes": "保密"}, base_version=1))
    seen = await record_of(gw, "psych_sessions", session_id)
    assert seen is not None and seen["version"] == 2 and "notes" not in seen["fields"]
    mine = await record_of(psy, "psych_sessions", session_id)
    assert mine is not None and mine["fields"]["notes"] == "保密"


async def test_moving_a_user_evicts_what_left_their_scope_and_resets(client: Any) -> None:
    district = await as_user(client, "district")
    username = f"gw.move.{uuid.uuid4().hex[:8]}"
    created = await district.post(
        "/api/admin/users",
        json={
            "username": username,
            "password": "doorstep-demo",
            "display_name": "调动的网格员",
            "role": "grid_worker",
            "org_unit_id": str(COMMUNITY_A),
        },
    )
    assert created.status_code == 201, created.text
    user_id = created.json()["id"]
    mover = await caught_up(await login(client, username))
    in_a = await create_dispute(mover)
    in_b = await create_dispute(await as_user(client, "gw.b1"), community=COMMUNITY_B)
    assert await record_of(mover, "disputes", in_a) is not None
    assert await record_of(mover, "disputes", in_b) is None
    old_cursor = mover.cursor

    moved = await district.client.patch(
        f"/api/admin/users/{user_id}",
        json={"org_unit_id": str(COMMUNITY_B)},
        headers=district.headers,
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["org_unit_id"] == str(COMMUNITY_B)

    response = await mover.get("/api/sync/pull", params={"cursor": old_cursor, "limit": 1000})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["reset"] is True
    assert {"collection": "disputes", "record_id": in_a} in body["evict"]
    assert not any(e["record_id"] == in_b for e in body["evict"])
    # the pages after the reset are the new scope's store, from the beginning
    mover.cursor = old_cursor
    mover.seen.clear()
    changes = await mover.pull_all(limit=1000)
    ids = {c["record_id"] for c in changes}
    assert in_b in ids and in_a not in ids
    assert ("disputes", in_a) not in mover.seen
    # a mutation queued on the evicted record is answered forbidden
    assert_rejected(
        await mover.push_one("disputes", in_a, {"title": "离开后"}, base_version=1), "forbidden"
    )
    # and from now on the cursor is stable again
    again = (await mover.get("/api/sync/pull", params={"cursor": mover.cursor})).json()
    assert again["reset"] is False and again["evict"] == []


async def test_no_gap_under_interleaved_pushes(client: Any) -> None:
    """Whatever is committed between pulls reaches a puller that pages with tiny limits, and
    every record ends at its latest version."""
    reader = await caught_up(await login(client, "admin.a"))
    writers = [await as_user(client, u) for u in ("gw.a1", "gw.a2", "admin.a")]
    latest: dict[str, int] = {}
    versions: dict[str, int] = {}
    for round_ in range(6):
        for index, writer in enumerate(writers):
            if round_ % 2 == 0 or not latest:
                record_id = await create_dispute(writer)
                latest[record_id] = 1
            else:
                record_id = sorted(latest)[(round_ + index) % len(latest)]
                result = await writer.push_one(
                    "disputes",
                    record_id,
                    {"address": f"r{round_}w{index}"},
                    base_version=latest[record_id],
                )
                latest[record_id] = assert_ok(result)
            # one small page between writes: the reader is always mid-way
            response = await reader.get(
                "/api/sync/pull", params={"limit": 1, "cursor": reader.cursor}
            )
            body = response.json()
            for change in body["changes"]:
                versions[change["record_id"]] = change["version"]
            reader.cursor = body["cursor"]
    for change in (await pull_new(reader, limit=3)).values():
        versions[change["record_id"]] = change["version"]
    assert {k: versions.get(k) for k in latest} == latest
