"""Conflicts (SYNC_PROTOCOL.md "Push" field policies and deletes, "Conflicts"): opened by the
server, pulled by the people involved and the community's admins, resolved by a push."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.helpers import Session, login, new_dispute
from tests.server.replication.support import (
    as_user,
    assert_ok,
    assert_rejected,
    create_dispute,
    record_of,
)

pytestmark = pytest.mark.usefixtures("database")

CONFLICT_FIELDS = {
    "target_collection",
    "target_id",
    "field",
    "kind",
    "base",
    "theirs",
    "yours",
    "theirs_by",
    "yours_by",
    "status",
    "resolution",
    "resolved_by",
}


async def _risk_conflict(client: Any) -> tuple[Session, Session, str, str]:
    """gw.a2 raises the risk to yellow; gw.a1, from the same base, sets it back to blue while
    also retitling: the title applies, the risk is held in a conflict."""
    one, two = await as_user(client, "gw.a1"), await as_user(client, "gw.a2")
    record_id = await create_dispute(one, risk_level="blue")
    assert_ok(await two.push_one("disputes", record_id, {"risk_level": "yellow"}, base_version=1))
    result = await one.push_one(
        "disputes", record_id, {"risk_level": "blue", "title": "新标题"}, base_version=1
    )
    assert result["status"] == "conflict", result
    assert result["error"] is None
    assert result["record_version"] == 3  # the title was applied
    [conflict_id] = result["conflict_ids"]
    return one, two, record_id, conflict_id


async def test_a_manual_field_opens_a_conflict_and_keeps_the_servers_value(client: Any) -> None:
    one, two, record_id, conflict_id = await _risk_conflict(client)
    dispute = await record_of(one, "disputes", record_id)
    assert dispute is not None
    assert dispute["fields"]["risk_level"] == "yellow"
    assert dispute["fields"]["title"] == "新标题"
    conflict = await record_of(one, "conflicts", conflict_id)
    assert conflict is not None and conflict["version"] == 1
    fields = conflict["fields"]
    assert set(fields) >= CONFLICT_FIELDS
    assert fields["target_collection"] == "disputes"
    assert fields["target_id"] == record_id
    assert fields["field"] == "risk_level"
    assert fields["kind"] == "field"
    assert (fields["base"], fields["theirs"], fields["yours"]) == ("blue", "yellow", "blue")
    assert fields["theirs_by"] == two.user_id
    assert fields["yours_by"] == one.user_id
    assert (fields["status"], fields["resolution"], fields["resolved_by"]) == ("open", None, None)


@pytest.mark.parametrize(
    ("username", "sees"),
    [
        ("gw.a1", True),  # yours_by
        ("gw.a2", True),  # theirs_by
        ("admin.a", True),  # community admin of the scope
        # supervisors may read it (online) but their devices hold only their own clashes
        # (COMMAND_API.md "Supervisors' devices hold less")
        ("street.a", False),
        ("district", False),
        ("lawyer.a", False),  # same community, not involved, not an admin
        ("gw.b1", False),
        ("admin.b", False),
        ("psy.a", False),
        ("dept.housing", False),
    ],
)
async def test_who_pulls_a_conflict(client: Any, username: str, sees: bool) -> None:
    reader = await as_user(client, username)
    await record_of(reader, "conflicts", "-")  # catch up first
    *_, conflict_id = await _risk_conflict(client)
    assert (await record_of(reader, "conflicts", conflict_id) is not None) is sees
    online = await reader.get(f"/api/records/conflicts/{conflict_id}")
    may_read = sees or username in ("street.a", "district")
    assert online.status_code == (200 if may_read else 403), online.text


async def test_a_replayed_mutation_names_the_same_conflict(client: Any) -> None:
    one, two = await login(client, "gw.a1"), await as_user(client, "gw.a2")
    record_id = await create_dispute(one)
    assert_ok(await two.push_one("disputes", record_id, {"risk_level": "yellow"}, base_version=1))
    clash = one.mutation("disputes", record_id, {"risk_level": "blue"}, base_version=1)
    first = (await one.push(clash)).json()["results"][0]
    again = (await one.push(clash)).json()["results"][0]
    assert first == again and first["status"] == "conflict"


async def test_resolving_writes_the_target_as_a_new_version(client: Any) -> None:
    one, two, record_id, conflict_id = await _risk_conflict(client)
    admin = await as_user(client, "admin.a")
    result = await admin.push_one(
        "conflicts", conflict_id, {"status": "resolved", "resolution": "blue"}, base_version=1
    )
    assert assert_ok(result) == 2
    for session in (one, two, admin):
        dispute = await record_of(session, "disputes", record_id)
        assert dispute is not None
        assert dispute["version"] == 4 and dispute["fields"]["risk_level"] == "blue"
        conflict = await record_of(session, "conflicts", conflict_id)
        assert conflict is not None and conflict["version"] == 2
        assert conflict["fields"]["status"] == "resolved"
        assert conflict["fields"]["resolution"] == "blue"
        assert conflict["fields"]["resolved_by"] == admin.user_id
    # a resolved conflict stays resolved
    assert_rejected(
        await two.push_one(
            "conflicts", conflict_id, {"status": "resolved", "resolution": "yellow"}, base_version=2
        ),
        "invalid_transition",
    )


async def test_keeping_the_current_value_still_writes_the_target_as_a_new_version(
    client: Any,
) -> None:
    """SYNC_PROTOCOL.md: the server writes the resolution to the target as a new version, even
    when it is the current value (vector conflicts/resolve-keeps-current); one of the people
    involved may resolve."""
    one, two, record_id, conflict_id = await _risk_conflict(client)
    result = await two.push_one(
        "conflicts", conflict_id, {"status": "resolved", "resolution": "yellow"}, base_version=1
    )
    assert assert_ok(result) == 2
    dispute = await record_of(one, "disputes", record_id)
    assert dispute is not None and dispute["fields"]["risk_level"] == "yellow"
    assert dispute["version"] == 4
    conflict = await record_of(one, "conflicts", conflict_id)
    assert conflict is not None and conflict["fields"]["resolved_by"] == two.user_id


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"status": "resolved", "resolution": "purple"}, "validation"),
        ({"status": "resolved"}, "validation"),
        ({"resolution": "blue"}, "validation"),
        ({"status": "resolved", "resolution": "blue", "theirs": "blue"}, "read_only_field"),
        ({"status": "resolved", "resolution": "blue", "nope": 1}, "unknown_field"),
    ],
)
async def test_a_bad_resolution_is_rejected(client: Any, fields: dict[str, Any], code: str) -> None:
    one, _, _, conflict_id = await _risk_conflict(client)
    assert_rejected(await one.push_one("conflicts", conflict_id, fields, base_version=1), code)
    conflict = await record_of(one, "conflicts", conflict_id)
    assert conflict is not None and conflict["fields"]["status"] == "open"


@pytest.mark.parametrize("username", ["gw.b1", "lawyer.a", "admin.b", "dept.housing"])
async def test_outsiders_cannot_resolve(client: Any, username: str) -> None:
    *_, conflict_id = await _risk_conflict(client)
    outsider = await as_user(client, username)
    assert_rejected(
        await outsider.push_one(
            "conflicts", conflict_id, {"status": "resolved", "resolution": "blue"}, base_version=1
        ),
        "forbidden",
    )


async def test_devices_cannot_open_or_delete_conflicts(client: Any) -> None:
    one, _, _, conflict_id = await _risk_conflict(client)
    assert_rejected(await one.push_one("conflicts", None, {"status": "open"}), "forbidden")
    assert_rejected(
        await one.push_one("conflicts", conflict_id, op="delete", base_version=1), "forbidden"
    )


async def test_concurrent_lww_edits_merge_without_a_conflict(client: Any) -> None:
    one, two = await as_user(client, "gw.a1"), await as_user(client, "gw.a2")
    record_id = await create_dispute(one)
    now = int(time.time() * 1000)
    assert_ok(
        await one.push_one("disputes", record_id, {"title": "后写"}, base_version=1, hlc_ms=now)
    )
    older = await two.push_one(
        "disputes", record_id, {"title": "先写"}, base_version=1, hlc_ms=now - 60_000
    )
    assert older["status"] == "merged" and older["conflict_ids"] == []
    dispute = await record_of(two, "disputes", record_id)
    assert dispute is not None and dispute["fields"]["title"] == "后写"


async def test_concurrent_set_edits_merge(client: Any) -> None:
    one, two = await as_user(client, "gw.a1"), await as_user(client, "gw.a2")
    record_id = await create_dispute(one, tags=["a", "b"])
    assert_ok(await one.push_one("disputes", record_id, {"tags": ["a", "b", "c"]}, base_version=1))
    result = await two.push_one("disputes", record_id, {"tags": ["b", "d"]}, base_version=1)
    assert result["status"] == "merged"
    dispute = await record_of(one, "disputes", record_id)
    assert dispute is not None and sorted(dispute["fields"]["tags"]) == ["b", "c", "d"]


async def test_a_state_change_the_machine_forbids_from_theirs_is_a_conflict(
    client: Any,
) -> None:
    one, two = await as_user(client, "gw.a1"), await as_user(client, "gw.a2")
    record_id = await create_dispute(one)
    assert_ok(await two.push_one("disputes", record_id, {"status": "withdrawn"}, base_version=1))
    result = await one.push_one("disputes", record_id, {"status": "mediating"}, base_version=1)
    assert result["status"] == "conflict"
    conflict = await record_of(one, "conflicts", result["conflict_ids"][0])
    assert conflict is not None
    assert conflict["fields"]["kind"] == "state" and conflict["fields"]["field"] == "status"
    assert conflict["fields"]["theirs"] == "withdrawn"
    assert conflict["fields"]["yours"] == "mediating"
    dispute = await record_of(one, "disputes", record_id)
    assert dispute is not None and dispute["fields"]["status"] == "withdrawn"


async def test_a_state_change_the_machine_allows_from_theirs_applies(client: Any) -> None:
    one, two = await as_user(client, "gw.a1"), await as_user(client, "gw.a2")
    record_id = await create_dispute(one)
    assert_ok(await two.push_one("disputes", record_id, {"status": "mediating"}, base_version=1))
    result = await one.push_one("disputes", record_id, {"status": "escalated"}, base_version=1)
    assert result["status"] == "merged"


# ---- delete conflicts ------------------------------------------------------------------------


async def test_delete_vs_edit(client: Any) -> None:
    author, colleague = await as_user(client, "gw.a1"), await as_user(client, "gw.a2")
    record_id = await create_dispute(author)
    assert_ok(await colleague.push_one("disputes", record_id, {"title": "补充"}, base_version=1))
    # only an admin deletes a dispute (grid workers withdraw it): admin.a deletes from version 1
    admin = await as_user(client, "admin.a")
    result = await admin.push_one("disputes", record_id, op="delete", base_version=1)
    assert result["status"] == "conflict"
    [conflict_id] = result["conflict_ids"]
    dispute = await record_of(author, "disputes", record_id)
    assert dispute is not None and dispute["deleted"] is False and dispute["version"] == 2
    conflict = await record_of(colleague, "conflicts", conflict_id)
    assert conflict is not None
    fields = conflict["fields"]
    assert fields["kind"] == "delete_vs_edit" and fields["field"] is None
    assert fields["yours"] is None and fields["theirs"]["title"] == "补充"
    assert fields["theirs_by"] == colleague.user_id and fields["yours_by"] == admin.user_id
    # deciding for the delete tombstones the record as a new version
    assert_rejected(
        await admin.push_one(
            "conflicts", conflict_id, {"status": "resolved", "resolution": "yes"}, base_version=1
        ),
        "validation",
    )
    assert_ok(
        await admin.push_one(
            "conflicts", conflict_id, {"status": "resolved", "resolution": True}, base_version=1
        )
    )
    dispute = await record_of(colleague, "disputes", record_id)
    assert dispute is not None and dispute["deleted"] is True and dispute["version"] == 3


async def test_edit_vs_delete(client: Any) -> None:
    author, admin = await as_user(client, "gw.a1"), await as_user(client, "admin.a")
    record_id = await create_dispute(author)
    assert_ok(await admin.push_one("disputes", record_id, op="delete", base_version=1))
    result = await author.push_one("disputes", record_id, {"address": "三号楼"}, base_version=1)
    assert result["status"] == "conflict"
    [conflict_id] = result["conflict_ids"]
    conflict = await record_of(admin, "conflicts", conflict_id)
    assert conflict is not None
    fields = conflict["fields"]
    assert fields["kind"] == "edit_vs_delete" and fields["field"] is None
    assert fields["theirs"] is None and fields["yours"] == {"address": "三号楼"}
    assert fields["theirs_by"] == admin.user_id
    # keeping the record undeletes it with the held edit
    assert_ok(
        await author.push_one(
            "conflicts", conflict_id, {"status": "resolved", "resolution": False}, base_version=1
        )
    )
    dispute = await record_of(admin, "disputes", record_id)
    assert dispute is not None and dispute["deleted"] is False and dispute["version"] == 3
    assert dispute["fields"]["address"] == "三号楼"
    assert dispute["fields"]["title"] == new_dispute()["title"]
