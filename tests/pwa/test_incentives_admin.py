"""Issue 16 in a community admin's hands, at a phone's viewport: make an invite code (shown
once), award a volunteer for their report (yuan typed, integer fen sent, a double tap paying
once), and the fund's figures on screen equal the server's.  Screenshots: test-artifacts/pwa/
16-admin-*.png."""

from __future__ import annotations

import io
import json
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import openpyxl

from .conftest import PASSWORD, go, login, shot, sync_now
from .test_field_day import _api


def _put(base: str, path: str, body: Any, token: str) -> Any:
    req = urllib.request.Request(base + path, data=json.dumps(body).encode(), method="PUT")
    req.add_header("content-type", "application/json")
    req.add_header("Authorization", "Bearer " + token)
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read() or b"null")


def _yuan(fen: int) -> str:
    return f"¥{fen // 100}.{fen % 100:02d}"


def test_community_admin_invites_awards_once_and_sees_the_fund(
    server_url: str, new_context: Any
) -> None:
    admin = _api(server_url, "/api/auth/login", {"username": "admin.a", "password": PASSWORD})
    community = admin["user"]["org_unit_id"]
    page = login(new_context(), server_url, "admin.a")
    assert page.viewport_size == {"width": 390, "height": 844}
    assert page.locator("nav.tabs a[href='#/incentives']").count() == 1

    # an invite code, shown once with its join link
    go(page, "#/incentives/invite", "button")
    page.click("main button")
    page.wait_for_selector(".invite-code", timeout=15000)
    code = (page.text_content(".invite-code") or "").strip()
    assert code and code in (page.get_attribute(".join-link", "href") or "")
    shot(page, "16-admin-invite")

    # the code works: a volunteer joins and reports (straight through the API)
    username = f"vol.{uuid.uuid4().hex[:8]}"
    joined = _api(
        server_url,
        "/api/volunteers/join",
        {
            "code": code,
            "username": username,
            "password": "volunteer-pass-1",
            "display_name": "王志愿",
        },
    )
    vol = _api(
        server_url, "/api/auth/login", {"username": username, "password": "volunteer-pass-1"}
    )
    report_id = str(uuid.uuid4())
    now = int(time.time() * 1000)
    pushed = _api(
        server_url,
        "/api/sync/push",
        {
            "schema_version": 1,
            "mutations": [
                {
                    "id": str(uuid.uuid4()),
                    "seq": 1,
                    "collection": "reports",
                    "record_id": report_id,
                    "op": "upsert",
                    "base_version": 0,
                    "hlc": f"{now:013d}-0001-{vol['device_id']}",
                    "fields": {
                        "community_id": community,
                        "kind": "hazard",
                        "title": "消防通道被占",
                        "status": "submitted",
                    },
                }
            ],
        },
        vol["access_token"],
    )
    assert [r["status"] for r in pushed["results"]] == ["applied"], pushed

    # room in the community's fund for this award (a street admin sets budgets)
    street = _api(server_url, "/api/auth/login", {"username": "street.a", "password": PASSWORD})
    before = _api(
        server_url, f"/api/incentives/fund?org_unit_id={community}", None, admin["access_token"]
    )
    _put(
        server_url,
        "/api/incentives/fund",
        {
            "org_unit_id": community,
            "year": before["year"],
            "budget_fen": before["awarded"] + 100_000,
        },
        street["access_token"],
    )

    # the award: 12.50 yuan typed, a double tap on submit
    sync_now(page)
    go(page, "#/incentives/award")
    page.wait_for_selector(f"select[name=report] option[value='{report_id}']", state="attached")
    page.select_option("select[name=report]", report_id)
    page.fill("input[name=amount]", "12.50")
    page.fill("input[name=reason]", "及时发现消防隐患")
    shot(page, "16-admin-award")
    page.dblclick("form button[type=submit]")
    page.wait_for_selector(".fund-awarded", timeout=15000)

    awards = _api(
        server_url, f"/api/incentives/awards?org_unit_id={community}", None, admin["access_token"]
    )
    mine = [a for a in awards if a["source_id"] == report_id]
    assert len(mine) == 1, mine  # paid once
    assert mine[0]["amount_fen"] == 1250
    assert mine[0]["volunteer_id"] == joined["id"]

    fund = _api(
        server_url, f"/api/incentives/fund?org_unit_id={community}", None, admin["access_token"]
    )
    assert fund["awarded"] == before["awarded"] + 1250
    for key in ("budget", "awarded", "paid", "balance"):
        figure = page.locator(f".fund-{key}")
        assert figure.get_attribute("data-fen") == str(fund[key]), key
        assert (figure.text_content() or "").strip() == _yuan(fund[key]), key
    shot(page, "16-admin-fund")

    # the payout: admin.a proposes the batch, street.a approves, downloads the sheet, marks paid
    go(page, "#/incentives/propose", f"input[name=award][value='{mine[0]['id']}']")
    page.uncheck("input[name=award]")
    page.check(f"input[name=award][value='{mine[0]['id']}']")
    page.click("form button[type=submit]")
    page.wait_for_selector(".batch .status-proposed", timeout=15000)
    assert page.locator(".batch button.approve").count() == 0  # community admins never approve

    street_page = login(new_context(), server_url, "street.a")
    go(street_page, "#/incentives/batches", ".batch button.approve")
    street_page.click(".batch button.approve")
    street_page.wait_for_selector(".batch .status-approved", timeout=15000)
    with street_page.expect_download() as got:
        street_page.click(".batch button.download")
    sheet = openpyxl.load_workbook(io.BytesIO(Path(got.value.path()).read_bytes()))
    assert "12.5" in " ".join(str(c.value) for row in sheet.active.iter_rows() for c in row)
    go(street_page, "#/incentives/batches", ".batch button.mark-paid")
    street_page.click(".batch button.mark-paid")
    street_page.wait_for_selector(".batch .status-paid", timeout=15000)
    shot(street_page, "16-admin-paid")
    paid = _api(
        server_url, f"/api/incentives/fund?org_unit_id={community}", None, admin["access_token"]
    )
    assert paid["paid"] == fund["paid"] + 1250

    # a street admin who proposed a batch cannot approve it: the server's words on screen
    extra = _api(
        server_url,
        "/api/incentives/awards",
        {
            "volunteer_id": joined["id"],
            "amount_fen": 500,
            "reason": "再次发现隐患",
            "source_collection": "reports",
            "source_id": report_id,
            "idempotency_key": str(uuid.uuid4()),
        },
        admin["access_token"],
    )
    own = _api(
        server_url,
        "/api/incentives/batches",
        {"org_unit_id": community, "award_ids": [extra["id"]]},
        street["access_token"],
    )
    street_page.reload()
    street_page.wait_for_selector(f".batch[data-id='{own['id']}'] button.approve", timeout=15000)
    street_page.click(f".batch[data-id='{own['id']}'] button.approve")
    street_page.wait_for_selector("text=提交人不能审核自己的批次", timeout=10000)

    # offline: the actions say a network is needed
    page.context.set_offline(True)
    go(page, "#/incentives/invite", "main button")
    page.click("main button")
    page.wait_for_selector("text=此操作需要联网", timeout=10000)
    page.context.set_offline(False)
