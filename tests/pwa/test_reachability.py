"""The settings screen says whether this phone can receive notifications and what to do (issue
14): here the Push API is missing, as in WeChat's in-app browser (removed from the page before
the app runs). Also: the admin's list of who can be reached, and the English texts."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import go, login, shot

pytestmark = pytest.mark.browser

NO_PUSH_API = "delete window.PushManager; delete window.PushSubscription;"


def test_settings_says_push_is_missing_and_what_to_do(new_context: Any, server_url: str) -> None:
    ctx = new_context()
    ctx.add_init_script(NO_PUSH_API)
    page = login(ctx, server_url, "gw.a1")
    go(page, "#/settings", "#push-reach")
    reach = page.locator("#push-reach")
    assert reach.get_attribute("data-state") == "no_push_api"
    text = reach.inner_text()
    assert "不支持推送通知" in text and "添加到主屏幕" in text and "短信" in text, text
    # no work phone yet: the SMS fallback says so too
    assert "尚未登记工作手机" in page.inner_text("#sms-reach")
    shot(page, "60-settings-no-push-api")

    page.evaluate("localStorage.setItem('doorstep.lang', 'en')")
    page.reload()
    go(page, "#/settings", "#push-reach")
    assert "cannot receive push notifications" in page.inner_text("#push-reach")


def test_with_the_push_api_the_screen_does_not_claim_it_is_missing(
    new_context: Any, server_url: str
) -> None:
    ctx = new_context()
    page = login(ctx, server_url, "gw.a1")
    go(page, "#/settings", "#push-reach")
    assert page.locator("#push-reach").get_attribute("data-state") != "no_push_api"


def test_admins_see_who_can_be_reached(new_context: Any, server_url: str) -> None:
    ctx = new_context()
    page = login(ctx, server_url, "admin.a")
    go(page, "#/settings", "a[href='#/admin/reachability']")
    go(page, "#/admin/reachability", "#reach-list")
    item = page.locator("li[data-user='gw.a1']")
    assert "不可达" in item.inner_text()  # no push, no phone: a hall must know before an emergency
    shot(page, "61-admin-reachability")
