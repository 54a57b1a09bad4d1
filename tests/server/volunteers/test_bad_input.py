"""Bad input to every volunteers and incentives endpoint gets a clear 4xx in the error envelope
and changes nothing (the fund's figures are compared before and after)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.helpers import COMMUNITY_A, STREET_A
from tests.server.replication.support import as_user, assert_error
from tests.server.volunteers.support import (
    award_body,
    fund,
    new_volunteer,
    room_for,
    submit_offline_report,
)

pytestmark = pytest.mark.usefixtures("database")


@pytest.fixture
async def cited(client: Any) -> tuple[str, str]:
    volunteer = await new_volunteer(client)
    return volunteer.user_id, await submit_offline_report(volunteer)


BAD_AMOUNTS = [0, -100, 12.5, "500", None, True, 10**12]


@pytest.mark.parametrize("amount", BAD_AMOUNTS, ids=[repr(a) for a in BAD_AMOUNTS])
async def test_an_amount_is_a_positive_integer_of_fen(
    client: Any, cited: tuple[str, str], amount: Any
) -> None:
    admin = await as_user(client, "admin.a")
    await room_for(client, 10_000)
    before = await fund(admin)
    response = await admin.post(
        "/api/incentives/awards", json=award_body(*cited, amount_fen=amount)
    )
    assert 400 <= response.status_code < 500
    assert_error(response, response.status_code)
    assert await fund(admin) == before


@pytest.mark.parametrize(
    "change",
    [
        {"volunteer_id": "not-a-uuid"},
        {"source_id": "x"},
        {"reason": ""},
        {"reason": "长" * 501},
        {"source_collection": "Reports; DROP TABLE"},
        {"source_collection": "gossip"},
        {"source_id": str(uuid.uuid4())},
        {"volunteer_id": str(uuid.uuid4())},
        {"surprise": 1},
    ],
    ids=lambda c: next(iter(c)),
)
async def test_bad_award_fields(
    client: Any, cited: tuple[str, str], change: dict[str, Any]
) -> None:
    admin = await as_user(client, "admin.a")
    await room_for(client, 10_000)
    before = await fund(admin)
    response = await admin.post("/api/incentives/awards", json={**award_body(*cited), **change})
    assert response.status_code in (400, 422), response.text
    assert_error(response, response.status_code)
    assert await fund(admin) == before


async def test_missing_fields_and_non_json(client: Any, cited: tuple[str, str]) -> None:
    admin = await as_user(client, "admin.a")
    for missing in ("volunteer_id", "amount_fen", "reason", "source_collection", "source_id"):
        body = {k: v for k, v in award_body(*cited).items() if k != missing}
        assert_error(await admin.post("/api/incentives/awards", json=body), 400)
    response = await admin.client.post(
        "/api/incentives/awards",
        content=b"{not json",
        headers={**admin.headers, "Content-Type": "application/json"},
    )
    assert_error(response, 400)
    assert_error(await admin.post("/api/incentives/awards", json=[1, 2]), 400)


async def test_bad_fund_queries_and_budgets(client: Any) -> None:
    admin = await as_user(client, "admin.a")
    street = await as_user(client, "street.a")
    assert_error(await admin.get("/api/incentives/fund"), 400)
    assert_error(await admin.get("/api/incentives/fund", params={"org_unit_id": "x"}), 400)
    assert_error(
        await admin.get(
            "/api/incentives/fund", params={"org_unit_id": str(COMMUNITY_A), "year": "abc"}
        ),
        400,
    )
    assert_error(
        await admin.get(
            "/api/incentives/fund", params={"org_unit_id": str(COMMUNITY_A), "year": 1066}
        ),
        400,
    )
    assert_error(
        await street.get("/api/incentives/fund", params={"org_unit_id": str(uuid.uuid4())}), 404
    )
    for body in (
        {"org_unit_id": str(STREET_A), "year": 2026, "budget_fen": -1},
        {"org_unit_id": str(STREET_A), "year": 2026, "budget_fen": 1.5},
        {"org_unit_id": str(STREET_A), "year": 99999, "budget_fen": 1},
        {"org_unit_id": str(STREET_A), "budget_fen": 1},
        {"org_unit_id": str(STREET_A), "year": 2026, "budget_fen": 1, "extra": True},
    ):
        response = await street.client.put(
            "/api/incentives/fund", headers=street.headers, json=body
        )
        assert_error(response, 400)


async def test_bad_batches_and_reversals(client: Any, cited: tuple[str, str]) -> None:
    admin = await as_user(client, "admin.a")
    batches = "/api/incentives/batches"
    assert_error(
        await admin.post(batches, json={"org_unit_id": str(COMMUNITY_A), "award_ids": []}), 400
    )
    assert_error(await admin.post(batches, json={"org_unit_id": str(COMMUNITY_A)}), 400)
    assert_error(
        await admin.post(
            batches, json={"org_unit_id": str(COMMUNITY_A), "award_ids": [str(uuid.uuid4())]}
        ),
        404,
    )
    await room_for(client, 200)
    made = (
        await admin.post("/api/incentives/awards", json=award_body(*cited, amount_fen=200))
    ).json()
    assert_error(
        await admin.post(
            batches, json={"org_unit_id": str(COMMUNITY_A), "award_ids": [made["id"], made["id"]]}
        ),
        422,
    )
    street = await as_user(client, "street.a")
    assert_error(
        await street.post(batches, json={"org_unit_id": str(STREET_A), "award_ids": [made["id"]]}),
        422,
    )
    missing = uuid.uuid4()
    assert_error(await street.post(f"{batches}/{missing}/approve"), 404)
    assert_error(await street.post(f"{batches}/{missing}/paid"), 404)
    assert_error(await street.get(f"{batches}/{missing}/export.xlsx"), 404)
    assert_error(await street.get(f"{batches}/not-a-uuid"), 404)
    assert_error(await admin.post(f"/api/incentives/awards/{made['id']}/reverse", json={}), 400)
    assert_error(
        await admin.post(f"/api/incentives/awards/{missing}/reverse", json={"reason": "x"}), 404
    )
    assert_error(
        await admin.get(
            "/api/incentives/awards", params={"org_unit_id": str(COMMUNITY_A), "status": "gone"}
        ),
        400,
    )
    # the award is untouched by all that
    listed = (
        await admin.get("/api/incentives/awards", params={"org_unit_id": str(COMMUNITY_A)})
    ).json()
    assert next(a for a in listed if a["id"] == made["id"])["status"] == "awarded"


async def test_bad_joins_invites_and_rules(client: Any) -> None:
    join = "/api/volunteers/join"
    good = {
        "code": "ABCDEFGHJKMN",
        "username": "v.ok",
        "password": "long-enough-1",
        "display_name": "名",
    }
    for change in (
        {"password": "short"},
        {"username": "has space"},
        {"username": ""},
        {"display_name": ""},
        {"code": ""},
        {"show_name": "yes"},
        {"role": "district_admin"},
    ):
        assert_error(await client.post(join, json={**good, **change}), 400)
    assert_error(await client.post(join, json={k: v for k, v in good.items() if k != "code"}), 400)
    admin = await as_user(client, "admin.a")
    assert_error(await admin.post("/api/volunteers/invites", json={"community_id": "x"}), 400)
    assert_error(
        await admin.post("/api/volunteers/invites", json={"community_id": str(uuid.uuid4())}), 422
    )
    rules = "/api/volunteers/rules"
    for body in (
        {"community_id": str(COMMUNITY_A), "report_accepted": -1},
        {"community_id": str(COMMUNITY_A), "report_accepted": 2.5},
        {"community_id": str(COMMUNITY_A), "bribe": 5},
        {"report_accepted": 5},
    ):
        assert_error(await admin.client.put(rules, headers=admin.headers, json=body), 400)
    assert (await admin.get(rules)).status_code == 200
    volunteer = await new_volunteer(client)
    assert_error(
        await volunteer.client.put(
            "/api/volunteers/me/preferences", headers=volunteer.headers, json={"show_name": "maybe"}
        ),
        400,
    )
    assert_error(
        await volunteer.client.put(
            rules, headers=volunteer.headers, json={"community_id": str(COMMUNITY_A)}
        ),
        403,
    )
