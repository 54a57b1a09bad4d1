"""Reusing a mutation id (issue 9, item 7): a mutation whose id already opened a conflict on the
same field, sent again under a new seq (a buggy or hostile client), is answered — with the first
answer or a rejection — never a 500 (`UNIQUE conflicts.id` today), and the device goes on."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers import Session, login, new_dispute
from tests.server.replication.support import as_user, assert_ok, create_dispute, record_of

pytestmark = pytest.mark.usefixtures("database")


async def _conflicting(client: Any) -> tuple[Session, dict[str, Any], dict[str, Any], str]:
    """gw.a2 raises the risk; gw.a1 (a fresh device) sets it back from the same base: a conflict
    on `risk_level`.  Returns gw.a1's device, its mutation, its answer and the record id."""
    one, two = await login(client, "gw.a1"), await as_user(client, "gw.a2")
    record_id = await create_dispute(one, risk_level="blue")
    assert_ok(await two.push_one("disputes", record_id, {"risk_level": "yellow"}, base_version=1))
    clash = one.mutation("disputes", record_id, {"risk_level": "orange"}, base_version=1)
    response = await one.push(clash)
    assert response.status_code == 200, response.text
    [answer] = response.json()["results"]
    assert answer["status"] == "conflict", answer
    return one, clash, answer, record_id


def assert_answered(response: Any, mutation: dict[str, Any], first: dict[str, Any]) -> None:
    assert response.status_code == 200, (response.status_code, response.text[:300])
    [result] = response.json()["results"]
    assert result["seq"] == mutation["seq"], result
    if result["status"] == "rejected":
        assert result["error"]["code"] in ("validation", "forbidden"), result
    else:  # the first answer, for the first mutation
        assert result["status"] == "conflict", result
        assert result["conflict_ids"] == first["conflict_ids"], (result, first)


async def test_the_same_id_under_a_new_seq_on_the_same_device(client: Any) -> None:
    one, clash, first, record_id = await _conflicting(client)
    reused = one.mutation("disputes", record_id, {"risk_level": "red"}, base_version=1)
    reused["id"] = clash["id"]
    assert_answered(await one.push(reused), reused, first)
    # the device goes on: its next seq is applied
    assert_ok(await one.push_one("disputes", None, new_dispute()))


async def test_the_same_id_and_body_under_a_new_seq(client: Any) -> None:
    one, clash, first, _ = await _conflicting(client)
    again = {**clash, "seq": one.next_seq}
    one.next_seq += 1
    assert_answered(await one.push(again), again, first)
    assert_ok(await one.push_one("disputes", None, new_dispute()))


async def test_the_same_id_from_another_device_of_the_same_user(client: Any) -> None:
    _, clash, first, record_id = await _conflicting(client)
    other = await login(client, "gw.a1")
    reused = other.mutation("disputes", record_id, {"risk_level": "red"}, base_version=1)
    reused["id"] = clash["id"]
    assert_answered(await other.push(reused), reused, first)
    assert_ok(await other.push_one("disputes", None, new_dispute()))


async def test_the_same_id_from_another_user(client: Any) -> None:
    """Another user replaying a mutation id they saw (a conflict names no mutation id, but ids
    travel in logs): still answered, and the conflict is not theirs to take over."""
    one, clash, first, record_id = await _conflicting(client)
    admin = await login(client, "admin.a")
    reused = admin.mutation("disputes", record_id, {"risk_level": "red"}, base_version=1)
    reused["id"] = clash["id"]
    assert_answered(await admin.push(reused), reused, first)
    [conflict_id] = first["conflict_ids"]
    conflict = await record_of(one, "conflicts", conflict_id)
    assert conflict is not None and conflict["fields"]["yours_by"] == one.user_id


async def test_the_same_id_on_another_record(client: Any) -> None:
    """The id reused for a conflict on another record's same field: answered, never 500."""
    one, clash, _, _ = await _conflicting(client)
    two = await as_user(client, "gw.a2")
    other_id = await create_dispute(one, risk_level="blue")
    assert_ok(await two.push_one("disputes", other_id, {"risk_level": "yellow"}, base_version=1))
    reused = one.mutation("disputes", other_id, {"risk_level": "orange"}, base_version=1)
    reused["id"] = clash["id"]
    response = await one.push(reused)
    assert response.status_code == 200, (response.status_code, response.text[:300])
    [result] = response.json()["results"]
    assert result["status"] in ("conflict", "rejected"), result
