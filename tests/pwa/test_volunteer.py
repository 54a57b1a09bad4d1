"""Issue 16 in a volunteer's hands: the invite's join page, a 随手拍 report made offline with
GPS and a photo, sent when the phone is back online, answered by a grid worker, and its outcome
and points on the volunteer's screens.  Screenshots: test-artifacts/pwa/16-*.png."""

from __future__ import annotations

import time
import uuid
from typing import Any

from .conftest import PASSWORD, ROOT, go, shot, sync_now, wait_idle
from .test_field_day import _api, _token


def _wait_for(page: Any, text: str, timeout_s: float = 15) -> None:
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        if text in (page.text_content("main") or ""):
            return
        time.sleep(0.2)
    raise AssertionError(f"{text!r} not on screen: {page.text_content('main')}")


def test_a_volunteer_joins_reports_offline_and_sees_the_outcome(
    server_url: str, new_context: Any
) -> None:
    admin = _token(server_url, "admin.a")
    code = _api(server_url, "/api/volunteers/invites", {}, admin)["code"]

    ctx = new_context()
    ctx.grant_permissions(["geolocation"])
    ctx.set_geolocation({"latitude": 22.7612, "longitude": 113.9351, "accuracy": 15})
    page = ctx.new_page()
    page.goto(f"{server_url}/#/join?code={code}")
    page.wait_for_selector("input[name=code]")
    assert page.input_value("input[name=code]") == code
    username = f"vol.{uuid.uuid4().hex[:8]}"
    page.fill("input[name=display_name]", "李志愿")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "volunteer-pass-1")
    shot(page, "16-join")
    page.click("button[type=submit]")
    page.wait_for_selector("text=注册成功", timeout=15000)  # back on the login form, told why
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "volunteer-pass-1")
    page.click("button[type=submit]")
    page.wait_for_selector(".tiles", timeout=15000)
    wait_idle(page)
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()
    page.wait_for_selector(".tiles")

    ctx.set_offline(True)
    go(page, "#/volunteer/new", "input[name=title]")
    page.fill("input[name=title]", "路口井盖缺失")
    page.fill("textarea[name=description]", "晚上很暗，容易踩空")
    page.fill("input[name=address]", "光明大道与某路交叉口")
    page.click("text=获取定位")
    deadline = time.time() + 15
    while "22.76" not in (page.text_content(".geo") or "") and time.time() < deadline:
        time.sleep(0.2)
    assert "22.76" in (page.text_content(".geo") or "")
    page.set_input_files("input[type=file]", str(ROOT / "pwa" / "public" / "icon-512.png"))
    page.wait_for_selector(".photo img.thumb[src^=blob]", timeout=10000)
    page.click("button[type=submit]")
    _wait_for(page, "已上报，待处理")
    report_id = str(page.evaluate("location.hash.split('/')[3]"))
    shot(page, "16-report-offline")
    ctx.set_offline(False)
    sync_now(page)
    sync_now(page)

    # the grid worker sees it, photo and place, and turns it into a dispute
    gw = _token(server_url, "gw.a1")
    pulled = _api(server_url, "/api/sync/pull?limit=1000", None, gw)
    changes = [
        c for c in pulled["changes"] if c["collection"] == "reports" and c["record_id"] == report_id
    ]
    while not changes and pulled["has_more"]:
        pulled = _api(server_url, f"/api/sync/pull?limit=1000&cursor={pulled['cursor']}", None, gw)
        changes = [
            c
            for c in pulled["changes"]
            if c["collection"] == "reports" and c["record_id"] == report_id
        ]
    [report] = changes
    assert report["fields"]["location"]["lat"] == 22.7612
    assert len(report["fields"]["photos"]) == 1
    device = _api(server_url, "/api/auth/login", {"username": "gw.a1", "password": PASSWORD})
    now = int(time.time() * 1000)
    dispute_id = str(uuid.uuid4())
    muts = [
        {
            "id": str(uuid.uuid4()),
            "seq": 1,
            "collection": "disputes",
            "record_id": dispute_id,
            "op": "upsert",
            "base_version": 0,
            "hlc": f"{now:013d}-0001-{device['device_id']}",
            "fields": {
                "community_id": report["fields"]["community_id"],
                "title": "随手拍：井盖缺失",
                "risk_level": "yellow",
                "channel": "app",
            },
        },
        {
            "id": str(uuid.uuid4()),
            "seq": 2,
            "collection": "reports",
            "record_id": report_id,
            "op": "upsert",
            "base_version": report["version"],
            "hlc": f"{now:013d}-0002-{device['device_id']}",
            "fields": {
                "status": "accepted",
                "dispute_id": dispute_id,
                "outcome_reason": "已派单维修",
            },
        },
    ]
    pushed = _api(
        server_url,
        "/api/sync/push",
        {"schema_version": 1, "mutations": muts},
        device["access_token"],
    )
    assert [r["status"] for r in pushed["results"]] == ["applied", "applied"], pushed

    sync_now(page)
    go(page, f"#/volunteer/reports/{report_id}")
    _wait_for(page, "已受理（已立案）")
    _wait_for(page, "已派单维修")
    _wait_for(page, "+10")
    shot(page, "16-report-accepted")
    go(page, "#/volunteer/me", ".big-number")
    assert page.text_content(".big-number") == "10"
    _wait_for(page, "志愿者 ***")  # the leaderboard hides the name until the volunteer shows it
    shot(page, "16-points")
