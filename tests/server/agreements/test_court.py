"""Issue 15, judicial confirmation and who may do what: submit (court, a confirmation room of
the directory, date), confirmed with the case number and the scanned ruling (the dispute is
then resolved) or rejected with the reason; signed → draft only before submission; the 30-day
deadline reminds the lawyer; lawyers and community admins of the community write, grid
workers read and cannot sign for anyone, other communities see nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from server.agreements import jobs
from server.org.importer import unit_id
from tests.server.agreements.support import (
    PARTIES,
    ROOM_A,
    dispute_with_parties,
    draft_fields,
    signature_png,
    signatures_for,
    signed_agreement,
    upload,
)
from tests.server.replication.support import (
    as_user,
    assert_error,
    assert_rejected,
    pull_new,
    record_of,
)

pytestmark = pytest.mark.usefixtures("database")


def ok(result: dict[str, Any]) -> None:
    assert result["status"] in ("applied", "merged") and result["error"] is None, result


async def _current(session: Any, agreement_id: str) -> dict[str, Any]:
    record = await record_of(session, "agreements", agreement_id)
    assert record is not None
    return dict(record)


async def _step(session: Any, agreement_id: str, fields: dict[str, Any]) -> dict[str, Any]:
    record = await _current(session, agreement_id)
    result: dict[str, Any] = await session.push_one(
        "agreements", agreement_id, fields, base_version=record["version"]
    )
    return result


async def test_submitted_then_confirmed_resolves_the_dispute(client: Any) -> None:
    grid_worker = await as_user(client, "gw.a1")
    lawyer = await as_user(client, "lawyer.a")
    dispute_id = await dispute_with_parties(grid_worker)
    agreement_id, _ = await signed_agreement(lawyer, dispute_id)

    # the room must be a judicial confirmation room of the directory
    for wrong in (str(unit_id("GM.GUANGMING.C01")), str(uuid.uuid4())):
        refused = await _step(
            lawyer,
            agreement_id,
            {"status": "submitted", "court_name": "光明区人民法院", "confirmation_room_id": wrong},
        )
        assert assert_rejected(refused, "validation")["field"] == "confirmation_room_id"
    assert assert_rejected(
        await _step(lawyer, agreement_id, {"status": "submitted"}), "validation"
    )["field"] in ("court_name", "confirmation_room_id")

    ok(
        await _step(
            lawyer,
            agreement_id,
            {
                "status": "submitted",
                "court_name": "深圳市光明区人民法院",
                "confirmation_room_id": str(ROOM_A),
                "submitted_at": "2026-12-04T02:00:00Z",
            },
        )
    )
    # with the court: back to draft is no longer a way, and the text is fixed
    back = await _step(lawyer, agreement_id, {"status": "draft"})
    assert back["status"] in ("rejected", "conflict"), back
    fixed = await _step(lawyer, agreement_id, {"terms": "改写的条款"})
    assert assert_rejected(fixed, "validation")["field"] == "terms"

    # the court accepts (case number), then confirms with the scanned ruling
    ok(
        await _step(
            lawyer,
            agreement_id,
            {"court_case_number": "(2026)粤0311民特123号", "accepted_at": "2026-12-05T02:00:00Z"},
        )
    )
    _, scan = signature_png()
    ruling = await upload(lawyer, scan)
    no_number = await _step(
        lawyer, agreement_id, {"court_case_number": None, "status": "confirmed"}
    )
    assert assert_rejected(no_number, "validation")["field"] == "court_case_number"
    ok(await _step(lawyer, agreement_id, {"status": "confirmed", "ruling": ruling}))

    changes = await pull_new(grid_worker)
    agreement = changes[("agreements", agreement_id)]["fields"]
    assert agreement["status"] == "confirmed"
    assert agreement["ruling"] == ruling
    assert agreement["ruled_at"] is not None
    assert agreement["submitted_at"] == "2026-12-04T02:00:00.000Z"
    dispute = changes[("disputes", dispute_id)]["fields"]
    assert dispute["status"] == "resolved"
    assert "司法确认" in dispute["resolution_summary"]
    # the ruling's scan is readable by those who read the agreement
    response = await grid_worker.get(f"/api/attachments/{ruling}")
    assert response.status_code == 200


async def test_rejected_needs_the_reason(client: Any) -> None:
    grid_worker = await as_user(client, "gw.a1")
    lawyer = await as_user(client, "lawyer.a")
    dispute_id = await dispute_with_parties(grid_worker)
    agreement_id, _ = await signed_agreement(lawyer, dispute_id)
    ok(
        await _step(
            lawyer,
            agreement_id,
            {
                "status": "submitted",
                "court_name": "光明区人民法院",
                "confirmation_room_id": str(ROOM_A),
            },
        )
    )
    assert (
        assert_rejected(await _step(lawyer, agreement_id, {"status": "rejected"}), "validation")[
            "field"
        ]
        == "rejection_reason"
    )
    ok(
        await _step(
            lawyer,
            agreement_id,
            {"status": "rejected", "rejection_reason": "协议内容违反法律强制性规定"},
        )
    )
    fields = (await _current(grid_worker, agreement_id))["fields"]
    assert fields["status"] == "rejected"
    dispute = await record_of(grid_worker, "disputes", dispute_id)
    assert dispute is not None and dispute["fields"]["status"] == "registered"


async def test_signed_goes_back_to_draft_before_submission(client: Any) -> None:
    grid_worker = await as_user(client, "gw.a1")
    lawyer = await as_user(client, "lawyer.a")
    agreement_id, _ = await signed_agreement(lawyer, await dispute_with_parties(grid_worker))
    ok(await _step(lawyer, agreement_id, {"status": "draft"}))
    fields = (await _current(lawyer, agreement_id))["fields"]
    assert fields["status"] == "draft" and fields["submit_by"] is None


async def test_permissions(client: Any) -> None:
    grid_worker = await as_user(client, "gw.a1")
    lawyer = await as_user(client, "lawyer.a")
    admin = await as_user(client, "admin.a")
    other_admin = await as_user(client, "admin.b")
    street = await as_user(client, "street.a")
    dispute_id = await dispute_with_parties(grid_worker)

    # a grid worker may not draft, nor sign for the parties
    refused = await grid_worker.push_one(
        "agreements", str(uuid.uuid4()), draft_fields(dispute_id, lawyer.user_id)
    )
    assert_rejected(refused, "forbidden")
    agreement_id, _ = await signed_agreement(lawyer, dispute_id)
    ok(await _step(lawyer, agreement_id, {"status": "draft"}))
    signatures = await signatures_for(grid_worker, ["张三"])
    record = await _current(grid_worker, agreement_id)
    assert_rejected(
        await grid_worker.push_one(
            "agreements", agreement_id, {"signatures": signatures}, base_version=record["version"]
        ),
        "forbidden",
    )
    # ... but reads the agreement and its document
    assert (
        await grid_worker.get(f"/api/agreements/{agreement_id}/document.pdf")
    ).status_code == 200

    # the community admin writes
    ok(await _step(admin, agreement_id, {"terms": "双方和解，李四支付3000元。"}))
    # another community's admin sees nothing and writes nothing
    assert await record_of(other_admin, "agreements", agreement_id) is None
    assert_error(
        await other_admin.get(f"/api/agreements/{agreement_id}/document.pdf"), 403, "forbidden"
    )
    assert_rejected(
        await other_admin.push_one(
            "agreements", str(uuid.uuid4()), draft_fields(dispute_id, lawyer.user_id)
        ),
        "forbidden",
    )
    # the street admin reads, but the agreement is the community's to write
    assert await record_of(street, "agreements", agreement_id) is not None
    assert_rejected(await _step(street, agreement_id, {"terms": "街道改写"}), "forbidden")
    # a signed agreement is never deleted; a draft made in error is, by its writers
    draft_id = str(uuid.uuid4())
    ok(await lawyer.push_one("agreements", draft_id, draft_fields(dispute_id, lawyer.user_id)))
    assert_rejected(
        await grid_worker.push_one("agreements", draft_id, op="delete", base_version=2),
        "forbidden",
    )


async def test_submission_deadline_reminds_the_lawyer_once_per_step(client: Any) -> None:
    grid_worker = await as_user(client, "gw.a1")
    lawyer = await as_user(client, "lawyer.a")
    agreement_id, record = await signed_agreement(lawyer, await dispute_with_parties(grid_worker))
    submit_by = datetime.fromisoformat(record["fields"]["submit_by"].replace("Z", "+00:00"))
    assert await jobs.remind_submission(datetime.now(UTC)) >= 0
    await pull_new(lawyer)

    async def reminders() -> list[dict[str, Any]]:
        return [
            c["fields"]
            for (collection, _), c in (await pull_new(lawyer)).items()
            if collection == "notifications"
            and c["fields"]["type"] == "agreement_deadline"
            and agreement_id in c["fields"]["url"]
        ]

    soon = submit_by - timedelta(days=6)
    assert await jobs.remind_submission(soon) >= 1
    first = await reminders()
    assert len(first) == 1 and "即将到期" in first[0]["title"], first
    await jobs.remind_submission(soon + timedelta(hours=1))  # again: nothing new
    assert await reminders() == []
    late = submit_by + timedelta(hours=1)
    await jobs.remind_submission(late)
    overdue = await reminders()
    assert len(overdue) == 1 and "逾期" in overdue[0]["title"], overdue
    assert PARTIES[0]["name"] not in overdue[0]["body"]  # no personal data in the notice
