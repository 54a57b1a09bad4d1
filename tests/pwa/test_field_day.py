"""The field day of DESIGN.md in a browser: offline work, reload offline, sync, merges, conflicts,
psych double booking, push notifications."""

from __future__ import annotations

import json
import time
import urllib.request
from pathlib import Path
from typing import Any

from .conftest import (
    PASSWORD,
    ROOT,
    deliver_push,
    go,
    login,
    set_datetime,
    shot,
    sync_now,
    wait_idle,
)


def _new_dispute(page: Any, title: str, risk: str = "yellow", photo: Path | None = None) -> str:
    go(page, "#/disputes/new", "input[name=title]")
    page.fill("input[name=title]", title)
    if photo is not None:
        page.set_input_files("input[type=file]", str(photo))
        page.wait_for_selector(
            ".photo img.thumb[src^=blob]", timeout=10000
        )  # compressed and stored
    page.select_option("select[name=risk_level]", risk)
    page.fill("textarea[name=description]", "楼上卫生间漏水，协商未果。")
    page.fill("input[name=address]", "某小区3栋")
    page.click("button[type=submit]")
    page.wait_for_selector("h2.title")
    return str(page.evaluate("location.hash.split('/')[2]"))


def _edit_dispute(page: Any, dispute_id: str, **values: str) -> None:
    go(page, f"#/disputes/{dispute_id}/edit", "input[name=title]")
    for name, value in values.items():
        if name == "risk_level":
            page.select_option("select[name=risk_level]", value)
        elif name == "description":
            page.fill("textarea[name=description]", value)
        else:
            page.fill(f"input[name={name}]", value)
    page.click("button[type=submit]")
    page.wait_for_selector("h2.title")


def test_offline_dispute_and_visit_survive_reload_and_reach_a_colleague(
    server_url: str, new_context: Any
) -> None:
    ctx = new_context()
    page = login(ctx, server_url, "gw.a1")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()  # now controlled by the service worker, whose cache holds the shell
    page.wait_for_selector(".tiles")
    shot(page, "01-home")

    ctx.set_offline(True)
    dispute_id = _new_dispute(
        page, "离线登记：楼上漏水", photo=ROOT / "pwa" / "public" / "icon-512.png"
    )
    page.click("text=添加走访")
    page.fill("textarea[name=notes]", "上门了解情况，双方同意下周调解。")
    page.click("button[type=submit]")
    page.wait_for_selector("h2.title")
    page.reload()  # cold start with no network
    page.wait_for_selector("h2.title", timeout=15000)
    assert page.text_content("h2.title") == "离线登记：楼上漏水"
    assert "上门了解情况" in (page.text_content("main") or "")
    assert page.query_selector(".syncbar .unsent") is not None
    shot(page, "02-dispute-offline")

    ctx.set_offline(False)
    sync_now(page)
    shot(page, "03-dispute-synced")

    other = login(new_context(), server_url, "gw.a2")
    go(other, f"#/disputes/{dispute_id}", "h2.title")
    assert other.text_content("h2.title") == "离线登记：楼上漏水"
    assert "上门了解情况" in (other.text_content("main") or "")
    # The photo was uploaded on reconnect: the colleague's phone fetches it from the server.
    other.wait_for_selector(".photos img.thumb[src^=blob]", timeout=10000)
    go(other, "#/disputes", "ul.list")
    shot(other, "04-disputes-second-device")


def test_concurrent_offline_edits_merge_and_risk_level_conflict_is_resolved(
    server_url: str, new_context: Any
) -> None:
    ctx_a, ctx_b = new_context(), new_context()
    a = login(ctx_a, server_url, "gw.a1")
    dispute_id = _new_dispute(a, "并发编辑：邻里噪音", risk="blue")
    sync_now(a)
    b = login(ctx_b, server_url, "gw.a2")
    go(b, f"#/disputes/{dispute_id}", "h2.title")

    ctx_a.set_offline(True)
    ctx_b.set_offline(True)
    _edit_dispute(a, dispute_id, description="A 补充：夜间施工", risk_level="orange")
    _edit_dispute(b, dispute_id, address="B 更正：某小区5栋", risk_level="red")
    ctx_b.set_offline(False)
    sync_now(b)
    ctx_a.set_offline(False)
    sync_now(a)

    go(a, f"#/disputes/{dispute_id}", "h2.title")
    text = a.text_content("main") or ""
    assert "A 补充：夜间施工" in text and "B 更正：某小区5栋" in text  # different fields merged
    go(a, "#/conflicts", "ul.list")
    shot(a, "05-conflicts")
    a.click("ul.list a.item")
    a.wait_for_selector(".sides")
    shot(a, "06-conflict-side-by-side")
    a.click("text=采用我的")
    sync_now(a)
    sync_now(a)
    go(a, f"#/disputes/{dispute_id}", "h2.title")
    assert "橙色" in (a.text_content(".badge.risk-orange") or "")
    sync_now(b)
    go(b, f"#/disputes/{dispute_id}", "h2.title")
    assert b.query_selector(".badge.risk-orange") is not None
    assert "A 补充：夜间施工" in (b.text_content("main") or "")


def test_psych_double_booking_shows_slot_taken_with_suggestions(
    server_url: str, new_context: Any
) -> None:
    page = login(new_context(), server_url, "psy.a")
    # Two open slots tomorrow (Shanghai): 09:00-10:00 and 14:00-15:00.
    day = page.evaluate("new Date(Date.now() + 8*3600e3 + 86400e3).toISOString().slice(0, 10)")
    for start, end in (("09:00", "10:00"), ("14:00", "15:00")):
        go(page, "#/psych/slots/new", "[data-for=starts_at] select")
        set_datetime(page, "starts_at", f"{day}T{start}")
        set_datetime(page, "ends_at", f"{day}T{end}")
        page.click("button[type=submit]")
        page.wait_for_selector(".week")
    sync_now(page)
    shot(page, "07-psych-week")
    # Book the 09:00 slot twice: the second booking clashes. Once booked the slot offers no
    # button any more, so the second booking comes from the link as another phone still had it.
    go(page, "#/psych", ".week")
    book = page.get_attribute(".chip.slot >> nth=0 >> a.button", "href")
    for client in ("来访者甲", "来访者乙"):
        go(page, str(book), "input[name=client_ref]")
        page.fill("input[name=client_ref]", client)
        page.click("button[type=submit]")
        page.wait_for_selector(".actions")
        sync_now(page)
    page.wait_for_selector(".rejection .suggestion", timeout=15000)
    assert "时段已被占用" in (page.text_content(".rejection") or "")
    shot(page, "08-slot-taken")
    page.click(".rejection .suggestion >> nth=0")
    sync_now(page)
    sync_now(page)
    assert page.query_selector(".syncbar .rejected") is None


def test_push_message_shows_notification_and_click_opens_the_screen(
    server_url: str, new_context: Any
) -> None:
    ctx = new_context()
    ctx.grant_permissions(["notifications"], origin=server_url)
    page = login(ctx, server_url, "dept.housing")
    payload = {
        "type": "dispatch_order",
        "title": "新派单",
        "body": "请在时限内到场",
        "url": "/#/orders",
        "id": "n-1",
    }
    worker = deliver_push(ctx, page, server_url, payload)
    titles = worker.evaluate(
        "self.registration.getNotifications().then(ns => ns.map(n => n.title))"
    )
    assert "新派单" in titles
    # Click it: the service worker's notificationclick handler must bring the app to the url.
    worker.evaluate(
        "self.registration.getNotifications().then(([n]) => "
        "self.dispatchEvent(new NotificationEvent('notificationclick', {notification: n})))"
    )
    # Polled from Python: wait_for_function evaluates a string, which the app's CSP forbids, and
    # the worker now reads whose notification it is before it navigates.
    deadline = time.time() + 10
    while page.evaluate("location.hash") != "#/orders" and time.time() < deadline:
        page.wait_for_timeout(100)
    assert page.evaluate("location.hash") == "#/orders"
    wait_idle(page)
    shot(page, "09-orders-after-push")


def test_new_version_prompts_to_reload_instead_of_trapping(
    server_url: str, new_context: Any
) -> None:
    ctx = new_context()
    page = login(ctx, server_url, "gw.a1")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()
    page.wait_for_selector(".tiles")
    sw = ROOT / "pwa" / "dist" / "sw.js"
    original = sw.read_bytes()
    try:
        sw.write_bytes(original + b"\n// a newer build\n")  # any byte change is a new worker
        page.evaluate("navigator.serviceWorker.getRegistration().then(r => r.update())")
        page.wait_for_selector("#update-banner:not([hidden]) button", timeout=15000)
        shot(page, "10-update-banner")
        with page.expect_navigation():
            page.click("#update-banner button")
        page.wait_for_selector(".tiles")
        assert page.query_selector("#update-banner:not([hidden])") is None
    finally:
        sw.write_bytes(original)


def _api(base: str, path: str, body: Any = None, token: str | None = None) -> Any:
    req = urllib.request.Request(
        base + path,
        data=None if body is None else json.dumps(body).encode(),
        method="POST" if body is not None else "GET",
    )
    req.add_header("content-type", "application/json")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read() or b"null")


def _token(base: str, username: str, password: str = PASSWORD) -> str:
    """An access token for API calls beside the browser (a device of its own)."""
    body = {"username": username, "password": password, "device_name": "api"}
    return str(_api(base, "/api/auth/login", body)["access_token"])


def test_revoked_device_wipes_local_data_and_asks_to_log_in(
    server_url: str, new_context: Any
) -> None:
    page = login(new_context(), server_url, "gw.b1")
    assert page.evaluate(_COUNT_RECORDS) > 0
    device_id = page.evaluate(
        _IN_USER_DB.replace(
            "BODY",
            "const q = db.transaction('meta').objectStore('meta').get('auth');"
            " q.onsuccess = () => { ok(q.result.device_id); db.close(); };",
        )
    )
    admin = _api(
        server_url,
        "/api/auth/login",
        {"username": "district", "password": "doorstep-demo", "device_name": "t"},
    )
    _api(server_url, f"/api/admin/devices/{device_id}/revoke", {}, admin["access_token"])
    page.click(".syncbar button")  # the next contact learns it was revoked
    page.wait_for_selector("input[name=username]", timeout=15000)
    assert "此设备已被停用" in (page.text_content("main, #app") or "")
    assert page.evaluate(_COUNT_RECORDS) == 0
    shot(page, "11-revoked")


# Each person has their own database (pwa/src/storage/tablet.ts); after a wipe there is none.
_IN_USER_DB = (
    "indexedDB.databases().then(list => new Promise(ok => {"
    " const hit = list.find(d => d.name.startsWith('doorstep-u-'));"
    " if (!hit) return ok(0);"
    " const r = indexedDB.open(hit.name); r.onsuccess = () => { const db = r.result; BODY }; }))"
)
_COUNT_RECORDS = _IN_USER_DB.replace(
    "BODY",
    "const q = db.transaction('records').objectStore('records').count();"
    " q.onsuccess = () => { ok(q.result); db.close(); };",
)
