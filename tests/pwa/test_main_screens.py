"""Every main screen at 390×844 on the throttled phone, per role, saved to test-artifacts/pwa/
(`40-<role>-<screen>.png`) for a person to look at, and checked for what a person should never
see in zh-CN: English words, raw ids, stray symbols."""

from __future__ import annotations

import re
from typing import Any

from .conftest import go, login, shot, sync_now
from .test_field_day import _new_dispute

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}")
# The language switch names the other language on purpose; "PIN" is the word staff use.
ALLOWED_LATIN = {"English", "Language", "PIN"}


def _check(page: Any, where: str) -> None:
    text = page.inner_text("body")
    assert not UUID.search(text), f"{where}: raw id in {text!r}"
    words = set(re.findall(r"[A-Za-z]{3,}", text)) - ALLOWED_LATIN
    assert not words, f"{where}: English {words} in {text!r}"
    if page.query_selector(".tiles"):
        assert "›" not in page.inner_text(".tiles"), where
    assert "undefined" not in text and "null" not in text and "NaN" not in text, where


SCREENS = {
    "gw.a1": [
        "#/",
        "#/disputes",
        "#/disputes/new",
        "DISPUTE",
        "DISPUTE/edit",
        "DISPUTE/visit",
        "DISPUTE/refer-psych",
        "#/inbox",
        "#/conflicts",
        "#/outbox",
        "#/settings",
    ],
    "admin.a": ["#/", "#/triage", "#/orders", "DISPUTE/dispatch"],
    "dept.housing": ["#/", "#/orders"],
    "psy.a": ["#/", "#/psych", "#/psych/slots/new", "#/psych/sessions/new"],
    "lawyer.a": ["#/", "#/consultations", "#/consultations/new"],
}


def test_main_screens_in_zh_cn_have_no_english_raw_ids_or_stray_symbols(
    server_url: str, phone: Any
) -> None:
    gw = login(phone(), server_url, "gw.a1")
    dispute_id = _new_dispute(gw, "截图：楼上漏水", risk="orange")
    sync_now(gw)
    for user, screens in SCREENS.items():
        page = gw if user == "gw.a1" else login(phone(), server_url, user)
        for screen in screens:
            route = screen.replace("DISPUTE", f"#/disputes/{dispute_id}")
            go(page, route, "main > *")
            name = re.sub(r"[^a-z]+", "-", screen.replace("DISPUTE", "dispute").lower()).strip("-")
            shot(page, f"40-{user.replace('.', '')}-{name or 'home'}")
            _check(page, f"{user} {route}")
    # The shared tablet's lock screen and the login screen.
    go(gw, "#/settings", "input[name=new_pin]")
    gw.fill("input[name=new_pin]", "2468")
    with gw.expect_navigation():
        gw.click("input[name=new_pin] >> xpath=ancestor::form//button[@type='submit']")
    gw.wait_for_selector("button.switch-user")
    with gw.expect_navigation():
        gw.click("button.switch-user")
    gw.wait_for_selector(".lock-users")
    shot(gw, "40-lock-screen")
    _check(gw, "lock screen")
    gw.click("text=其他账号登录")
    gw.wait_for_selector("input[name=username]")
    shot(gw, "40-login")
