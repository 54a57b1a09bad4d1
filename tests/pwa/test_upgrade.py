"""Issue 10 item 7 follow-ups: an app update keeps what was recorded offline, and a notification
for a locked person never opens on someone else's screen. Real Chromium against `doorstep run`."""

from __future__ import annotations

import hashlib
import time
import uuid
from typing import Any

from .conftest import PASSWORD, deliver_push, go, login, shot, sync_now
from .test_field_app import _device, _pull_all
from .test_field_day import _new_dispute

PHOTO_SHA256 = hashlib.sha256(b"photo").hexdigest()  # the attachment's blob below

# The database exactly as the app before the shared tablet (7bd18d0, src/storage/db.ts) wrote it:
# one `doorstep` database, version 1, the same five stores; tokens in meta "auth".
_BUILD_LEGACY = """
async ({auth, entries, record, photo}) => {
  const d = await new Promise((resolve, reject) => {
    const req = indexedDB.open("doorstep", 1);
    req.onupgradeneeded = () => {
      const db = req.result;
      const records = db.createObjectStore("records", { keyPath: ["collection", "id"] });
      records.createIndex("by_collection", "collection");
      db.createObjectStore("meta");
      const outbox = db.createObjectStore("outbox", { keyPath: "seq" });
      outbox.createIndex("by_record", ["collection", "record_id"]);
      db.createObjectStore("rejected", { keyPath: "id" });
      db.createObjectStore("attachments", { keyPath: "sha256" });
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
  const tx = d.transaction(["records", "meta", "outbox", "attachments"], "readwrite");
  tx.objectStore("meta").put(auth, "auth");
  tx.objectStore("meta").put(entries.length, "seq");
  for (const e of entries) tx.objectStore("outbox").put(e);
  tx.objectStore("records").put(record);
  tx.objectStore("attachments").put({
    sha256: photo, blob: new Blob(["photo"], { type: "image/jpeg" }),
    type: "image/jpeg", uploaded: true, created_at: Date.now(),
  });
  await new Promise((resolve, reject) => { tx.oncomplete = resolve; tx.onerror = () => reject(tx.error); });
  d.close();
  return (await indexedDB.databases()).map((x) => x.name);
}
"""

_READ_USER_DB = """
async (name) => {
  const names = (await indexedDB.databases()).map((x) => x.name);
  if (!names.includes(name)) return { names };
  const d = await new Promise((resolve, reject) => {
    const req = indexedDB.open(name);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
  const count = (store) => new Promise((resolve) => {
    const r = d.transaction(store).objectStore(store).count();
    r.onsuccess = () => resolve(r.result);
  });
  const out = {
    names, outbox: await count("outbox"), records: await count("records"),
    attachments: await count("attachments"),
  };
  d.close();
  return out;
}
"""


def _community_of(base: str, device: dict[str, Any]) -> str:
    units = {
        c["record_id"]: c["fields"]
        for c in _pull_all(base, device)
        if c["collection"] == "org_units"
    }
    unit = str(device["user"]["org_unit_id"])
    while units.get(unit, {}).get("kind") != "community" and units.get(unit, {}).get("parent_id"):
        unit = str(units[unit]["parent_id"])
    return unit


def _legacy_entry(seq: int, device_id: str, community: str, title: str) -> dict[str, Any]:
    now = int(time.time() * 1000)
    return {
        "seq": seq,
        "id": str(uuid.uuid4()),
        "collection": "disputes",
        "record_id": str(uuid.uuid4()),
        "op": "upsert",
        "base_version": 0,
        "hlc": f"{now:013d}-{seq:04x}-{device_id}",
        "fields": {
            "community_id": community,
            "channel": "door_to_door",
            "status": "registered",
            "title": title,
            "risk_level": "yellow",
            "description": "升级前离线记录",
            "address": "某小区3栋",
        },
        "base_fields": {},
        "created_at": now,
        "attempts": 0,
    }


def test_update_adopts_the_old_database_and_pushes_its_outbox_exactly_once(
    server_url: str, phone: Any
) -> None:
    """Item 7.1: a person logged in on the old version, with unsent changes, updates the app."""
    login = _device(server_url, "gw.a1")
    auth = {
        "access_token": login["access_token"],
        "refresh_token": login["refresh_token"],
        "expires_at": int(time.time() * 1000) + int(login["expires_in"]) * 1000,
        "device_id": login["device_id"],
        "user": login["user"],
    }
    titles = [f"升级不丢 {uuid.uuid4().hex[:6]} {i}" for i in range(2)]
    community = _community_of(server_url, login)
    entries = [_legacy_entry(i + 1, login["device_id"], community, t) for i, t in enumerate(titles)]
    record = {"collection": "disputes", "id": str(uuid.uuid4()), "version": 1, "fields": {}}

    ctx = phone()
    page = ctx.new_page()
    # A page of the origin that is not the app (no service worker yet): the old version's data.
    page.goto(server_url + "/health/live")
    assert "doorstep" in page.evaluate(
        _BUILD_LEGACY, {"auth": auth, "entries": entries, "record": record, "photo": PHOTO_SHA256}
    )

    # The new app starts while the server cannot be reached for sync: the outbox must be there.
    ctx.route("**/api/sync/**", lambda route: route.fulfill(status=503, body=""))
    page.goto(server_url + "/")
    page.wait_for_selector(".tiles", timeout=30000)  # still logged in: the tokens came along
    deadline = time.time() + 15
    while "2 条未同步" not in (page.text_content(".syncbar") or "") and time.time() < deadline:
        time.sleep(0.2)
    assert "2 条未同步" in (page.text_content(".syncbar") or "")
    state = page.evaluate(_READ_USER_DB, f"doorstep-u-{login['user']['id']}")
    assert "doorstep" not in state["names"]  # the old database went, after the copy
    assert (state["outbox"], state["records"], state["attachments"]) == (2, 1, 1)
    shot(page, "40-upgrade-kept-outbox")

    ctx.unroute("**/api/sync/**")
    sync_now(page)
    sync_now(page)
    page.reload()  # a second start adopts nothing again and sends nothing again
    page.wait_for_selector(".tiles", timeout=30000)
    sync_now(page)
    seen = [
        c
        for c in _pull_all(server_url, _device(server_url, "gw.a2"))
        if c["collection"] == "disputes" and c["fields"].get("title") in titles
    ]
    assert sorted(c["fields"]["title"] for c in seen) == sorted(titles)
    assert all(c["version"] == 1 for c in seen)


def _set_pin(page: Any, pin: str) -> None:
    go(page, "#/settings", "input[name=new_pin]")
    page.fill("input[name=new_pin]", pin)
    with page.expect_navigation():
        page.click("input[name=new_pin] >> xpath=ancestor::form//button[@type='submit']")
    page.wait_for_selector("button.switch-user")


def _wait_hash(page: Any, want: str, timeout_s: float = 15) -> None:
    deadline = time.time() + timeout_s
    while time.time() < deadline and page.evaluate("location.hash") != want:
        time.sleep(0.1)
    assert page.evaluate("location.hash") == want


def test_a_locked_persons_notification_opens_their_unlock_screen_not_the_next_persons_app(
    server_url: str, new_context: Any
) -> None:
    """Item 7.2: A gets a notification, locks, B takes the tablet; B taps A's notification."""
    ctx = new_context()
    ctx.grant_permissions(["notifications"], origin=server_url)
    page = login(ctx, server_url, "admin.a")
    a_name = page.evaluate("document.querySelector('header').textContent")
    _set_pin(page, "2468")
    payload = {
        "type": "notice",
        "title": "新消息",
        "body": "请查看",
        "url": "/#/inbox",
        "id": "n-7",
    }
    worker = deliver_push(ctx, page, server_url, payload)
    with page.expect_navigation():
        page.click("button.switch-user")
    page.wait_for_selector(".lock-users")
    page.click("text=其他账号登录")
    page.fill("input[name=username]", "admin.b")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector(".tiles", timeout=30000)
    b_title = f"乙的登记 {uuid.uuid4().hex[:6]}"
    _new_dispute(page, b_title)
    _set_pin(page, "1357")
    go(page, "#/", ".tiles")

    worker.evaluate(
        "self.registration.getNotifications().then(([n]) => "
        "self.dispatchEvent(new NotificationEvent('notificationclick', {notification: n})))"
    )
    page.wait_for_selector(".notice-owner", timeout=15000)
    notice = page.text_content(".notice-owner") or ""
    assert notice.startswith("这条通知属于 ") and notice.endswith("，请切换到该用户后查看")
    owner = notice.removeprefix("这条通知属于 ").removesuffix("，请切换到该用户后查看")
    assert owner and owner in a_name  # A's name, shown in A's header before
    assert page.query_selector("input[name=pin]")  # A's unlock screen, nobody's records
    assert page.query_selector(".tiles") is None
    assert b_title not in (page.text_content("body") or "")
    shot(page, "41-notification-for-locked-person")
    # B was locked by it (they have a PIN): the app shows nobody's data until someone unlocks.
    assert page.evaluate("location.hash") == "#/"
    with page.expect_navigation():
        page.fill("input[name=pin]", "2468")
        page.click("button[type=submit]")
    page.wait_for_selector(".tiles, main > *", timeout=30000)
    _wait_hash(page, "#/inbox")  # unlocked: A's notification opens for A
    assert b_title not in (page.text_content("main") or "")
    page.reload()
    page.wait_for_selector(".lock-users, main > *", timeout=30000)
    go(page, "#/settings", "button.switch-user")


def test_a_notification_link_for_someone_unknown_here_locks_nobody(
    server_url: str, new_context: Any
) -> None:
    """Item 7.2, bad input: a `#/for/` link naming nobody known on this device changes nothing."""
    ctx = new_context()
    page = login(ctx, server_url, "gw.b1")
    page.goto(server_url + "/#/for/not-a-user/%2F%2Fevil.example")
    page.wait_for_selector(".tiles", timeout=30000)  # still gw.b1's own app
    assert "这条通知属于另一位用户" in (page.text_content("#toast") or "")
    assert page.evaluate("location.hash") == "#/"
