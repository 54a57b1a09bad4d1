"""Issue 15, drafting and signing: an agreement drafted offline with both parties' signatures
syncs once; editing the signed text clears the signatures and says so; concurrent edits of the
terms open a conflict; parties come from the dispute with only the last four ID characters."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest

from tests.helpers import COMMUNITY_B, login
from tests.server.agreements.support import (
    PARTIES,
    TERMS,
    dispute_with_parties,
    draft_fields,
    signatures_for,
    signed_agreement,
)
from tests.server.replication.support import (
    as_user,
    assert_rejected,
    fresh,
    pull_new,
    record_of,
    table_counts,
)

pytestmark = pytest.mark.usefixtures("database")


def ok(result: dict[str, Any]) -> None:
    """Applied, or merged with the server's own stamps (facts, content hash) since the base."""
    assert result["status"] in ("applied", "merged") and result["error"] is None, result


def _when(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


async def test_drafted_offline_with_two_signatures_syncs_once(client: Any) -> None:
    grid_worker = await as_user(client, "gw.a1")
    dispute_id = await dispute_with_parties(grid_worker)
    lawyer = await login(client, "lawyer.a")  # a fresh device: its seqs start at 1
    signatures = await signatures_for(lawyer, [p["name"] for p in PARTIES])
    agreement_id = str(uuid.uuid4())
    # offline: the draft, then the parties' signatures, then "signed" — all on base version 0
    batch = [
        lawyer.mutation("agreements", agreement_id, draft_fields(dispute_id, lawyer.user_id)),
        lawyer.mutation("agreements", agreement_id, {"signatures": signatures}),
        lawyer.mutation("agreements", agreement_id, {"status": "signed"}),
    ]
    before = await table_counts()
    first = await lawyer.push(*batch)
    assert first.status_code == 200, first.text
    results = first.json()["results"]
    assert all(r["status"] in ("applied", "merged") for r in results), results
    again = await lawyer.push(*batch)  # the phone did not hear the answer and resends
    assert again.json()["results"] == results
    after = await table_counts()
    assert after["agreements"] == before["agreements"] + 1

    reader = await fresh(client, "gw.a1")  # a grid worker reads it
    record = reader.seen[("agreements", agreement_id)]
    fields = record["fields"]
    assert fields["status"] == "signed"
    assert sorted(s["party_name"] for s in fields["signatures"]) == ["张三", "李四"]
    assert fields["parties"] == PARTIES
    assert fields["facts"].startswith("张三家楼上李四家装修")  # from the dispute
    signed_at = _when(fields["signed_at"])
    assert _when(fields["submit_by"]) - signed_at == timedelta(days=30)
    assert len(fields["content_sha256"]) == 64


async def test_editing_terms_after_signing_clears_signatures_and_says_so(client: Any) -> None:
    grid_worker = await as_user(client, "gw.a1")
    lawyer = await as_user(client, "lawyer.a")
    agreement_id, record = await signed_agreement(lawyer, await dispute_with_parties(grid_worker))
    signed_hash = record["fields"]["content_sha256"]
    result = await lawyer.push_one(
        "agreements",
        agreement_id,
        {"terms": TERMS + "\n李四承担本次维修的材料费。"},
        base_version=record["version"],
    )
    ok(result)
    changes = await pull_new(lawyer)
    fields = changes[("agreements", agreement_id)]["fields"]
    assert fields["signatures"] == []
    assert fields["status"] == "draft"
    assert fields["signed_at"] is None and fields["submit_by"] is None
    assert fields["content_sha256"] != signed_hash
    notices = [
        c["fields"]
        for (collection, _), c in changes.items()
        if collection == "notifications" and c["fields"]["type"] == "agreement_signatures_cleared"
    ]
    assert notices and "签名已清除" in notices[0]["title"], notices


async def test_an_offline_edit_of_the_old_text_clears_signatures_given_meanwhile(
    client: Any,
) -> None:
    grid_worker = await as_user(client, "gw.a1")
    lawyer = await as_user(client, "lawyer.a")
    admin = await as_user(client, "admin.a")
    dispute_id = await dispute_with_parties(grid_worker)
    agreement_id = str(uuid.uuid4())
    ok(await lawyer.push_one("agreements", agreement_id, draft_fields(dispute_id, lawyer.user_id)))
    # the lawyer collects both signatures on version 1 ...
    signatures = await signatures_for(lawyer, ["张三", "李四"])
    ok(
        await lawyer.push_one(
            "agreements", agreement_id, {"signatures": signatures}, base_version=1
        )
    )
    # ... while the admin, offline since version 1, rewrote a party's role
    edited = [dict(PARTIES[0]), {**PARTIES[1], "role": "被申请人（房屋所有人）"}]
    result = await admin.push_one("agreements", agreement_id, {"parties": edited}, base_version=1)
    assert result["status"] in ("applied", "merged"), result
    record = await record_of(lawyer, "agreements", agreement_id)
    assert record is not None
    assert record["fields"]["signatures"] == []  # given on a text that has changed since


async def test_signatures_added_with_the_edit_stay(client: Any) -> None:
    grid_worker = await as_user(client, "gw.a1")
    lawyer = await as_user(client, "lawyer.a")
    agreement_id, record = await signed_agreement(lawyer, await dispute_with_parties(grid_worker))
    new_signatures = await signatures_for(lawyer, ["张三", "李四"])
    result = await lawyer.push_one(
        "agreements",
        agreement_id,
        {"terms": "李四于2027年2月28日前支付3000元。", "signatures": new_signatures},
        base_version=record["version"],
    )
    ok(result)
    fields = (await record_of(lawyer, "agreements", agreement_id) or {})["fields"]
    assert sorted(s["attachment"] for s in fields["signatures"]) == sorted(
        s["attachment"] for s in new_signatures
    )
    assert fields["status"] == "draft"  # signed again only by saying so


async def test_concurrent_terms_edits_open_a_conflict(client: Any) -> None:
    grid_worker = await as_user(client, "gw.a1")
    lawyer = await as_user(client, "lawyer.a")
    admin = await as_user(client, "admin.a")
    dispute_id = await dispute_with_parties(grid_worker)
    agreement_id = str(uuid.uuid4())
    ok(await lawyer.push_one("agreements", agreement_id, draft_fields(dispute_id, lawyer.user_id)))
    ok(
        await lawyer.push_one(
            "agreements", agreement_id, {"terms": "分三期付款，每期1000元。"}, base_version=1
        )
    )
    result = await admin.push_one(
        "agreements", agreement_id, {"terms": "一次性付清3000元。"}, base_version=1
    )
    assert result["status"] == "conflict", result
    assert len(result["conflict_ids"]) == 1
    conflict = await record_of(admin, "conflicts", result["conflict_ids"][0])
    assert conflict is not None
    assert conflict["fields"]["target_collection"] == "agreements"
    assert conflict["fields"]["field"] == "terms"
    assert conflict["fields"]["theirs"] == "分三期付款，每期1000元。"
    assert conflict["fields"]["yours"] == "一次性付清3000元。"
    stored = await record_of(lawyer, "agreements", agreement_id)
    assert stored is not None and stored["fields"]["terms"] == "分三期付款，每期1000元。"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"parties": [{"name": "王五", "role": "申请人"}]}, "parties"),
        ({"parties": [{"name": "张三", "id_number": "440301199001011234"}]}, "parties"),
        ({"parties": [{"name": "张三", "id_number_last4": "1234X"}]}, "parties"),
        ({"parties": [{"name": "张三", "id_number_last4": "12a4"}]}, "parties"),
        (
            {
                "signatures": [
                    {
                        "party_name": "王五",
                        "attachment": "a" * 64,
                        "signed_at": "2026-12-03T02:00:00Z",
                    }
                ]
            },
            "signatures",
        ),
        (
            {"signatures": [{"party_name": "张三", "attachment": "not-a-hash", "signed_at": "x"}]},
            "signatures",
        ),
        ({"status": "signed"}, "status"),
        (
            {
                "mediator_id": None,
                "status": "draft",
                "confirmation_room_id": "00000000-0000-4000-8000-000000000000",
            },
            "confirmation_room_id",
        ),
    ],
)
async def test_bad_drafts_are_refused_and_change_nothing(
    client: Any, fields: dict[str, Any], field: str
) -> None:
    grid_worker = await as_user(client, "gw.a1")
    lawyer = await as_user(client, "lawyer.a")
    dispute_id = await dispute_with_parties(grid_worker)
    agreement_id = str(uuid.uuid4())
    before = await table_counts()
    result = await lawyer.push_one(
        "agreements", agreement_id, {**draft_fields(dispute_id, lawyer.user_id), **fields}
    )
    assert result["status"] == "rejected", result
    if field == "status":  # a draft is created as a draft, whatever else is wrong with it
        assert result["error"]["code"] in ("invalid_transition", "validation"), result
    else:
        assert assert_rejected(result, "validation").get("field") == field, result
    assert (await table_counts())["agreements"] == before["agreements"]


async def test_signed_needs_one_signature_per_party(client: Any) -> None:
    grid_worker = await as_user(client, "gw.a1")
    lawyer = await as_user(client, "lawyer.a")
    dispute_id = await dispute_with_parties(grid_worker)
    agreement_id = str(uuid.uuid4())
    one = await signatures_for(lawyer, ["张三"])
    ok(
        await lawyer.push_one(
            "agreements", agreement_id, draft_fields(dispute_id, lawyer.user_id, signatures=one)
        )
    )
    result = await lawyer.push_one("agreements", agreement_id, {"status": "signed"}, base_version=1)
    details = assert_rejected(result, "validation")
    assert details["field"] == "signatures"
    two = [*one, *(await signatures_for(lawyer, ["张三"]))]
    result = await lawyer.push_one("agreements", agreement_id, {"signatures": two}, base_version=1)
    assert assert_rejected(result, "validation")["field"] == "signatures"  # one each


async def test_an_agreement_needs_an_existing_readable_dispute(client: Any) -> None:
    lawyer = await as_user(client, "lawyer.a")
    other_grid_worker = await as_user(client, "gw.b1")
    fields = draft_fields(str(uuid.uuid4()), lawyer.user_id)
    missing = await lawyer.push_one("agreements", str(uuid.uuid4()), fields)
    assert assert_rejected(missing, "validation")["field"] == "dispute_id"
    no_dispute = {k: v for k, v in fields.items() if k != "dispute_id"}
    assert_rejected(
        await lawyer.push_one("agreements", str(uuid.uuid4()), no_dispute), "validation"
    )
    elsewhere = await dispute_with_parties(other_grid_worker, community=COMMUNITY_B)
    foreign = await lawyer.push_one(
        "agreements", str(uuid.uuid4()), draft_fields(elsewhere, lawyer.user_id)
    )
    assert_rejected(foreign, "forbidden")
