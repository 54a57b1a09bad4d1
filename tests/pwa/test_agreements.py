"""Issue 15 in the browser, at a phone viewport: a lawyer drafts an agreement from a dispute
(a term from a template), and with the phone offline each party signs by drawing on the canvas
with the pointer; the agreement is marked signed, and once online it syncs with both signature
images uploaded.  Then the court steps are recorded on the same screen."""

from __future__ import annotations

import time
import urllib.request
import uuid
from typing import Any

from .conftest import go, login, shot, sync_now
from .test_field_day import _api, _token

PARTIES = [
    {"name": "张三", "phone": "13800000001", "role": "申请人"},
    {"name": "李四", "phone": "13800000002", "role": "被申请人"},
]


def _dispute(base: str) -> str:
    """A dispute with two parties, recorded by the grid worker (over the API)."""
    me = _api(
        base,
        "/api/auth/login",
        {"username": "gw.a1", "password": "doorstep-demo", "device_name": "api2"},
    )
    dispute_id = str(uuid.uuid4())
    mutation = {
        "id": str(uuid.uuid4()),
        "seq": 1,
        "collection": "disputes",
        "record_id": dispute_id,
        "op": "upsert",
        "base_version": 0,
        "hlc": f"{int(time.time() * 1000):013d}-0001-{me['device_id']}",
        "fields": {
            "community_id": _community_a(),
            "title": "楼上装修漏水",
            "description": "李四装修导致张三家天花板渗水。",
            "risk_level": "blue",
            "channel": "door_to_door",
            "status": "registered",
            "parties": PARTIES,
        },
    }
    result = _api(
        base,
        "/api/sync/push",
        {"schema_version": 1, "mutations": [mutation]},
        token=me["access_token"],
    )["results"][0]
    assert result["status"] == "applied", result
    return dispute_id


def _community_a() -> str:
    from server.org.importer import unit_id

    return str(unit_id("GM.GUANGMING.C01"))


def _draw(page: Any, seed: int) -> None:
    """A signature drawn with the pointer: press, a few strokes, release (real input events)."""
    box = page.locator("canvas.signature-pad").bounding_box()
    assert box and box["width"] > 200 and box["height"] > 100, box
    x0, y0 = box["x"] + 30, box["y"] + box["height"] / 2
    page.mouse.move(x0, y0)
    page.mouse.down()
    for i in range(1, 12):
        page.mouse.move(x0 + i * 22, y0 + (18 if (i + seed) % 2 else -18), steps=3)
    page.mouse.up()


def test_lawyer_drafts_and_parties_sign_offline_on_a_phone(server_url: str, phone: Any) -> None:
    dispute_id = _dispute(server_url)
    ctx = phone()
    page = login(ctx, server_url, "lawyer.a")
    assert page.viewport_size == {"width": 390, "height": 844}
    sync_now(page)
    go(page, f"#/agreements/new?dispute={dispute_id}", "form")
    page.fill("input[name=party_last4_0]", "123x")
    page.fill("input[name=party_last4_1]", "5678")
    page.fill("textarea[name=terms]", "李四于2027年1月31日前支付修缮费3000元。")
    page.click("button[data-template=apology]")
    assert "赔礼道歉" in page.input_value("textarea[name=terms]")
    shot(page, "agreement-01-draft")
    page.click("button[type=submit]")
    page.wait_for_selector("[data-party='张三']")
    agreement_id = page.evaluate("location.hash").split("/")[-1]

    ctx.set_offline(True)
    for index, name in enumerate(["张三", "李四"]):
        page.click(f"[data-party='{name}'] a.button")
        page.wait_for_selector("canvas.signature-pad")
        time.sleep(0.3)  # the pad attaches on the next frame
        page.click("button[data-action=confirm-signature]")  # nothing drawn yet: refused
        assert page.query_selector("canvas.signature-pad") is not None
        _draw(page, index)
        shot(page, f"agreement-02-signing-{index}")
        page.click("button[data-action=confirm-signature]")
        page.wait_for_selector(f"[data-party='{name}'] .badge.ok")
    page.click("button[data-action=mark-signed]")
    page.wait_for_selector("[data-status=signed]")
    assert page.query_selector(".syncbar .unsent") is not None  # still offline, queued
    shot(page, "agreement-03-signed-offline")

    ctx.set_offline(False)
    sync_now(page)
    token = _token(server_url, "gw.a1")
    changes = _api(server_url, "/api/sync/pull?limit=1000", token=token)["changes"]
    record = next(c for c in changes if c["record_id"] == agreement_id)["fields"]
    assert record["status"] == "signed"
    assert record["parties"][0]["id_number_last4"] == "123X"
    assert sorted(s["party_name"] for s in record["signatures"]) == ["张三", "李四"]
    for signature in record["signatures"]:
        req = urllib.request.Request(f"{server_url}/api/attachments/{signature['attachment']}")
        req.add_header("Authorization", "Bearer " + token)
        with urllib.request.urlopen(req, timeout=30) as r:
            assert r.headers["content-type"] == "image/png"
            assert len(r.read()) > 500  # a drawn stroke, not an empty canvas

    # the court steps on the same screen: submit to a room of the directory
    page.wait_for_selector("form[data-step=submit_application]")
    page.fill("input[name=court_name]", "深圳市光明区人民法院")
    page.click("form[data-step=submit_application] button[type=submit]")
    page.wait_for_selector("[data-status=submitted]")
    sync_now(page)
    shot(page, "agreement-04-submitted")
    changes = _api(server_url, "/api/sync/pull?limit=1000", token=token)["changes"]
    record = next(c for c in changes if c["record_id"] == agreement_id)["fields"]
    assert record["status"] == "submitted"
    assert record["confirmation_room_id"]
