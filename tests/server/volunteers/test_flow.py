"""Issue 16 "Done when", end to end over HTTP on either engine: invite → volunteer account →
offline report with photo → accepted by a grid worker → points by rule → award → batch →
approval by a second person (the proposer's own approval refused) → export → paid; each step
on the audit trail and visible to the volunteer."""

from __future__ import annotations

import io
from typing import Any

import openpyxl
import pytest

from tests.helpers import COMMUNITY_A
from tests.server.replication.support import as_user, assert_error, record_of
from tests.server.volunteers.support import (
    accept,
    award_body,
    fund,
    key,
    new_volunteer,
    room_for,
    submit_offline_report,
)

pytestmark = pytest.mark.usefixtures("database")


async def test_invite_to_paid_award(client: Any) -> None:
    admin = await as_user(client, "admin.a")
    rules = await admin.client.put(
        "/api/volunteers/rules",
        headers=admin.headers,
        json={"community_id": str(COMMUNITY_A), "report_accepted": 15},
    )
    assert rules.status_code == 200, rules.text
    assert rules.json()["report_accepted"] == 15

    volunteer = await new_volunteer(client, name="王小明", show_name=True)
    assert volunteer.user["role"] == "volunteer"
    assert volunteer.user["org_unit_id"] == str(COMMUNITY_A)

    report_id = await submit_offline_report(volunteer)
    gw = await as_user(client, "gw.a1")
    seen = await record_of(gw, "reports", report_id)
    assert seen is not None and seen["fields"]["status"] == "submitted"
    assert len(seen["fields"]["photos"]) == 1
    # the grid worker can open the photo: it belongs to a report of their community
    photo = await gw.get(f"/api/attachments/{seen['fields']['photos'][0]}")
    assert photo.status_code == 200

    dispute_id = await accept(gw, report_id, seen["version"])

    # points by the community's rule, written by the server onto the report and the ledger
    mine = await record_of(volunteer, "reports", report_id)
    assert mine is not None
    assert mine["fields"]["status"] == "accepted"
    assert mine["fields"]["dispute_id"] == dispute_id
    assert mine["fields"]["points"] == 15
    me = (await volunteer.get("/api/volunteers/me")).json()
    assert me["points"] == 15
    assert me["points_entries"][0]["source_id"] == report_id
    # the volunteer was told (inbox), and never receives the dispute itself
    pulled = volunteer.seen
    assert any(
        c == "notifications" and r["fields"]["type"] == "report_outcome"
        for (c, _), r in pulled.items()
    )
    assert not any(c == "disputes" for c, _ in pulled)

    # award from the fund (a budget set by the street admin)
    await room_for(client, 20_000)
    before = await fund(admin)
    made = await admin.client.post(
        "/api/incentives/awards",
        json=award_body(volunteer.user_id, report_id, 8_850),
        headers={**admin.headers, "Idempotency-Key": key()},
    )
    assert made.status_code == 201, made.text
    award = made.json()
    assert award["status"] == "awarded" and award["approved_by"] == admin.user_id
    assert award["source_collection"] == "reports" and award["source_id"] == report_id
    after = await fund(admin)
    assert after["awarded"] == before["awarded"] + 8_850
    assert after["balance"] == before["balance"] - 8_850

    # a batch proposed by the community admin; the proposer cannot approve it
    proposed = await admin.post(
        "/api/incentives/batches",
        json={"org_unit_id": str(COMMUNITY_A), "award_ids": [award["id"]]},
    )
    assert proposed.status_code == 201, proposed.text
    batch = proposed.json()
    assert batch["status"] == "proposed" and batch["total_fen"] == 8_850
    assert_error(
        await admin.post(f"/api/incentives/batches/{batch['id']}/approve"), 403, "same_person"
    )
    # nothing to export before approval
    assert_error(await admin.get(f"/api/incentives/batches/{batch['id']}/export.xlsx"), 409)
    street = await as_user(client, "street.a")
    approved = await street.post(f"/api/incentives/batches/{batch['id']}/approve")
    assert approved.status_code == 200, approved.text
    assert approved.json()["approved_by"] == street.user_id
    # paying before the finance office has the sheet is refused
    assert_error(
        await street.post(f"/api/incentives/batches/{batch['id']}/paid"), 409, "not_exported"
    )

    sheet = await street.get(f"/api/incentives/batches/{batch['id']}/export.xlsx")
    assert sheet.status_code == 200, sheet.text
    assert sheet.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    rows = list(
        openpyxl.load_workbook(io.BytesIO(sheet.content)).active.iter_rows(values_only=True)
    )
    header = rows.index(("序号", "姓名", "金额（元）", "事由", "来源", "奖励编号"))
    line = rows[header + 1]
    assert line[1] == "王小明"
    assert line[2] == pytest.approx(88.50)
    assert line[3] == "随手拍发现消防隐患，已立案"
    assert report_id in line[4]
    cell = openpyxl.load_workbook(io.BytesIO(sheet.content)).active.cell(row=header + 2, column=3)
    assert cell.number_format == "0.00"

    paid = await street.post(f"/api/incentives/batches/{batch['id']}/paid")
    assert paid.status_code == 200, paid.text
    assert paid.json()["status"] == "paid"
    assert (await fund(admin))["paid"] == after["paid"] + 8_850
    # paying twice is refused
    assert_error(await street.post(f"/api/incentives/batches/{batch['id']}/paid"), 409)

    # every step is visible to the volunteer, in order
    me = (await volunteer.get("/api/volunteers/me")).json()
    [mine_award] = me["awards"]
    assert mine_award["status"] == "paid" and mine_award["amount_fen"] == 8_850
    assert [s["action"] for s in mine_award["steps"]] == [
        "award",
        "batch_proposed",
        "batch_approved",
        "batch_exported",
        "paid",
    ]
    assert me["paid_fen"] == 8_850
    # and on the batch's own trail, with who did it
    detail = (await street.get(f"/api/incentives/batches/{batch['id']}")).json()
    assert [(e["action"], e["actor_id"]) for e in detail["events"]] == [
        ("batch_proposed", admin.user_id),
        ("batch_approved", street.user_id),
        ("batch_exported", street.user_id),
        ("paid", street.user_id),
    ]

    # the leaderboard shows the name this volunteer chose to show
    board = (await volunteer.get("/api/volunteers/leaderboard")).json()
    assert any(r["name"] == "王小明" and r["me"] and r["points"] >= 15 for r in board)


async def test_a_street_admin_who_proposes_cannot_approve_but_another_person_can(
    client: Any,
) -> None:
    volunteer = await new_volunteer(client)
    report_id = await submit_offline_report(volunteer)
    admin = await as_user(client, "admin.a")
    await room_for(client, 1_000)
    made = await admin.post(
        "/api/incentives/awards", json=award_body(volunteer.user_id, report_id, 1_000)
    )
    assert made.status_code == 201, made.text
    street = await as_user(client, "street.a")
    proposed = await street.post(
        "/api/incentives/batches",
        json={"org_unit_id": str(COMMUNITY_A), "award_ids": [made.json()["id"]]},
    )
    assert proposed.status_code == 201, proposed.text
    batch_id = proposed.json()["id"]
    assert_error(
        await street.post(f"/api/incentives/batches/{batch_id}/approve"), 403, "same_person"
    )
    # a community admin is not an approver at all
    assert_error(await admin.post(f"/api/incentives/batches/{batch_id}/approve"), 403, "forbidden")
    district = await as_user(client, "district")
    approved = await district.post(f"/api/incentives/batches/{batch_id}/approve")
    assert approved.status_code == 200, approved.text
    # approving twice is refused
    assert_error(await district.post(f"/api/incentives/batches/{batch_id}/approve"), 409)
