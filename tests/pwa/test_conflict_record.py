"""Issue 11: a delete conflict names the record and shows its fields in words, never ids.

Both delete kinds of SYNC_PROTOCOL.md: `delete_vs_edit` (the dispute is still on the phone) and
`edit_vs_delete` (the dispute is gone here, so the screen reads the conflict's stored values).
Screenshots: test-artifacts/pwa/11-*.png."""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

from .conftest import PASSWORD, go, login, shot, sync_now
from .test_field_day import _api, _new_dispute

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)


def _device(base: str, username: str) -> dict[str, Any]:
    body = {"username": username, "password": PASSWORD, "device_name": f"api {username}"}
    return dict(_api(base, "/api/auth/login", body))


def _push(
    base: str, device: dict[str, Any], seq: int, dispute_id: str, op: str, fields: dict[str, Any]
) -> Any:
    now = int(time.time() * 1000)
    token = device["access_token"]
    mutation = {
        "id": str(uuid.uuid4()),
        "seq": seq,
        "collection": "disputes",
        "record_id": dispute_id,
        "op": op,
        "base_version": 1,
        "hlc": f"{now:013d}-0000-{device['device_id']}",
        "fields": fields,
    }
    schema_version = int(_api(base, "/api/sync/schema", None, token)["schema_version"])
    body = {"schema_version": schema_version, "mutations": [mutation]}
    return _api(base, "/api/sync/push", body, token)["results"][0]


def _open_conflict(page: Any, title: str) -> str:
    """Open the conflict listed under `title`; the detail screen's text."""
    go(page, "#/conflicts", "ul.list")
    item = page.locator("ul.list a.item", has_text=title)
    item.first.click()
    page.wait_for_selector(".conflict-record")
    return page.text_content("main") or ""


def test_delete_conflicts_show_the_dispute_title_and_fields_not_ids(
    server_url: str, new_context: Any
) -> None:
    page = login(new_context(), server_url, "gw.a1")
    kept = _new_dispute(page, "冲突删除：楼道堆物", risk="orange")
    gone = _new_dispute(page, "冲突删除：噪音扰民", risk="yellow")
    sync_now(page)
    phone, admin = _device(server_url, "gw.a1"), _device(server_url, "admin.a")

    # delete_vs_edit: edited on the worker's other device, then the admin deletes from version 1.
    assert _push(server_url, phone, 1, kept, "upsert", {"address": "某小区7栋"})["status"] in (
        "applied",
        "merged",
    )
    assert _push(server_url, admin, 1, kept, "delete", {})["status"] == "conflict"
    # edit_vs_delete: the admin deletes first, then the worker's other device edits version 1.
    assert _push(server_url, admin, 2, gone, "delete", {})["status"] == "applied"
    assert _push(server_url, phone, 2, gone, "upsert", {"address": "某小区9栋"})["status"] == (
        "conflict"
    )
    sync_now(page)
    sync_now(page)

    go(page, "#/conflicts", "ul.list")
    listed = page.text_content("ul.list") or ""
    assert "纠纷「冲突删除：楼道堆物」" in listed
    assert "纠纷「冲突删除：噪音扰民」" in listed  # named even though the phone no longer holds it
    assert not UUID.search(listed), listed
    shot(page, "11-conflicts-list-delete-kinds")

    text = _open_conflict(page, "冲突删除：楼道堆物")
    assert "纠纷「冲突删除：楼道堆物」" in (page.text_content(".conflict-record-title") or "")
    record = page.text_content(".conflict-record") or ""
    assert "风险等级" in record and "橙色" in record and "某小区7栋" in record
    assert "登记人" in record and "created_by" not in record  # labels, not field names
    sides = page.text_content(".sides") or ""
    assert "某小区3栋" in sides and "某小区7栋" in sides and "（已删除）" in sides  # what clashed
    assert not UUID.search(text), text
    assert "{" not in text  # no raw JSON of the record
    shot(page, "11-delete-vs-edit-in-words")

    text = _open_conflict(page, "冲突删除：噪音扰民")
    assert "纠纷「冲突删除：噪音扰民」" in (page.text_content(".conflict-record-title") or "")
    assert "本机已无该记录" in text
    record = page.text_content(".conflict-record") or ""
    assert "标题" in record and "某小区9栋" in record and "黄色" in record
    assert not UUID.search(text), text
    assert "{" not in text
    shot(page, "11-edit-vs-delete-from-stored-values")
