"""The money path on either engine: a replayed key pays once, concurrent awards never overdraw
the budget, the ledger is append-only (the database refuses UPDATE and DELETE) and always sums
to the fund's figures; corrections are reversing entries."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from piccolo.querystring import QueryString

from server.db import engine
from server.incentives.ledger import find_fund, ledger_sums
from tests.helpers import COMMUNITY_A, COMMUNITY_B
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


async def assert_ledger_matches_fund(client: Any, unit: uuid.UUID = COMMUNITY_A) -> dict[str, Any]:
    admin = await as_user(client, "admin.a" if unit == COMMUNITY_A else "admin.b")
    figures = await fund(admin, unit)
    row = await find_fund(unit, figures["year"])
    assert row is not None
    sums = await ledger_sums(row["id"])
    assert sums == {k: figures[k] for k in ("budget", "awarded", "paid")}
    assert figures["balance"] == figures["budget"] - figures["awarded"] >= 0
    return figures


async def post_award(admin: Any, body: dict[str, Any], idem: str | None = None) -> Any:
    headers = {**admin.headers, **({"Idempotency-Key": idem} if idem else {})}
    return await admin.client.post("/api/incentives/awards", json=body, headers=headers)


async def test_a_replayed_key_pays_once(client: Any) -> None:
    volunteer = await new_volunteer(client)
    report_id = await submit_offline_report(volunteer)
    admin = await as_user(client, "admin.a")
    await room_for(client, 10_000)
    before = await fund(admin)
    idem = key()
    body = award_body(volunteer.user_id, report_id, 3_000)
    first = await post_award(admin, body, idem)
    assert first.status_code == 201, first.text
    again = await post_award(admin, body, idem)
    assert again.status_code == 201, again.text
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    # the key may also travel in the body (a client that cannot set headers)
    in_body = await post_award(admin, {**body, "idempotency_key": idem})
    assert in_body.json()["id"] == first.json()["id"]
    assert (await fund(admin))["awarded"] == before["awarded"] + 3_000
    # the same key for a different award is a client bug, refused and not paid
    other = await post_award(admin, {**body, "amount_fen": 3_001}, idem)
    assert_error(other, 422, "idempotency_key_reused")
    assert (await fund(admin))["awarded"] == before["awarded"] + 3_000
    await assert_ledger_matches_fund(client)


async def test_concurrent_replays_of_one_key_pay_once(client: Any) -> None:
    volunteer = await new_volunteer(client)
    report_id = await submit_offline_report(volunteer)
    admin = await as_user(client, "admin.a")
    await room_for(client, 100_000)
    before = await fund(admin)
    idem = key()
    body = award_body(volunteer.user_id, report_id, 1_234)
    answers = await asyncio.gather(*(post_award(admin, body, idem) for _ in range(10)))
    assert {a.status_code for a in answers} == {201}, [a.text for a in answers]
    assert len({a.json()["id"] for a in answers}) == 1
    assert (await fund(admin))["awarded"] == before["awarded"] + 1_234
    await assert_ledger_matches_fund(client)


async def test_fifty_concurrent_awards_against_a_budget_for_twenty(client: Any) -> None:
    volunteer = await new_volunteer(client)
    report_id = await submit_offline_report(volunteer)
    admin = await as_user(client, "admin.a")
    await room_for(client, 20 * 500)
    before = await fund(admin)
    assert before["balance"] == 10_000
    answers = await asyncio.gather(
        *(
            post_award(admin, award_body(volunteer.user_id, report_id, 500), key())
            for _ in range(50)
        )
    )
    codes = sorted(a.status_code for a in answers)
    assert codes == [201] * 20 + [409] * 30, [a.text for a in answers if a.status_code >= 500]
    for refused in (a for a in answers if a.status_code == 409):
        assert_error(refused, 409, "budget_exceeded")
    after = await assert_ledger_matches_fund(client)
    assert after["balance"] == 0
    assert after["awarded"] == before["awarded"] + 10_000


async def test_an_award_beyond_the_balance_is_refused_and_changes_nothing(client: Any) -> None:
    volunteer = await new_volunteer(client)
    report_id = await submit_offline_report(volunteer)
    admin = await as_user(client, "admin.a")
    await room_for(client, 999)
    before = await fund(admin)
    refused = await post_award(admin, award_body(volunteer.user_id, report_id, 1_000), key())
    error = assert_error(refused, 409, "budget_exceeded")
    assert error["details"]["balance"] == 999
    assert await fund(admin) == before


async def test_no_fund_means_nothing_to_award(client: Any) -> None:
    volunteer = await new_volunteer(client, admin="admin.b")
    report_id = await submit_offline_report(volunteer, community=COMMUNITY_B)
    admin_b = await as_user(client, "admin.b")
    figures = await fund(admin_b, COMMUNITY_B)
    if figures["budget"] == 0:
        refused = await post_award(admin_b, award_body(volunteer.user_id, report_id, 100))
        assert_error(refused, 409, "budget_exceeded")


async def test_a_reversal_is_a_new_entry_and_gives_the_money_back(client: Any) -> None:
    volunteer = await new_volunteer(client)
    report_id = await submit_offline_report(volunteer)
    admin = await as_user(client, "admin.a")
    await room_for(client, 700)
    made = (await post_award(admin, award_body(volunteer.user_id, report_id, 700))).json()
    assert (await fund(admin))["balance"] == 0
    reversed_ = await admin.post(
        f"/api/incentives/awards/{made['id']}/reverse", json={"reason": "金额录错"}
    )
    assert reversed_.status_code == 200, reversed_.text
    assert reversed_.json()["status"] == "reversed"
    assert (await fund(admin))["balance"] == 700
    assert_error(
        await admin.post(f"/api/incentives/awards/{made['id']}/reverse", json={"reason": "再次"}),
        409,
        "not_reversible",
    )
    rows = await engine().run_querystring(
        QueryString(
            "SELECT kind, amount_fen FROM incentive_ledger WHERE award_id = {} ORDER BY id",
            uuid.UUID(made["id"]),
        )
    )
    assert [(r["kind"], int(r["amount_fen"])) for r in rows] == [("award", 700), ("reversal", -700)]
    steps = (await volunteer.get("/api/volunteers/me")).json()["awards"][0]["steps"]
    assert [s["action"] for s in steps] == ["award", "reverse"]
    await assert_ledger_matches_fund(client)


async def test_a_batched_award_cannot_be_reversed_or_batched_twice(client: Any) -> None:
    volunteer = await new_volunteer(client)
    report_id = await submit_offline_report(volunteer)
    admin = await as_user(client, "admin.a")
    await room_for(client, 300)
    made = (await post_award(admin, award_body(volunteer.user_id, report_id, 300))).json()
    batch = {"org_unit_id": str(COMMUNITY_A), "award_ids": [made["id"]]}
    assert (await admin.post("/api/incentives/batches", json=batch)).status_code == 201
    assert_error(await admin.post("/api/incentives/batches", json=batch), 409, "not_available")
    assert_error(
        await admin.post(f"/api/incentives/awards/{made['id']}/reverse", json={"reason": "x"}),
        409,
        "not_reversible",
    )


async def test_the_budget_cannot_drop_below_what_was_awarded(client: Any) -> None:
    street = await as_user(client, "street.a")
    figures = await room_for(client, 0)
    response = await street.client.put(
        "/api/incentives/fund",
        headers=street.headers,
        json={
            "org_unit_id": str(COMMUNITY_A),
            "year": figures["year"],
            "budget_fen": max(figures["awarded"] - 1, 0),
        },
    )
    if figures["awarded"] > 0:
        assert_error(response, 409, "budget_below_awarded")
    await assert_ledger_matches_fund(client)


@pytest.mark.parametrize("table", ["incentive_ledger", "incentive_events", "volunteer_points"])
async def test_the_ledgers_are_append_only_in_the_database(client: Any, table: str) -> None:
    # make sure each table has a row
    volunteer = await new_volunteer(client)
    report_id = await submit_offline_report(volunteer)
    gw = await as_user(client, "gw.a1")
    seen = await record_of(gw, "reports", report_id)
    assert seen is not None
    await accept(gw, report_id, seen["version"])
    await room_for(client, 100)
    admin = await as_user(client, "admin.a")
    assert (
        await post_award(admin, award_body(volunteer.user_id, report_id, 100))
    ).status_code == 201

    db = engine()
    [count] = await db.run_querystring(QueryString(f"SELECT COUNT(*) AS n FROM {table}"))
    assert int(count["n"]) > 0
    for sql in (
        f"UPDATE {table} SET created_at = created_at"
        if table != "incentive_events"
        else f"UPDATE {table} SET at = at",
        f"DELETE FROM {table}",
    ):
        with pytest.raises(Exception, match="append-only"):
            await db.run_querystring(QueryString(sql))
    [again] = await db.run_querystring(QueryString(f"SELECT COUNT(*) AS n FROM {table}"))
    assert again["n"] == count["n"]
