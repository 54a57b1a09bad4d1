"""Staff phones, the language preference and the reachability view: scope and bad input.

Phones live apart from the synced directory: no device's pull carries one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from server.notify.tables import StaffContact
from tests.helpers import login

pytestmark = pytest.mark.usefixtures("database")


@pytest.fixture(autouse=True)
async def _clean() -> AsyncIterator[None]:
    await StaffContact.delete(force=True)
    yield
    await StaffContact.delete(force=True)


async def test_an_admin_sets_a_phone_its_owner_confirms_and_no_pull_carries_it(
    client: Any,
) -> None:
    street, admin = await login(client, "street.a"), await login(client, "admin.a")
    r = await street.client.put(
        f"/api/admin/users/{admin.user_id}/phone",
        json={"phone": "138 0000 0001"},
        headers=street.headers,
    )
    assert r.status_code == 200, r.text
    assert r.json()["phone"] == "*******0001" and r.json()["phone_confirmed"] is False
    me = (await admin.get("/api/notify/me")).json()
    assert me == {
        "language": "zh",
        "phone": "*******0001",
        "phone_confirmed": False,
        "push_devices": 0,
    }
    wrong = await admin.post("/api/notify/me/phone/confirm", json={"phone": "13800000002"})
    assert wrong.status_code == 422 and wrong.json()["error"]["code"] == "phone_mismatch"
    ok = await admin.post("/api/notify/me/phone/confirm", json={"phone": "13800000001"})
    assert ok.status_code == 200 and ok.json()["phone_confirmed"] is True
    # a new number needs confirming again
    await street.client.put(
        f"/api/admin/users/{admin.user_id}/phone",
        json={"phone": "13800000009"},
        headers=street.headers,
    )
    assert (await admin.get("/api/notify/me")).json()["phone_confirmed"] is False
    for session in (admin, street, await login(client, "district")):
        await session.pull_all()
        assert "13800000009" not in str(session.seen)


async def test_phone_and_language_bad_input_changes_nothing(client: Any) -> None:
    district, admin = await login(client, "district"), await login(client, "admin.a")
    url = f"/api/admin/users/{admin.user_id}/phone"
    bodies: list[Any] = [
        {"phone": "abc"},
        {"phone": "12"},
        {"phone": "1" * 30},
        {},
        {"phone": 5},
        [],
    ]
    for body in bodies:
        r = await district.client.put(url, json=body, headers=district.headers)
        assert r.status_code in (400, 422), (body, r.text)
    languages: list[Any] = [{"language": "fr"}, {"language": ""}, {}, {"language": "en", "x": 1}]
    for body in languages:
        r = await admin.client.put("/api/notify/me/language", json=body, headers=admin.headers)
        assert r.status_code in (400, 422), (body, r.text)
    r = await admin.post("/api/notify/me/phone/confirm", json={"phone": "13800000001"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "no_phone"
    for body in ({"notification_id": "nope"}, {"notification_id": "x" * 36}, {}):
        assert (await admin.post("/api/notify/acks", json=body)).status_code in (400, 422)
    assert await StaffContact.count() == 0


async def test_scope_outside_ones_subtree_is_not_found_and_non_admins_are_refused(
    client: Any,
) -> None:
    admin_a, admin_b, gw = [await login(client, n) for n in ("admin.a", "admin.b", "gw.a1")]
    r = await admin_a.client.put(
        f"/api/admin/users/{admin_b.user_id}/phone",
        json={"phone": "13800000001"},
        headers=admin_a.headers,
    )
    assert r.status_code == 404
    r = await gw.client.put(
        f"/api/admin/users/{gw.user_id}/phone", json={"phone": "13800000001"}, headers=gw.headers
    )
    assert r.status_code == 403
    assert (await gw.get("/api/admin/reachability")).status_code == 403
    assert (await admin_a.client.get("/api/admin/reachability")).status_code == 401
    names = {u["username"] for u in (await admin_a.get("/api/admin/reachability")).json()}
    assert "gw.a1" in names and "admin.b" not in names and "district" not in names
    assert await StaffContact.count() == 0


async def test_reachability_says_who_no_channel_reaches(client: Any) -> None:
    district, gw = await login(client, "district"), await login(client, "gw.a1")
    await district.client.put(
        f"/api/admin/users/{gw.user_id}/phone",
        json={"phone": "13800000005"},
        headers=district.headers,
    )
    rows = {u["username"]: u for u in (await district.get("/api/admin/reachability")).json()}
    assert rows["gw.a1"]["sms"] == "untested" and rows["gw.a1"]["reachable"] is True
    assert rows["gw.a1"]["phone"] == "*******0005"
    lawyer = rows["lawyer.a"]
    assert lawyer["sms"] == "none" and lawyer["phone"] is None
    if lawyer["push"] == "none":
        assert lawyer["reachable"] is False
