"""Supervisors' devices hold less (COMMAND_API.md, 个人信息保护法): street and district admins'
pulls carry warnings, orders, their inbox, the directory and only the orange/red or escalated
disputes of their subtree, parties reduced to a masked name and a role; never a party's phone
nor a consultation's client; a dispute that leaves that set is evicted."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from server.replication.cursor import Cursor, cursor_key, encode_cursor
from tests.helpers import COMMUNITY_A, STREET_A, login
from tests.server.replication.support import (
    as_user,
    assert_ok,
    assert_rejected,
    caught_up,
    create,
    create_dispute,
    new_consultation,
    pull_new,
)

pytestmark = pytest.mark.usefixtures("database")

PHONE = "13800138000"
CLIENT_PHONE = "13912345678"


def _parties() -> list[dict[str, str]]:
    return [
        {"name": "张三丰", "phone": PHONE, "role": "applicant"},
        {"name": "李四", "phone": "13700000001", "role": "respondent"},
    ]


async def _pull_bodies(session: Any) -> list[dict[str, Any]]:
    """Every page of a pull from the session's cursor, as the server sent it."""
    bodies = []
    while True:
        params: dict[str, Any] = {"limit": 1000}
        if session.cursor:
            params["cursor"] = session.cursor
        response = await session.get("/api/sync/pull", params=params)
        assert response.status_code == 200, response.text
        body = response.json()
        bodies.append(body)
        for change in body["changes"]:
            session.seen[(change["collection"], change["record_id"])] = change
        for gone in body["evict"]:
            session.seen.pop((gone["collection"], gone["record_id"]), None)
        session.cursor = body["cursor"]
        if not body["has_more"]:
            return bodies


@pytest.mark.parametrize("username", ["district", "street.a"])
async def test_a_supervisors_pull_holds_no_party_phone_and_no_consultation_client(
    client: Any, username: str
) -> None:
    gw = await as_user(client, "gw.a1")
    orange = await create_dispute(gw, risk_level="orange", parties=_parties())
    blue = await create_dispute(gw, risk_level="blue", parties=_parties())
    lawyer = await as_user(client, "lawyer.a")
    consultation = await create(
        lawyer,
        "consultations",
        {**new_consultation(), "client_name": "王五", "client_phone": CLIENT_PHONE},
    )
    supervisor = await login(client, username)  # a new device: its first sync
    bodies = await _pull_bodies(supervisor)
    text = json.dumps(bodies, ensure_ascii=False)
    assert PHONE not in text and "13700000001" not in text and CLIENT_PHONE not in text
    assert '"phone"' not in text
    assert "client_name" not in text and "client_phone" not in text and "王五" not in text
    assert "张三丰" not in text and "李四" not in text
    held = supervisor.seen
    assert ("consultations", consultation) not in held
    assert ("disputes", blue) not in held
    change = held[("disputes", orange)]
    assert change["fields"]["parties"] == [
        {"name": "张*", "role": "applicant"},
        {"name": "李*", "role": "respondent"},
    ]
    assert change["fields"]["risk_level"] == "orange"
    # the directory and warnings still come (the orange dispute raised one)
    collections = {c for c, _ in held}
    assert {"org_units", "users", "warnings"} <= collections


async def test_a_community_admin_keeps_whole_records(client: Any) -> None:
    gw = await as_user(client, "gw.a1")
    blue = await create_dispute(gw, risk_level="blue", parties=_parties())
    consultation = await create(
        await as_user(client, "lawyer.a"),
        "consultations",
        {
            **new_consultation(),
            "client_phone": CLIENT_PHONE,
        },
    )
    admin = await caught_up(await login(client, "admin.a"))
    assert admin.seen[("disputes", blue)]["fields"]["parties"] == _parties()
    assert admin.seen[("consultations", consultation)]["fields"]["client_phone"] == CLIENT_PHONE


async def test_a_dispute_lowered_to_blue_is_evicted_and_raised_again_returns(client: Any) -> None:
    gw = await as_user(client, "gw.a1")
    admin = await as_user(client, "admin.a")
    district = await caught_up(await login(client, "district"))
    dispute = await create_dispute(gw, risk_level="orange", parties=_parties())
    await pull_new(district)
    assert district.seen[("disputes", dispute)]["fields"]["parties"][0] == {
        "name": "张*",
        "role": "applicant",
    }
    # risk is a manual field: the community admin lowers it
    assert_ok(await admin.push_one("disputes", dispute, {"risk_level": "blue"}, base_version=1))
    bodies = await _pull_bodies(district)
    evicted = [e for body in bodies for e in body["evict"]]
    assert {"collection": "disputes", "record_id": dispute} in evicted
    assert ("disputes", dispute) not in district.seen
    # escalated disputes are held whatever their risk
    assert_ok(await admin.push_one("disputes", dispute, {"status": "escalated"}, base_version=2))
    await _pull_bodies(district)
    held = district.seen[("disputes", dispute)]
    assert held["fields"]["status"] == "escalated" and "phone" not in json.dumps(held)
    # de-escalated: evicted again
    assert_ok(await admin.push_one("disputes", dispute, {"status": "mediating"}, base_version=3))
    bodies = await _pull_bodies(district)
    assert {"collection": "disputes", "record_id": dispute} in [
        e for body in bodies for e in body["evict"]
    ]


async def test_a_supervisor_may_not_write_the_parties_its_copy_reduces(client: Any) -> None:
    gw = await as_user(client, "gw.a1")
    dispute = await create_dispute(gw, risk_level="red", parties=_parties())
    district = await as_user(client, "district")
    refused = await district.push_one(
        "disputes", dispute, {"parties": [{"name": "张*", "role": "applicant"}]}, base_version=1
    )
    assert_rejected(refused, "forbidden")
    # other fields stay writable
    assert_ok(await district.push_one("disputes", dispute, {"status": "escalated"}, base_version=1))


async def test_promoting_a_community_admin_evicts_what_a_supervisor_may_not_hold(
    client: Any,
) -> None:
    district = await as_user(client, "district")
    username = f"admin.move.{uuid.uuid4().hex[:8]}"
    created = await district.post(
        "/api/admin/users",
        json={
            "username": username,
            "password": "doorstep-demo",
            "display_name": "调任的管理员",
            "role": "community_admin",
            "org_unit_id": str(COMMUNITY_A),
        },
    )
    assert created.status_code == 201, created.text
    mover = await caught_up(await login(client, username))
    gw = await as_user(client, "gw.a1")
    blue = await create_dispute(gw, risk_level="blue", parties=_parties())
    red = await create_dispute(gw, risk_level="red", parties=_parties())
    await pull_new(mover)
    assert ("disputes", blue) in mover.seen and ("disputes", red) in mover.seen
    old_cursor = mover.cursor
    moved = await district.client.patch(
        f"/api/admin/users/{created.json()['id']}",
        json={"role": "street_admin", "org_unit_id": str(STREET_A)},
        headers=district.headers,
    )
    assert moved.status_code == 200, moved.text
    response = await mover.get("/api/sync/pull", params={"cursor": old_cursor, "limit": 1000})
    body = response.json()
    assert body["reset"] is True
    assert {"collection": "disputes", "record_id": blue} in body["evict"]
    assert {"collection": "disputes", "record_id": red} not in body["evict"]
    mover.cursor, mover.seen = old_cursor, {}
    await mover.pull_all(limit=1000)
    assert ("disputes", blue) not in mover.seen
    assert "phone" not in json.dumps(mover.seen[("disputes", red)], ensure_ascii=False)


async def test_a_cursor_issued_under_other_read_rules_is_answered_reset(
    app: Any, client: Any
) -> None:
    """A release that changes what devices may hold (`rules_version`) resets every cursor
    issued before it, so devices drop what they may no longer hold (here: a cursor from before
    minimisation, which carried no rules fingerprint)."""
    district = await caught_up(await login(client, "district"))
    assert district.cursor is not None
    key = cursor_key(app.state["accounts"].secret_key)
    user = district.user
    old = Cursor(1, 0, user["role"], user["org_unit_id"], district.user_id, "")
    response = await district.get(
        "/api/sync/pull", params={"cursor": encode_cursor(key, old), "limit": 10}
    )
    assert response.status_code == 200, response.text
    assert response.json()["reset"] is True
    response = await district.get("/api/sync/pull", params={"cursor": district.cursor})
    assert response.json()["reset"] is False
