"""Who sees and does what: a volunteer sees only their own reports (never another
volunteer's, never a dispute or its parties, not even the staff directory); grid workers of the
community answer reports with what each answer needs; invites are single-use, scoped and the
join endpoint is rate-limited; the fund is read and written only inside scope."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest

from tests.helpers import COMMUNITY_A, COMMUNITY_B, DISTRICT, STREET_A
from tests.server.replication.support import (
    as_user,
    assert_error,
    assert_ok,
    assert_rejected,
    create_dispute,
    record_of,
)
from tests.server.volunteers.support import (
    PASSWORD,
    accept,
    award_body,
    invite,
    join,
    new_volunteer,
    report_fields,
    submit_offline_report,
)

pytestmark = pytest.mark.usefixtures("database")


async def test_a_volunteer_sees_only_their_own_reports_and_no_dispute(client: Any) -> None:
    alice = await new_volunteer(client, name="甲志愿者")
    bob = await new_volunteer(client, name="乙志愿者")
    mine = await submit_offline_report(alice)
    theirs = await submit_offline_report(bob)
    gw = await as_user(client, "gw.a1")
    seen = await record_of(gw, "reports", theirs)
    assert seen is not None
    dispute_id = await accept(gw, theirs, seen["version"])
    await create_dispute(
        gw, parties=[{"name": "张三", "phone": "13800000000", "role": "applicant"}]
    )

    changes = await alice.pull_all()
    collections = {c["collection"] for c in changes}
    assert ("reports", mine) in alice.seen
    assert ("reports", theirs) not in alice.seen
    assert "disputes" not in collections and "visits" not in collections
    # the directory: only their own entry (no other volunteer's name, no staff list)
    users = [c for c in changes if c["collection"] == "users"]
    assert [u["record_id"] for u in users] == [alice.user_id]
    assert "张三" not in str(changes) and "乙志愿者" not in str(changes)
    # bob sees that his report became a dispute, by id only: the dispute itself stays closed
    await bob.pull_all()
    assert bob.seen[("reports", theirs)]["fields"]["dispute_id"] == dispute_id
    assert ("disputes", dispute_id) not in bob.seen
    # and bob's photo is not alice's to open
    photo = bob.seen[("reports", theirs)]["fields"]["photos"][0]
    assert_error(await alice.get(f"/api/attachments/{photo}"), 404)
    # a volunteer cannot read a record online either
    assert (await alice.get(f"/api/admin/audit/disputes/{dispute_id}")).status_code in (403, 404)


async def test_what_a_volunteer_may_not_write(client: Any) -> None:
    alice = await new_volunteer(client)
    bob = await new_volunteer(client)
    report_id = await submit_offline_report(alice)
    version = alice.seen.get(("reports", report_id), {}).get("version", 1)
    # answering their own report, setting server or outcome fields
    for fields in (
        {"status": "accepted"},
        {"dispute_id": str(uuid.uuid4())},
        {"outcome_reason": "自己说了算"},
    ):
        assert_rejected(
            await alice.push_one("reports", report_id, fields, base_version=version), "forbidden"
        )
    # someone else's report, deleting, another community, other collections
    assert_rejected(
        await bob.push_one("reports", report_id, {"title": "改掉"}, base_version=version),
        "forbidden",
    )
    assert_rejected(
        await alice.push_one("reports", report_id, {}, base_version=version, op="delete"),
        "forbidden",
    )
    assert_rejected(
        await alice.push_one("reports", None, report_fields(community=COMMUNITY_B)), "forbidden"
    )
    assert_rejected(
        await alice.push_one(
            "disputes",
            None,
            {"community_id": str(COMMUNITY_A), "title": "x", "risk_level": "blue"},
        ),
        "forbidden",
    )
    # a create naming an answered state is not a shortcut
    result = await alice.push_one("reports", None, report_fields(status="accepted"))
    assert result["status"] == "rejected"
    # editing while submitted is fine; after the answer it is closed
    assert_ok(
        await alice.push_one(
            "reports", report_id, {"description": "补充：有电动车"}, base_version=version
        )
    )
    gw = await as_user(client, "gw.a1")
    seen = await record_of(gw, "reports", report_id)
    assert seen is not None
    dismissed = await gw.push_one(
        "reports",
        report_id,
        {"status": "dismissed", "outcome_reason": "经核实已清理"},
        base_version=seen["version"],
    )
    assert_ok(dismissed)
    await alice.pull_all()
    answered = alice.seen[("reports", report_id)]
    assert answered["fields"]["status"] == "dismissed"
    assert answered["fields"]["outcome_reason"] == "经核实已清理"
    assert answered["fields"].get("points") is None
    assert_rejected(
        await alice.push_one(
            "reports", report_id, {"title": "再改"}, base_version=answered["version"]
        ),
        "forbidden",
    )


async def test_the_server_alone_writes_points(client: Any) -> None:
    alice = await new_volunteer(client)
    result = await alice.push_one("reports", None, report_fields(points=1000))
    assert result["status"] == "rejected"


async def test_answers_say_what_they_are(client: Any) -> None:
    alice = await new_volunteer(client)
    first = await submit_offline_report(alice)
    duplicate = await submit_offline_report(alice)
    gw = await as_user(client, "gw.a1")
    await record_of(gw, "reports", duplicate)
    version = gw.seen[("reports", duplicate)]["version"]

    def answer(fields: dict[str, Any]) -> Any:
        return gw.push_one("reports", duplicate, fields, base_version=version)

    assert_rejected(await answer({"status": "accepted"}), "validation")
    other_dispute = await create_dispute(await as_user(client, "gw.b1"), community=COMMUNITY_B)
    assert_rejected(await answer({"status": "accepted", "dispute_id": other_dispute}), "validation")
    assert_rejected(await answer({"status": "merged"}), "validation")
    assert_rejected(await answer({"status": "merged", "merged_into": duplicate}), "validation")
    assert_rejected(await answer({"status": "dismissed"}), "validation")
    assert_rejected(await answer({"status": "dismissed", "outcome_reason": "   "}), "validation")
    # a grid worker keeps the volunteer's words
    assert_rejected(await answer({"title": "改标题"}), "forbidden")
    # merging a duplicate earns the merge rule's points
    assert_ok(await answer({"status": "merged", "merged_into": first}))
    await alice.pull_all()
    merged = alice.seen[("reports", duplicate)]["fields"]
    assert merged["status"] == "merged" and merged["merged_into"] == first
    assert merged["points"] == 2
    # an answered report stays answered
    assert_rejected(
        await gw.push_one(
            "reports",
            duplicate,
            {"status": "dismissed", "outcome_reason": "x"},
            base_version=alice.seen[("reports", duplicate)]["version"],
        ),
        "invalid_transition",
    )


async def test_only_the_communitys_staff_see_and_answer_its_reports(client: Any) -> None:
    alice = await new_volunteer(client)
    report_id = await submit_offline_report(alice)
    for username in ("gw.a2", "admin.a", "street.a", "district", "lawyer.a"):
        assert await record_of(await as_user(client, username), "reports", report_id), username
    for username in ("gw.b1", "admin.b", "dept.housing", "psy.a"):
        assert await record_of(await as_user(client, username), "reports", report_id) is None
    outsider = await as_user(client, "gw.b1")
    assert_rejected(
        await outsider.push_one(
            "reports", report_id, {"status": "dismissed", "outcome_reason": "x"}, base_version=1
        ),
        "forbidden",
    )
    lawyer = await as_user(client, "lawyer.a")
    assert_rejected(
        await lawyer.push_one(
            "reports", report_id, {"status": "dismissed", "outcome_reason": "x"}, base_version=1
        ),
        "forbidden",
    )


# ---- invites --------------------------------------------------------------------------------


async def test_an_invite_is_single_use_and_shown_once(client: Any) -> None:
    made = await invite(client)
    assert len(made["code"]) == 12 and made["qr_svg"].startswith("data:image/svg+xml;base64,")
    assert made["code"] in made["join_url"]
    joined = await join(client, made["code"].lower())  # typed in lower case: still good
    assert joined["role"] == "volunteer" and joined["org_unit_id"] == str(COMMUNITY_A)
    again = await client.post(
        "/api/volunteers/join",
        json={
            "code": made["code"],
            "username": f"v{uuid.uuid4().hex[:8]}",
            "password": PASSWORD,
            "display_name": "又一位",
        },
    )
    assert_error(again, 404, "invalid_code")
    admin = await as_user(client, "admin.a")
    listed = (await admin.get("/api/volunteers/invites")).json()
    mine = next(i for i in listed if i["id"] == made["id"])
    assert mine["redeemed_by"] == joined["id"] and "code" not in mine


async def test_one_code_redeemed_twice_at_once_makes_one_account(client: Any) -> None:
    made = await invite(client)

    async def attempt(n: int) -> Any:
        return await client.post(
            "/api/volunteers/join",
            json={
                "code": made["code"],
                "username": f"race{n}.{uuid.uuid4().hex[:6]}",
                "password": PASSWORD,
                "display_name": f"并发{n}",
            },
        )

    answers = await asyncio.gather(*(attempt(n) for n in range(5)))
    assert sorted(a.status_code for a in answers) == [201, 404, 404, 404, 404]


async def test_who_may_make_invites(client: Any) -> None:
    gw = await as_user(client, "gw.a1")
    assert_error(await gw.post("/api/volunteers/invites", json={}), 403)
    admin_b = await as_user(client, "admin.b")
    assert_error(
        await admin_b.post("/api/volunteers/invites", json={"community_id": str(COMMUNITY_A)}), 403
    )
    street = await as_user(client, "street.a")
    # a street admin names the community; a street is not one
    assert_error(
        await street.post("/api/volunteers/invites", json={"community_id": str(STREET_A)}), 422
    )
    made = await street.post("/api/volunteers/invites", json={"community_id": str(COMMUNITY_A)})
    assert made.status_code == 201, made.text
    volunteer = await new_volunteer(client)
    assert_error(await volunteer.post("/api/volunteers/invites", json={}), 403)


async def test_the_join_endpoint_is_rate_limited_per_address(client: Any) -> None:
    statuses = []
    for n in range(12):
        response = await client.post(
            "/api/volunteers/join",
            json={
                "code": f"WRONGCODE{n:03d}",
                "username": f"guess{n}",
                "password": PASSWORD,
                "display_name": "猜码",
            },
        )
        statuses.append(response.status_code)
    assert statuses[:10] == [404] * 10
    assert statuses[10:] == [429, 429]
    assert "retry-after" in {k.lower() for k in response.headers}
    from server.accounts.tables import LoginThrottle

    await LoginThrottle.delete(force=True)


# ---- the fund and the awards: scope ---------------------------------------------------------


async def test_fund_and_awards_are_scoped(client: Any) -> None:
    alice = await new_volunteer(client)
    report_id = await submit_offline_report(alice)
    params = {"org_unit_id": str(COMMUNITY_A)}
    for username in ("gw.a1", "lawyer.a"):
        session = await as_user(client, username)
        assert_error(await session.get("/api/incentives/fund", params=params), 403)
        assert_error(
            await session.post("/api/incentives/awards", json=award_body(alice.user_id, report_id)),
            403,
        )
    assert_error(await alice.get("/api/incentives/fund", params=params), 403)
    admin_b = await as_user(client, "admin.b")
    assert_error(await admin_b.get("/api/incentives/fund", params=params), 403)
    assert_error(
        await admin_b.post("/api/incentives/awards", json=award_body(alice.user_id, report_id)), 403
    )
    # a community admin reads the district fund their awards may draw from
    admin = await as_user(client, "admin.a")
    district_fund = await admin.get("/api/incentives/fund", params={"org_unit_id": str(DISTRICT)})
    assert district_fund.status_code == 200
    assert set(district_fund.json()) >= {"budget", "awarded", "paid", "balance"}
    # budgets are set above the community
    assert_error(
        await admin.client.put(
            "/api/incentives/fund",
            headers=admin.headers,
            json={"org_unit_id": str(COMMUNITY_A), "year": 2026, "budget_fen": 1},
        ),
        403,
    )
    # an award cites a report of that volunteer
    bob = await new_volunteer(client)
    assert_error(
        await admin.post("/api/incentives/awards", json=award_body(bob.user_id, report_id)), 422
    )
    # staff are not volunteers
    gw = await as_user(client, "gw.a1")
    assert_error(
        await admin.post("/api/incentives/awards", json=award_body(gw.user_id, report_id)), 422
    )
    assert_error(await gw.get("/api/volunteers/me"), 403)


async def test_the_leaderboard_hides_names_unless_shown(client: Any) -> None:
    shy = await new_volunteer(client, name="不愿透露")
    report_id = await submit_offline_report(shy)
    gw = await as_user(client, "gw.a1")
    seen = await record_of(gw, "reports", report_id)
    assert seen is not None
    await accept(gw, report_id, seen["version"])
    board = (await shy.get("/api/volunteers/leaderboard")).json()
    row = next(r for r in board if r["me"])
    assert row["name"] == "志愿者 ***"
    assert all(r["name"] != "不愿透露" for r in board)
    shown = await shy.client.put(
        "/api/volunteers/me/preferences", headers=shy.headers, json={"show_name": True}
    )
    assert shown.status_code == 200 and shown.json()["show_name"] is True
    board = (await (await as_user(client, "admin.a")).get("/api/volunteers/leaderboard")).json()
    assert any(r["name"] == "不愿透露" for r in board)
    # a volunteer sees only their own community's board
    assert_error(
        await shy.get("/api/volunteers/leaderboard", params={"community_id": str(COMMUNITY_B)}), 403
    )
