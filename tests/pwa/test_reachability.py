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


def _push_red_dispute(base: str) -> None:
    """A grid worker raises a dispute to red through the sync API (what the field app does)."""
    import time
    import uuid

    import httpx

    from tests.helpers import new_dispute

    answer = httpx.post(
        f"{base}/api/auth/login",
        json={"username": "gw.a2", "password": "doorstep-demo", "device_name": "gw.a2"},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    dispute_id = str(uuid.uuid4())
    for seq, (fields, version) in enumerate(
        [(new_dispute(risk_level="yellow"), 0), ({"risk_level": "red"}, 1)], start=1
    ):
        ms = int(time.time() * 1000) + seq
        mutation = {
            "id": str(uuid.uuid4()),
            "seq": seq,
            "collection": "disputes",
            "record_id": dispute_id,
            "op": "upsert",
            "base_version": version,
            "hlc": f"{ms:013d}-{seq:04x}-{body['device_id']}",
            "fields": fields,
        }
        r = httpx.post(
            f"{base}/api/sync/push",
            json={"schema_version": 1, "mutations": [mutation]},
            headers=headers,
            timeout=10,
        )
        assert r.json()["results"][0]["status"] == "applied", r.text


def test_in_english_the_inbox_shows_warnings_and_notices_in_english(
    new_context: Any, server_url: str
) -> None:
    """Notices are stored as templates: the same inbox reads in English after the switch."""
    _push_red_dispute(server_url)
    ctx = new_context()
    ctx.add_init_script("localStorage.setItem('doorstep.lang', 'en')")
    page = login(ctx, server_url, "admin.a")
    go(page, "#/inbox", ".list")
    text = page.inner_text("main")
    assert "Red warning" in text and "A dispute's risk was raised" in text, text
    assert "红色预警" not in text and "风险升级" not in text, text
    shot(page, "62-inbox-english")
