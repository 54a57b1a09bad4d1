"""Deletes (issue 8 "Lifecycle rules", COMMAND_API.md "Initial states"): a grid worker never
deletes a record (`withdrawn` is their way out), the community admins of its scope do, and a
delete closes the record's open warnings.

How a closed warning looks is the implementers' choice; `warning_is_closed` below is the one
place that decides and accepts either a tombstone of the warning or a field marking it closed.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.helpers import new_dispute
from tests.server.replication.support import (
    as_user,
    assert_ok,
    assert_rejected,
    caught_up,
    create,
    create_dispute,
    pull_new,
    record_of,
)

pytestmark = pytest.mark.usefixtures("database")


def warning_is_closed(change: dict[str, Any]) -> bool:
    """A warning as pulled is closed: a tombstone, or a `status` of closed/resolved, or a
    `closed_at` time.  (Proposed: keep the warning — the command view counts warnings raised —
    and add server fields `status` open→closed and `closed_at`.)"""
    if change["deleted"]:
        return True
    fields = change["fields"]
    return fields.get("status") in ("closed", "resolved") or bool(fields.get("closed_at"))


async def _warnings_about(session: Any, subject_id: str) -> list[dict[str, Any]]:
    await pull_new(session)
    return [
        change
        for (collection, _), change in session.seen.items()
        if collection == "warnings"
        and (change["deleted"] or change["fields"].get("subject_id") == subject_id)
    ]


async def test_a_grid_worker_cannot_delete_their_own_dispute(client: Any) -> None:
    """Even the author, a grid worker, gets `forbidden`; the dispute stays as it was."""
    gw = await as_user(client, "gw.a1")
    record_id = await create_dispute(gw)
    assert_rejected(
        await gw.push_one("disputes", record_id, op="delete", base_version=1), "forbidden"
    )
    record = await record_of(gw, "disputes", record_id)
    assert record is not None and record["deleted"] is False and record["version"] == 1


async def test_a_grid_worker_withdraws_instead(client: Any) -> None:
    """The grid worker's way out is `status: withdrawn` (the control for the rule above)."""
    gw = await as_user(client, "gw.a1")
    record_id = await create_dispute(gw)
    assert_ok(await gw.push_one("disputes", record_id, {"status": "withdrawn"}, base_version=1))


async def test_a_grid_worker_cannot_delete_a_colleagues_dispute(client: Any) -> None:
    author, colleague = await as_user(client, "gw.a1"), await as_user(client, "gw.a2")
    record_id = await create_dispute(author)
    assert_rejected(
        await colleague.push_one("disputes", record_id, op="delete", base_version=1), "forbidden"
    )


async def test_a_grid_worker_cannot_delete_their_own_visit(client: Any) -> None:
    """No record is deleted by a grid worker: their own visit of a dispute neither."""
    gw = await as_user(client, "gw.a1")
    dispute_id = await create_dispute(gw)
    visit_id = await create(gw, "visits", {"dispute_id": dispute_id, "kind": "visit"})
    assert_rejected(await gw.push_one("visits", visit_id, op="delete", base_version=1), "forbidden")


async def test_the_community_admin_of_the_scope_deletes(client: Any) -> None:
    gw, admin = await as_user(client, "gw.a1"), await as_user(client, "admin.a")
    record_id = await create_dispute(gw)
    assert assert_ok(await admin.push_one("disputes", record_id, op="delete", base_version=1)) == 2
    record = await record_of(gw, "disputes", record_id)
    assert record is not None and record["deleted"] is True


async def test_another_communitys_admin_cannot_delete(client: Any) -> None:
    gw, other = await as_user(client, "gw.a1"), await as_user(client, "admin.b")
    record_id = await create_dispute(gw)
    result = await other.push_one("disputes", record_id, op="delete", base_version=1)
    assert result["status"] == "rejected", result
    assert result["error"]["code"] in ("forbidden", "not_found"), result
    record = await record_of(gw, "disputes", record_id)
    assert record is not None and record["deleted"] is False


async def test_deleting_a_dispute_closes_its_open_warnings(client: Any) -> None:
    """A red dispute raises a warning; the admin's delete of the dispute closes that warning for
    everyone who pulls it (the admin, the street) and leaves other warnings open."""
    gw, admin = await as_user(client, "gw.a1"), await as_user(client, "admin.a")
    street = await caught_up(await as_user(client, "street.a"))
    doomed = str(uuid.uuid4())
    assert_ok(await gw.push_one("disputes", doomed, new_dispute(risk_level="red")))
    other = str(uuid.uuid4())
    assert_ok(await gw.push_one("disputes", other, new_dispute(risk_level="red")))
    raised = [w for w in await _warnings_about(admin, doomed) if not warning_is_closed(w)]
    assert raised, "a red dispute raises an open warning"

    assert_ok(await admin.push_one("disputes", doomed, op="delete", base_version=1))
    for session in (admin, street):
        await pull_new(session)
        for warning in raised:
            now = session.seen.get(("warnings", warning["record_id"]))
            assert now is not None, session.username
            assert warning_is_closed(now), (session.username, now)
    still_open = await _warnings_about(admin, other)
    assert still_open and not any(warning_is_closed(w) for w in still_open)
