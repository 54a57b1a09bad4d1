"""Issue 12 in a resident's hands (Chromium, phone viewport, real `doorstep run`): an appeal
submitted offline from a station's QR page arrives exactly once when the phone is back online,
the hall accepts it in the triage screen, the tracking page shows each step, an `unsatisfied`
rating reopens the dispute with a yellow warning, and a second rating is refused.
Screenshots: test-artifacts/pwa/door-*.png."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from typing import Any

from .conftest import go, login, shot
from .test_field_app import _device, _pull_all, _push
from .test_field_day import _api

STATION = "GM.GUANGMING.C01.S1"
TITLE = "小区路灯坏了一个月（浏览器测试）"


def _status(base: str, code: str) -> dict[str, Any]:
    return dict(_api(base, f"/api/public/appeals/{code}"))


def _rate(base: str, code: str, level: str) -> int:
    req = urllib.request.Request(
        f"{base}/api/public/appeals/{code}/rating",
        data=json.dumps({"satisfaction": level}).encode(),
        method="POST",
        headers={"content-type": "application/json"},
    )
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return int(r.status)
    except urllib.error.HTTPError as e:
        return int(e.code)


def _wait(check: Any, timeout_s: float = 20) -> Any:
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("timed out")


def test_offline_appeal_arrives_once_then_triage_steps_and_unsatisfied_reopens(
    server_url: str, phone: Any, new_context: Any
) -> None:
    base = server_url
    hall = _device(base, "admin.a")

    def appeals_titled() -> list[dict[str, Any]]:
        listed = _api(base, "/api/triage/appeals", None, hall["access_token"])
        return [a for a in listed if a["title"] == TITLE]

    # -- a resident scans the station's poster, loses signal, fills in the form ------------
    resident_ctx = phone()
    resident = resident_ctx.new_page()
    resident.goto(f"{base}/#/public/appeal?station={STATION}")
    resident.wait_for_selector("form select[name=service_type]", timeout=15000)
    assert "群众诉求服务站" in (resident.text_content("main") or "")
    resident_ctx.set_offline(True)
    resident.select_option("select[name=service_type]", "complaint")
    resident.fill("input[name=title]", TITLE)
    resident.fill("textarea[name=description]", "3栋门口路灯不亮，晚上老人出行不便。")
    resident.fill("input[name=contact_phone]", "13800138000")
    resident.click("form button[type=submit]")
    resident.wait_for_selector("[data-testid=appeal-offline]", timeout=15000)
    shot(resident, "door-1-offline")
    assert appeals_titled() == []

    # -- back online: the outbox sends it, the code appears; retries send nothing more ------
    resident_ctx.set_offline(False)
    resident.evaluate("window.dispatchEvent(new Event('online'))")
    resident.wait_for_selector("[data-testid=tracking-code]", timeout=20000)
    code = (resident.text_content("[data-testid=tracking-code]") or "").strip()
    assert len(code) == 10
    shot(resident, "door-2-code")
    for _ in range(3):
        resident.evaluate("window.dispatchEvent(new Event('online'))")
        time.sleep(0.3)
    assert len(appeals_titled()) == 1
    assert _status(base, code)["status"] == "registered"

    # -- the hall accepts it in its triage screen ------------------------------------------------
    admin_page = login(new_context(), base, "admin.a")
    go(admin_page, "#/appeals", "[data-testid=appeal-triage]")
    item = admin_page.locator(f"li[data-appeal='{appeals_titled()[0]['appeal_id']}']")
    item.wait_for(timeout=20000)
    # the grid picker is filled from the synced directory
    _wait(lambda: item.locator("select[name=grid_id] option").count() > 1)
    grid = item.locator("select[name=grid_id] option").nth(1).get_attribute("value")
    item.locator("select[name=grid_id]").select_option(grid)
    item.locator("button[data-action=accept]").click()
    _wait(lambda: _status(base, code)["triage"] == "accepted")
    shot(admin_page, "door-3-triage")

    # -- the hall works the case (synced edits); the tracking page shows each step ---------------
    dispute_id = appeals_titled()[0]["dispute_id"]
    assert _push(base, hall, 1, dispute_id, {"status": "mediating"})["status"] in (
        "applied",
        "merged",
    )
    assert _push(base, hall, 2, dispute_id, {"status": "resolved"})["status"] in (
        "applied",
        "merged",
    )
    go(resident, f"#/public/track/{code}", "[data-testid=appeal-status]")
    resident.wait_for_selector("[data-rate=unsatisfied]", timeout=15000)
    steps = [s.get_attribute("data-step") for s in resident.query_selector_all("[data-step]")]
    assert steps == ["received", "accepted", "mediating", "resolved"]
    page_text = resident.text_content("main") or ""
    assert "13800138000" not in page_text
    shot(resident, "door-4-resolved")

    # -- unsatisfied: reopened, a yellow warning for the community ----------------------------
    resident.click("[data-rate=unsatisfied]")
    _wait(lambda: _status(base, code)["status"] == "mediating")
    resident.wait_for_selector("[data-status=mediating]", timeout=15000)
    steps = [s.get_attribute("data-step") for s in resident.query_selector_all("[data-step]")]
    assert steps[-2:] == ["rated", "reopened"]
    shot(resident, "door-5-reopened")
    warnings = [
        c["fields"]
        for c in _pull_all(base, hall)
        if c["collection"] == "warnings" and c["fields"].get("subject_id") == dispute_id
    ]
    assert [w["level"] for w in warnings] == ["yellow"]
    assert _rate(base, code, "satisfied") == 409


def test_the_hall_records_a_phone_callback_and_unsatisfied_reopens(
    server_url: str, new_context: Any
) -> None:
    base = server_url
    answer = _api(
        base,
        "/api/public/appeals",
        {"station_code": STATION, "service_type": "dispute", "title": "电话回访（浏览器测试）"},
    )
    hall = _device(base, "admin.a")
    listed = _api(base, "/api/triage/appeals", None, hall["access_token"])
    dispute_id = next(a for a in listed if a["title"] == "电话回访（浏览器测试）")["dispute_id"]
    assert _push(base, hall, 1, dispute_id, {"status": "mediating"})["status"] in (
        "applied",
        "merged",
    )
    assert _push(base, hall, 2, dispute_id, {"status": "resolved"})["status"] in (
        "applied",
        "merged",
    )

    page = login(new_context(), base, "admin.a")
    go(page, f"#/disputes/{dispute_id}", "[data-testid=callback]")
    page.click("[data-testid=callback] [data-satisfaction=unsatisfied]")
    page.evaluate("window.dispatchEvent(new Event('online'))")
    _wait(lambda: _status(base, answer["tracking_code"])["status"] == "mediating")
    assert _status(base, answer["tracking_code"])["satisfaction"] is None  # not the resident's
    steps = [e["code"] for e in _status(base, answer["tracking_code"])["timeline"]]
    assert steps[-2:] == ["rated", "reopened"]
    shot(page, "door-6-callback")
