"""POST /api/sync/push over HTTP (SYNC_PROTOCOL.md "Push", "Hybrid logical clock")."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from datetime import datetime
from typing import Any

import pytest

from tests.helpers import COMMUNITY_A, COMMUNITY_B, Session, login, new_dispute
from tests.server.replication.support import (
    RESULT_KEYS,
    as_user,
    assert_error,
    assert_ok,
    assert_rejected,
    create_dispute,
    new_order,
    new_session,
    record_of,
)

pytestmark = pytest.mark.usefixtures("database")


async def test_a_new_record_is_applied(client: Any) -> None:
    gw = await login(client, "gw.a1")
    mutation = gw.mutation("disputes", fields=new_dispute(tags=["wages"]))
    response = await gw.push(mutation)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"server_time", "results"}
    datetime.fromisoformat(body["server_time"].replace("Z", "+00:00"))
    [result] = body["results"]
    assert set(result) == RESULT_KEYS
    assert result == {
        "id": mutation["id"],
        "seq": 1,
        "status": "applied",
        "record_version": 1,
        "conflict_ids": [],
        "clock_adjusted": False,
        "error": None,
    }
    record = await record_of(gw, "disputes", mutation["record_id"])
    assert record is not None and record["version"] == 1 and record["deleted"] is False
    assert record["fields"]["tags"] == ["wages"]
    assert record["fields"]["created_by"] == gw.user_id


async def test_an_edit_on_the_latest_version_is_applied(client: Any) -> None:
    gw = await as_user(client, "gw.a1")
    record_id = await create_dispute(gw)
    result = await gw.push_one("disputes", record_id, {"title": "改"}, base_version=1)
    assert assert_ok(result) == 2


async def test_edits_of_different_fields_are_merged(client: Any) -> None:
    one, two = await as_user(client, "gw.a1"), await as_user(client, "gw.a2")
    record_id = await create_dispute(one)
    assert_ok(await one.push_one("disputes", record_id, {"title": "一号改标题"}, base_version=1))
    result = await two.push_one("disputes", record_id, {"address": "二号楼"}, base_version=1)
    assert assert_ok(result, "merged") == 3
    assert result["conflict_ids"] == []
    record = await record_of(two, "disputes", record_id)
    assert record is not None
    assert record["fields"]["title"] == "一号改标题"
    assert record["fields"]["address"] == "二号楼"


async def test_a_device_never_conflicts_with_itself(client: Any) -> None:
    gw = await as_user(client, "gw.a1")
    record_id = await create_dispute(gw)
    # two offline edits of the same record, both from base 1
    first = gw.mutation("disputes", record_id, {"risk_level": "yellow"}, base_version=1)
    second = gw.mutation("disputes", record_id, {"risk_level": "blue"}, base_version=1)
    results = (await gw.push(first, second)).json()["results"]
    assert [r["status"] for r in results] == ["applied", "applied"]
    assert [r["record_version"] for r in results] == [2, 3]


# ---- every rejection code --------------------------------------------------------------------

REJECTIONS: list[tuple[str, str, str, dict[str, Any]]] = [
    # (case, user, expected code, mutation fields) for a create in community A
    ("another community", "gw.b1", "forbidden", new_dispute()),
    ("a role that cannot", "lawyer.a", "forbidden", new_dispute()),
    ("bad enum", "gw.a1", "validation", new_dispute(risk_level="purple")),
    ("missing required", "gw.a1", "validation", {"community_id": str(COMMUNITY_A)}),
    ("too long", "gw.a1", "validation", new_dispute(title="长" * 201)),
    ("multi-line string", "gw.a1", "validation", new_dispute(title="a\nb")),
    ("wrong type", "gw.a1", "validation", new_dispute(tags="wages")),
    ("bad ref", "gw.a1", "validation", new_dispute(grid_id="not-a-uuid")),
    ("bad geo", "gw.a1", "validation", new_dispute(location={"lat": 91, "lng": 0})),
    ("unknown field", "gw.a1", "unknown_field", new_dispute(colour="red")),
    ("server field", "gw.a1", "read_only_field", new_dispute(version=7)),
    ("created_by", "gw.a1", "read_only_field", new_dispute(created_by=str(uuid.uuid4()))),
]


@pytest.mark.parametrize(
    ("user", "code", "fields"),
    [r[1:] for r in REJECTIONS],
    ids=[r[0] for r in REJECTIONS],
)
async def test_a_bad_create_is_rejected_and_writes_nothing(
    client: Any, user: str, code: str, fields: dict[str, Any]
) -> None:
    session = await as_user(client, user)
    record_id = str(uuid.uuid4())
    assert_rejected(await session.push_one("disputes", record_id, fields), code)
    # nothing was created: an edit of that id is not_found
    admin = await as_user(client, "district")
    probe = await admin.push_one("disputes", record_id, {"title": "x"}, base_version=1)
    assert_rejected(probe, "not_found")


async def test_validation_names_the_field(client: Any) -> None:
    gw = await as_user(client, "gw.a1")
    details = assert_rejected(
        await gw.push_one("disputes", None, new_dispute(risk_level="purple")), "validation"
    )
    assert details["field"] == "risk_level"
    details = assert_rejected(
        await gw.push_one("disputes", None, new_dispute(oops=1)), "unknown_field"
    )
    assert details["field"] == "oops"


async def test_unknown_collection(client: Any) -> None:
    gw = await as_user(client, "gw.a1")
    details = assert_rejected(await gw.push_one("gossip", None, {"a": 1}), "unknown_collection")
    assert details["collection"] == "gossip"


@pytest.mark.parametrize(
    ("field", "value"),
    [("community_id", str(COMMUNITY_B)), ("channel", "hotline")],
)
async def test_immutable_fields(client: Any, field: str, value: str) -> None:
    gw = await as_user(client, "gw.a1")
    record_id = await create_dispute(gw)
    details = assert_rejected(
        await gw.push_one("disputes", record_id, {field: value}, base_version=1), "immutable_field"
    )
    assert details["field"] == field
    # writing the same value again is not a change
    same = {"community_id": str(COMMUNITY_A), "channel": "door_to_door"}[field]
    assert_ok(await gw.push_one("disputes", record_id, {field: same}, base_version=1))


async def test_read_only_fields(client: Any) -> None:
    admin = await as_user(client, "admin.a")
    order_id = str(uuid.uuid4())
    assert_ok(await admin.push_one("dispatch_orders", order_id, new_order()))
    for field, value in (("overdue", True), ("escalation_level", "district"), ("version", 9)):
        details = assert_rejected(
            await admin.push_one("dispatch_orders", order_id, {field: value}, base_version=1),
            "read_only_field",
        )
        assert details["field"] == field


async def test_invalid_transition(client: Any) -> None:
    gw = await as_user(client, "gw.a1")
    record_id = await create_dispute(gw)
    assert_rejected(
        await gw.push_one("disputes", record_id, {"status": "closed"}, base_version=1),
        "invalid_transition",
    )
    assert (
        assert_ok(await gw.push_one("disputes", record_id, {"status": "mediating"}, base_version=1))
        == 2
    )
    assert_rejected(
        await gw.push_one("disputes", record_id, {"status": "registered"}, base_version=2),
        "invalid_transition",
    )


async def test_slot_taken_names_the_session_and_suggests_slots(client: Any) -> None:
    psy = await as_user(client, "psy.a")
    slot = new_session(psy.user_id)
    # an open slot of this psychologist after the clash, to be suggested
    later_start = _plus_hours(slot["ends_at"], 1)
    first_id = str(uuid.uuid4())
    assert_ok(await psy.push_one("psych_sessions", first_id, slot))
    slot_id = str(uuid.uuid4())
    assert_ok(
        await psy.push_one(
            "psych_slots",
            slot_id,
            {
                "psychologist_id": psy.user_id,
                "starts_at": later_start,
                "ends_at": _plus_hours(later_start, 1),
                "status": "open",
            },
        )
    )
    clash = {**slot, "starts_at": _plus_hours(slot["starts_at"], 0.5)}
    clash["ends_at"] = _plus_hours(clash["starts_at"], 1)
    details = assert_rejected(await psy.push_one("psych_sessions", None, clash), "slot_taken")
    assert details["conflicting_session_id"] == first_id
    assert isinstance(details["suggested_slots"], list)
    assert any(
        s.get("slot_id") == slot_id for s in details["suggested_slots"] if isinstance(s, dict)
    ), details
    # the same room at that time is taken too, for another psychologist
    other = await as_user(client, "psy.b")
    room_clash = {**clash, "psychologist_id": other.user_id}
    details = assert_rejected(
        await other.push_one("psych_sessions", None, room_clash), "slot_taken"
    )
    assert details["conflicting_session_id"] == first_id
    # cancelling frees the time
    assert_ok(
        await psy.push_one("psych_sessions", first_id, {"status": "cancelled"}, base_version=1)
    )
    assert_ok(await psy.push_one("psych_sessions", None, clash))


def _plus_hours(value: str, hours: float) -> str:
    from datetime import UTC, timedelta

    moment = datetime.fromisoformat(value.replace("Z", "+00:00")) + timedelta(hours=hours)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


async def test_not_found(client: Any) -> None:
    gw = await as_user(client, "gw.a1")
    assert_rejected(
        await gw.push_one("disputes", None, {"title": "x"}, base_version=3), "not_found"
    )
    assert_rejected(await gw.push_one("disputes", None, op="delete", base_version=1), "not_found")


async def test_a_base_version_from_the_future_is_rejected(client: Any) -> None:
    gw = await as_user(client, "gw.a1")
    record_id = await create_dispute(gw)
    assert_rejected(
        await gw.push_one("disputes", record_id, {"title": "x"}, base_version=5), "validation"
    )


async def test_an_hlc_of_another_device_is_rejected(client: Any) -> None:
    gw = await as_user(client, "gw.a1")
    mutation = gw.mutation("disputes", fields=new_dispute())
    mutation["hlc"] = f"{int(time.time() * 1000):013d}-0000-{uuid.uuid4()}"
    [result] = (await gw.push(mutation)).json()["results"]
    assert assert_rejected(result, "validation")["field"] == "hlc"


# ---- seq, repeats, gaps ----------------------------------------------------------------------


async def test_a_repeat_gets_the_stored_answer_and_is_not_applied_again(client: Any) -> None:
    gw = await as_user(client, "gw.a1")
    record_id = await create_dispute(gw)
    edit = gw.mutation("disputes", record_id, {"tags": ["a"]}, base_version=1)
    first = (await gw.push(edit)).json()["results"]
    again = (await gw.push(edit)).json()["results"]
    assert first == again
    assert first[0]["record_version"] == 2
    # a different body under an answered seq is still answered with the first answer
    changed = {**edit, "fields": {"tags": ["b"]}}
    assert (await gw.push(changed)).json()["results"] == first
    record = await record_of(gw, "disputes", record_id)
    assert record is not None
    assert record["version"] == 2 and record["fields"]["tags"] == ["a"]


async def test_a_batch_repeating_answered_seqs_answers_all_and_applies_the_new(
    client: Any,
) -> None:
    gw = await login(client, "gw.a1")
    one = gw.mutation("disputes", fields=new_dispute())
    two = gw.mutation("disputes", fields=new_dispute())
    first = (await gw.push(one)).json()["results"]
    both = (await gw.push(one, two)).json()["results"]
    assert both[0] == first[0]
    assert [r["seq"] for r in both] == [1, 2]
    assert both[1]["status"] == "applied"


async def test_a_rejected_mutation_counts_as_answered(client: Any) -> None:
    gw = await login(client, "gw.a1")
    bad = gw.mutation("disputes", fields=new_dispute(risk_level="purple"))
    good = gw.mutation("disputes", fields=new_dispute())
    [rejected] = (await gw.push(bad)).json()["results"]
    assert_rejected(rejected, "validation")
    [applied] = (await gw.push(good)).json()["results"]
    assert applied["seq"] == 2 and applied["status"] == "applied"
    # the rejection is the stored answer of seq 1
    assert (await gw.push(bad)).json()["results"] == [rejected]


async def test_a_seq_gap_stops_the_batch(client: Any) -> None:
    gw = await login(client, "gw.a1")
    m1, m2, m3, m4 = (gw.mutation("disputes", fields=new_dispute()) for _ in range(4))
    results = (await gw.push(m1, m3, m4)).json()["results"]
    assert [r["seq"] for r in results] == [1, 3], "nothing after the gap is answered"
    assert results[0]["status"] == "applied"
    details = assert_rejected(results[1], "seq_gap")
    assert details["expected_seq"] == 2
    # the gap was not answered: the device resends from 2 and everything applies
    results = (await gw.push(m2, m3, m4)).json()["results"]
    assert [(r["seq"], r["status"]) for r in results] == [
        (2, "applied"),
        (3, "applied"),
        (4, "applied"),
    ]
    for m in (m3, m4):
        assert await record_of(gw, "disputes", m["record_id"]) is not None


async def test_a_batch_is_applied_in_seq_order(client: Any) -> None:
    gw = await login(client, "gw.a1")
    record_id = str(uuid.uuid4())
    create = gw.mutation("disputes", record_id, new_dispute())
    edit = gw.mutation("disputes", record_id, {"title": "后改"}, base_version=1)
    results = (await gw.push(edit, create)).json()["results"]
    assert [(r["seq"], r["status"]) for r in results] == [(1, "applied"), (2, "applied")]


# ---- clocks ----------------------------------------------------------------------------------


async def test_a_clock_far_ahead_is_adjusted(client: Any) -> None:
    gw = await as_user(client, "gw.a1")
    now = int(time.time() * 1000)
    ahead = await gw.push_one("disputes", None, new_dispute(), hlc_ms=now + 10 * 60_000)
    assert ahead["status"] == "applied" and ahead["clock_adjusted"] is True
    slightly = await gw.push_one("disputes", None, new_dispute(), hlc_ms=now + 60_000)
    assert slightly["clock_adjusted"] is False
    behind = await gw.push_one("disputes", None, new_dispute(), hlc_ms=now - 3_600_000)
    assert behind["clock_adjusted"] is False


async def test_an_adjusted_clock_does_not_win_lww_by_cheating(client: Any) -> None:
    """A device far ahead gets the server's time, so a later honest edit still wins."""
    fast, honest = await as_user(client, "gw.a1"), await as_user(client, "gw.a2")
    record_id = await create_dispute(fast)
    future = int(time.time() * 1000) + 24 * 3_600_000
    result = await fast.push_one(
        "disputes", record_id, {"title": "来自未来"}, base_version=1, hlc_ms=future
    )
    assert result["clock_adjusted"] is True
    await asyncio.sleep(0.01)
    later = await honest.push_one("disputes", record_id, {"title": "诚实"}, base_version=1)
    assert later["status"] == "merged"
    record = await record_of(honest, "disputes", record_id)
    assert record is not None and record["fields"]["title"] == "诚实"


# ---- deletes ---------------------------------------------------------------------------------


async def test_delete_leaves_a_tombstone(client: Any) -> None:
    author, gw = await as_user(client, "gw.a1"), await as_user(client, "admin.a")
    record_id = await create_dispute(author)
    result = await gw.push_one("disputes", record_id, op="delete", base_version=1)
    assert assert_ok(result) == 2
    record = await record_of(gw, "disputes", record_id)
    assert record is not None and record["deleted"] is True and record["version"] == 2
    assert "title" not in record["fields"]
    # editing what one deleted oneself is not_found; deleting again is a no-op
    assert_rejected(
        await gw.push_one("disputes", record_id, {"title": "x"}, base_version=2), "not_found"
    )
    assert_ok(await gw.push_one("disputes", record_id, op="delete", base_version=2))


async def test_a_delete_carries_no_fields(client: Any) -> None:
    gw = await as_user(client, "gw.a1")
    record_id = await create_dispute(gw)
    assert_rejected(
        await gw.push_one("disputes", record_id, {"title": "x"}, op="delete", base_version=1),
        "validation",
    )


async def test_only_an_admin_deletes(client: Any) -> None:
    author, colleague = await as_user(client, "gw.a1"), await as_user(client, "gw.a2")
    record_id = await create_dispute(author)
    for grid_worker in (colleague, author):  # the author withdraws it instead
        assert_rejected(
            await grid_worker.push_one("disputes", record_id, op="delete", base_version=1),
            "forbidden",
        )
    admin = await as_user(client, "admin.a")
    assert_ok(await admin.push_one("disputes", record_id, op="delete", base_version=1))


# ---- whole-request errors --------------------------------------------------------------------


async def raw_push(session: Session, content: bytes | str) -> Any:
    return await session.client.post(
        "/api/sync/push",
        content=content,
        headers={**session.headers, "Content-Type": "application/json"},
    )


def _one(session: Session) -> dict[str, Any]:
    return session.mutation("disputes", fields=new_dispute())


BAD_BODIES: list[tuple[str, Any]] = [
    ("not json", b'{"schema_version": 1, "mutations": ['),
    ("not utf-8", b'{"schema_version": 1, "mutations": [], "x": "\xff"}'),
    ("empty", b""),
    ("a list", []),
    ("a string", "push"),
    ("no mutations", {"schema_version": 1}),
    ("no schema version", {"mutations": []}),
    ("schema version as text", {"schema_version": "1", "mutations": []}),
    ("mutations not a list", {"schema_version": 1, "mutations": {}}),
    ("unknown top-level key", {"schema_version": 1, "mutations": [], "device": "x"}),
    ("mutation not an object", {"schema_version": 1, "mutations": [1]}),
]
BAD_MUTATIONS: list[tuple[str, dict[str, Any]]] = [
    ("seq as text", {"seq": "1"}),
    ("seq zero", {"seq": 0}),
    ("bad op", {"op": "merge"}),
    ("id not a uuid", {"id": "x"}),
    ("record id not a uuid", {"record_id": 5}),
    ("negative base", {"base_version": -1}),
    ("fields not an object", {"fields": ["a"]}),
    ("unknown key", {"priority": 1}),
    ("missing hlc", {"hlc": None}),
    ("NUL in the collection", {"collection": "disputes\u0000"}),
    ("NUL in the hlc", {"hlc": "1764000000000-0000-\u0000"}),
    ("NUL in a field name", {"fields": {"tit\u0000le": "x"}}),
]


@pytest.mark.parametrize("body", [b[1] for b in BAD_BODIES], ids=[b[0] for b in BAD_BODIES])
async def test_a_malformed_push_is_400(client: Any, body: Any) -> None:
    gw = await as_user(client, "gw.a1")
    content = body if isinstance(body, bytes) else json.dumps(body)
    assert_error(await raw_push(gw, content), 400, "invalid_request")


@pytest.mark.parametrize("change", [m[1] for m in BAD_MUTATIONS], ids=[m[0] for m in BAD_MUTATIONS])
async def test_a_malformed_mutation_fails_the_whole_request(
    client: Any, change: dict[str, Any]
) -> None:
    gw = await as_user(client, "gw.a1")
    start = gw.next_seq
    good = _one(gw)
    bad = {**_one(gw), **change}
    if change.get("hlc", "") is None:
        del bad["hlc"]
    response = await raw_push(gw, json.dumps({"schema_version": 1, "mutations": [good, bad]}))
    assert_error(response, 400, "invalid_request")
    # nothing of the request was applied: seq 1 is still the next one
    gw.next_seq = start
    assert (await gw.push_one("disputes", None, new_dispute()))["status"] == "applied"


async def test_a_push_needs_a_token(client: Any) -> None:
    response = await client.post("/api/sync/push", json={"schema_version": 1, "mutations": []})
    assert_error(response, 401)
    bad = await client.post(
        "/api/sync/push",
        json={"schema_version": 1, "mutations": []},
        headers={"Authorization": "Bearer nope"},
    )
    assert_error(bad, 401)


async def test_more_than_500_mutations_is_413(client: Any) -> None:
    gw = await as_user(client, "gw.a1")
    start = gw.next_seq
    mutations = [gw.mutation("disputes", fields={"title": "t"}) for _ in range(501)]
    response = await gw.post("/api/sync/push", json={"schema_version": 1, "mutations": mutations})
    error = assert_error(response, 413, "too_many_mutations")
    assert error["details"].get("max_mutations") == 500
    gw.next_seq = start
    assert (await gw.push_one("disputes", None, new_dispute()))["seq"] == start


async def test_500_mutations_are_fine(client: Any) -> None:
    gw = await as_user(client, "gw.a1")
    mutations = [gw.mutation("disputes", fields=new_dispute()) for _ in range(500)]
    response = await gw.post("/api/sync/push", json={"schema_version": 1, "mutations": mutations})
    assert response.status_code == 200, response.text
    assert len(response.json()["results"]) == 500


async def test_a_body_over_1_mib_is_413(client: Any) -> None:
    gw = await as_user(client, "gw.a1")
    start = gw.next_seq
    mutation = gw.mutation("disputes", fields=new_dispute(description="x" * (1024 * 1024 + 10)))
    response = await gw.post("/api/sync/push", json={"schema_version": 1, "mutations": [mutation]})
    assert_error(response, 413, "too_many_mutations")
    gw.next_seq = start
    assert (await gw.push_one("disputes", None, new_dispute()))["seq"] == start


async def test_the_previous_schema_version_is_accepted(client: Any) -> None:
    gw = await as_user(client, "gw.a1")
    response = await gw.post("/api/sync/push", json={"schema_version": 0, "mutations": [_one(gw)]})
    assert response.status_code == 200, response.text
    assert response.json()["results"][0]["status"] == "applied"


async def test_an_older_schema_version_must_upgrade(client: Any) -> None:
    gw = await as_user(client, "gw.a1")
    start = gw.next_seq
    response = await gw.post("/api/sync/push", json={"schema_version": -1, "mutations": [_one(gw)]})
    error = assert_error(response, 426, "upgrade_required")
    assert error["details"]["schema_version"] == 1
    gw.next_seq = start
    assert (await gw.push_one("disputes", None, new_dispute()))["seq"] == start


async def test_a_newer_schema_version_is_refused(client: Any) -> None:
    gw = await as_user(client, "gw.a1")
    response = await gw.post("/api/sync/push", json={"schema_version": 2, "mutations": []})
    assert 400 <= response.status_code < 500
    assert_error(response, response.status_code)


async def test_an_empty_push_answers_nothing(client: Any) -> None:
    gw = await as_user(client, "gw.a1")
    response = await gw.post("/api/sync/push", json={"schema_version": 1, "mutations": []})
    assert response.status_code == 200 and response.json()["results"] == []


async def test_a_second_concurrent_push_of_a_device_is_429(client: Any) -> None:
    gw = await as_user(client, "gw.a1")
    batch = [gw.mutation("disputes", fields=new_dispute()) for _ in range(200)]
    bodies: list[dict[str, Any]] = [
        {"schema_version": 1, "mutations": batch},
        {"schema_version": 1, "mutations": batch[:1]},
    ]
    responses = await asyncio.gather(*(gw.post("/api/sync/push", json=b) for b in bodies))
    assert sorted(r.status_code for r in responses) == [200, 429], [r.text for r in responses]
    busy = next(i for i, r in enumerate(responses) if r.status_code == 429)
    assert_error(responses[busy], 429)
    assert int(responses[busy].headers["Retry-After"]) >= 1
    # the device is free again afterwards; the retry is answered (its first seq from the store)
    done = responses[1 - busy].json()["results"]
    again = await gw.post("/api/sync/push", json=bodies[busy])
    assert again.status_code == 200, again.text
    assert again.json()["results"][0] == done[0]
    assert len(again.json()["results"]) == len(bodies[busy]["mutations"])


async def test_two_devices_of_one_user_push_concurrently(client: Any) -> None:
    one, two = await login(client, "gw.a1"), await login(client, "gw.a1")
    responses = await asyncio.gather(
        one.post("/api/sync/push", json={"schema_version": 1, "mutations": [_one(one)]}),
        two.post("/api/sync/push", json={"schema_version": 1, "mutations": [_one(two)]}),
    )
    assert [r.status_code for r in responses] == [200, 200]


@pytest.mark.parametrize(
    "value",
    [b'"\xff\xfe"', b"[" * 5000 + b"]" * 5000],
    ids=["invalid utf-8 in a string", "nested 5000 deep"],
)
async def test_an_undecodable_value_inside_a_mutation_is_400(client: Any, value: bytes) -> None:
    gw = await as_user(client, "gw.a1")
    start = gw.next_seq
    mutation = _one(gw)
    mutation["fields"]["description"] = "__VALUE__"
    body = json.dumps({"schema_version": 1, "mutations": [mutation]}).encode()
    response = await raw_push(gw, body.replace(b'"__VALUE__"', value))
    assert_error(response, 400, "invalid_request")
    gw.next_seq = start
    assert (await gw.push_one("disputes", None, new_dispute()))["seq"] == start
